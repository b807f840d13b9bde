import type { Json } from '../codec.ts';
import {
  ActivityFailure,
  ChildWorkflowFailure,
  NonDeterminismError,
  type ReelError,
  SideEffectFailure,
} from '../errors.ts';
import type { ConcurrencyLimit } from '../flow-options.ts';
import {
  type Command,
  commandOf,
  isCommand,
  newCommand,
  rejectCommand,
  type SettledCommand,
  summary,
} from './command.ts';
import type { ChildHandle, ParentClosePolicy } from './context.ts';
import type { HistoryEvent, RecordedEvent } from './events.ts';

/** An activity the workflow is waiting for; the driver runs it when `retryAt` (if any) has passed. */
export interface OpenActivity {
  cmd: number;
  name: string;
  args: Json[];
  /** The attempt to run next, from 1. */
  attempt: number;
  retryAt?: Date;
  /** The heartbeat details the last failed attempt recorded, for the next one. */
  lastHeartbeat?: Json;
  /** Scheduled inside `ctx.uncancellable`: a cancellation neither waits for nor stops its attempt. */
  shielded: boolean;
  /** Scheduled by `ctx.transaction`. */
  transaction?: true;
}

/** A timer the workflow is waiting for. */
export interface OpenTimer {
  cmd: number;
  fireAt: Date;
}

/** A child workflow the run started (or is about to), until its outcome is delivered. */
export interface OpenChild {
  cmd: number;
  workflowType: string;
  workflowId: string;
  input: Json | undefined;
  parentClosePolicy: ParentClosePolicy;
  concurrency?: ConcurrencyLimit;
  /** Unset: its parent's. */
  priority?: number;
  /** Set once `child_started` is recorded. */
  runId?: string;
  done: boolean;
  /** Started inside `ctx.uncancellable`: cancelling the parent does not cancel it. */
  shielded: boolean;
  /** Resolves `ctx.startChild` once the child has started. */
  started?: (handle: ChildHandle<unknown>) => void;
  completion?: Promise<unknown>;
}

/** What the command table needs from the replayer. */
export interface CommandsHost {
  readonly workflowId: string;
  /**
   * True while the code re-walks recorded history whose reactions are recorded too: a command history
   * lacks is then non-determinism.
   */
  isReplaying(): boolean;
  /** True while only part of the history is loaded: a command it lacks may be in the rest. */
  partial(): boolean;
  /** Records a new command event. */
  append(event: HistoryEvent): void;
  /** The engine clock, to time a new timer. */
  engineNow(): Date;
  /** Fails the run; the first failure stands. */
  fail(err: ReelError): void;
}

/**
 * The commands the code issued, numbered in the order it issued them: each is matched against the
 * command event history recorded at its number (same kind and name, or non-determinism), and settled
 * by the result event that names it.
 */
export class Commands {
  private readonly issued: (Command | SettledCommand)[] = [];
  /** Recorded command events (`*_scheduled`, `timer_started`, `side_effect`), by `cmd`. */
  private readonly recorded: RecordedEvent[] = [];
  /** The last `activity_*` event of each activity, delivered or not, by `cmd`. */
  private readonly lastActivityEvents: RecordedEvent[] = [];
  private readonly open = new Map<number, OpenActivity | OpenTimer>();
  /**
   * Commands issued, while the history was partial, before the part recording them had loaded: checked
   * in issue order once it has (`matchAwaited`), and no event is delivered until then.
   */
  private readonly awaited: number[] = [];
  /** The children `ctx.startChild` registered, by `cmd`. */
  readonly children = new Map<number, OpenChild>();

  constructor(private readonly host: CommandsHost) {}

  /** The number the next command takes. */
  get next(): number {
    return this.issued.length;
  }

  /** Issues command number `next`, matching it against history or recording it as new. */
  issue(
    kind: Command['kind'],
    name: string | undefined,
    record: (cmd: number) => HistoryEvent,
  ): Promise<unknown> {
    const cmd = this.issued.length;
    const command = newCommand(cmd, kind, name);
    this.issued.push(command);
    const recorded = this.recorded[cmd];
    if (this.awaited.length > 0 || (!recorded && this.host.partial() && this.host.isReplaying())) {
      this.awaited.push(cmd);
    } else if (recorded) {
      if (!isCommand(recorded, kind, name))
        this.host.fail(
          new NonDeterminismError(this.host.workflowId, cmd, { kind, name }, commandOf(recorded)),
        );
    } else if (this.host.isReplaying()) {
      this.host.fail(new NonDeterminismError(this.host.workflowId, cmd, { kind, name }, undefined));
    } else {
      this.host.append(record(cmd));
    }
    return command.promise;
  }

  /** True while a command waits for the part of history that records it. */
  awaitsHistory(): boolean {
    return this.awaited.length > 0;
  }

  /**
   * Checks the awaited commands whose events have loaded since, in issue order, as `issue` would have;
   * true if none is left waiting.
   */
  matchAwaited(): boolean {
    let matched = 0;
    for (const cmd of this.awaited) {
      const recorded = this.recorded[cmd];
      if (!recorded) break;
      const { kind, name } = this.issued[cmd] as Command | SettledCommand;
      if (!isCommand(recorded, kind, name))
        this.host.fail(
          new NonDeterminismError(this.host.workflowId, cmd, { kind, name }, commandOf(recorded)),
        );
      matched++;
    }
    this.awaited.splice(0, matched);
    return this.awaited.length === 0;
  }

  /** Issues a timer command; its `resolve` and `reject` are the caller's to set. */
  startTimer(ms: number, signal?: string): Command {
    void this.issue('timer', undefined, (cmd) => ({
      type: 'timer_started',
      cmd,
      fireAt: new Date(this.host.engineNow().getTime() + ms).toISOString(),
      ...(signal === undefined ? {} : { signal }),
    }));
    return this.issued[this.issued.length - 1] as Command;
  }

  /** Takes note of an event as it enters the log, before it is delivered: `ISSUING_EVENTS` by command. */
  index(e: RecordedEvent): void {
    switch (e.type) {
      case 'activity_scheduled':
        this.recorded[e.cmd] = e;
        this.lastActivityEvents[e.cmd] = e;
        return;
      case 'activity_retrying':
      case 'activity_completed':
      case 'activity_failed':
        this.lastActivityEvents[e.cmd] = e;
        return;
      case 'timer_started':
      case 'child_scheduled':
      case 'side_effect':
        this.recorded[e.cmd] = e;
    }
  }

  /** Delivers a command event (checked against what the code issued) or a command's result. */
  deliver(event: RecordedEvent): void {
    switch (event.type) {
      case 'activity_scheduled':
        this.checkIssued(event);
        if (this.issued[event.cmd]?.settled === false) {
          const { shielded } = this.issued[event.cmd] as Command;
          this.open.set(event.cmd, {
            cmd: event.cmd,
            name: event.name,
            args: event.args,
            attempt: 1,
            shielded,
            ...(event.transaction ? { transaction: true as const } : {}),
          });
        }
        return;
      case 'timer_started':
        this.checkIssued(event);
        if (this.issued[event.cmd]?.settled === false) {
          this.open.set(event.cmd, { cmd: event.cmd, fireAt: new Date(event.fireAt) });
        }
        return;
      case 'activity_retrying': {
        const open = this.command(event.cmd, 'activity') && this.open.get(event.cmd);
        if (open && 'name' in open) {
          const details = event.error.details as { lastHeartbeat?: Json } | undefined;
          Object.assign(open, {
            attempt: event.attempt + 1,
            retryAt: new Date(event.retryAt),
            lastHeartbeat: details?.lastHeartbeat,
          });
        }
        return;
      }
      case 'activity_completed':
        this.complete(event.cmd, 'activity')?.resolve(event.result);
        return;
      case 'activity_failed': {
        const command = this.complete(event.cmd, 'activity');
        if (command)
          rejectCommand(command, new ActivityFailure(command.name as string, event.attempts, event.error));
        return;
      }
      case 'timer_fired':
        this.complete(event.cmd, 'timer')?.resolve(undefined);
        return;
      case 'side_effect': {
        // Both the command and its outcome: checked against what the code issued, then settled.
        this.checkIssued(event);
        const command = this.complete(event.cmd, 'sideEffect');
        if (command && event.error) rejectCommand(command, new SideEffectFailure(event.error));
        else command?.resolve(event.result);
        return;
      }
      case 'retry_requested':
        for (const open of this.openActivities())
          if (open.retryAt && open.retryAt > new Date(event.at)) open.retryAt = new Date(event.at);
        return;
      case 'child_scheduled': {
        this.checkIssued(event);
        const child = this.children.get(event.cmd);
        // What history recorded wins: it is what the child was (or will be) started with.
        if (child)
          Object.assign(child, {
            workflowId: event.workflowId,
            parentClosePolicy: event.parentClosePolicy,
            concurrency: event.concurrency,
            priority: event.priority,
          });
        return;
      }
      case 'child_started': {
        const child = this.children.get(event.cmd);
        if (!child) return;
        child.runId = event.runId;
        const completion = child.completion as Promise<unknown>;
        child.started?.({ workflowId: child.workflowId, runId: event.runId, result: () => completion });
        return;
      }
      case 'child_completed': {
        const child = this.finishChild(event.cmd);
        this.complete(event.cmd, 'child')?.resolve(event.result);
        // Its outcome can arrive before `child_started` (after a crash): startChild resolves anyway.
        const completion = child?.completion as Promise<unknown>;
        child?.started?.({
          workflowId: child.workflowId,
          runId: child.runId ?? '',
          result: () => completion,
        });
        return;
      }
      case 'child_failed': {
        const child = this.finishChild(event.cmd);
        const command = this.complete(event.cmd, 'child');
        if (command)
          rejectCommand(
            command,
            new ChildWorkflowFailure(child?.workflowId ?? '', event.status, event.error),
          );
        return;
      }
      default:
        return;
    }
  }

  /** Rejects every unsettled command not issued inside `ctx.uncancellable` with `error`. */
  cancel(error: Error): void {
    for (const command of this.issued)
      if (!command.settled && !command.shielded && this.settle(command.cmd)) rejectCommand(command, error);
  }

  /** Marks command `cmd` settled (its promise is the caller's to settle); undefined if it already was. */
  settle(cmd: number): Command | undefined {
    const command = this.issued[cmd];
    if (!command || command.settled) return undefined;
    command.settled = true;
    const { kind, name } = command;
    this.issued[cmd] = { cmd, kind, name, settled: true };
    this.open.delete(cmd);
    return command;
  }

  /** Settles every open activity and timer: the run ended, no result of theirs reaches the code. */
  settleOpen(): void {
    for (const cmd of this.open.keys()) this.settle(cmd);
  }

  /** Activities scheduled and not yet settled. */
  openActivities(): OpenActivity[] {
    return [...this.open.values()].filter((c): c is OpenActivity => 'name' in c);
  }

  /** Timers started and not yet fired or cancelled. */
  openTimers(): OpenTimer[] {
    return [...this.open.values()].filter((c): c is OpenTimer => 'fireAt' in c);
  }

  isOpen(cmd: number): boolean {
    return this.open.has(cmd);
  }

  /** The command's result (or its cancellation) has been delivered. */
  isSettled(cmd: number): boolean {
    return this.issued[cmd]?.settled === true;
  }

  /** Children started and not yet finished. */
  openChildren(): OpenChild[] {
    return [...this.children.values()].filter((c) => !c.done);
  }

  /** True when no activity, timer or child is pending. */
  isIdle(): boolean {
    return this.open.size === 0 && this.openChildren().length === 0;
  }

  /**
   * Activity `cmd` as the log has it, events appended but not yet delivered included: its name, and
   * the attempt to run next while it is open.
   */
  activityState(
    cmd: number,
  ): { name: string; open: false } | { name: string; open: true; attempt: number } | undefined {
    const scheduled = this.recorded[cmd];
    const last = this.lastActivityEvents[cmd];
    if (scheduled?.type !== 'activity_scheduled' || !last) return undefined;
    const { name } = scheduled;
    if (last.type === 'activity_retrying') return { name, open: true, attempt: last.attempt + 1 };
    if (last.type === 'activity_scheduled') return { name, open: true, attempt: 1 };
    return { name, open: false };
  }

  /** A recorded command event was reached: the code must have issued the same command by now. */
  private checkIssued(event: RecordedEvent & { cmd: number }): void {
    const issued = this.issued[event.cmd];
    if (!issued || !isCommand(event, issued.kind, issued.name)) {
      this.host.fail(
        new NonDeterminismError(this.host.workflowId, event.cmd, issued && summary(issued), commandOf(event)),
      );
    }
  }

  /**
   * The command a result event of `kind` is for; an event of another kind than the command it names
   * fails the run as non-deterministic (the history does not belong to this code) instead of handing
   * the code a wrong value. Temporal's `consumeCompletion` keeps the same rule.
   */
  private command(cmd: number, kind: Command['kind']): Command | SettledCommand | undefined {
    const command = this.issued[cmd];
    // A transaction step's results are an activity's.
    if (command && (command.kind === 'transaction' ? 'activity' : command.kind) !== kind) {
      this.host.fail(new NonDeterminismError(this.host.workflowId, cmd, summary(command), { kind }));
      return undefined;
    }
    return command;
  }

  /** Settles command `cmd` with a result event of `kind` (see `command`). */
  private complete(cmd: number, kind: Command['kind']): Command | undefined {
    return this.command(cmd, kind) && this.settle(cmd);
  }

  private finishChild(cmd: number): OpenChild | undefined {
    const child = this.children.get(cmd);
    if (child) child.done = true;
    return child;
  }
}
