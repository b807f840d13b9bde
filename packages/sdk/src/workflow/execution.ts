import { AsyncLocalStorage } from 'node:async_hooks';
import { assertJson, type Json } from '../codec.ts';
import { toMs } from '../duration.ts';
import {
  ActivityFailure,
  CancelledError,
  ChildWorkflowFailure,
  type CommandSummary,
  ErrorCodes,
  type ErrorInfo,
  NonDeterminismError,
  ReelError,
  toErrorInfo,
} from '../errors.ts';
import { type ActivityFn, activityOptions } from './activity.ts';
import type {
  ChildHandle,
  ParentClosePolicy,
  SignalOptions,
  WorkflowContext,
  WorkflowFn,
  WorkflowInfo,
} from './context.ts';
import {
  DeterminismViolationError,
  type GuardMode,
  outsideWorkflowScope,
  runInWorkflowScope,
} from './determinism-guard.ts';
import type { EventType, HistoryEvent, RecordedEvent } from './events.ts';
import { mapDurably } from './map.ts';
import { seededRandom, uuidFrom } from './random.ts';

/** How a run ended, once its function has returned or thrown. */
export type Outcome =
  | { type: 'workflow_completed'; result: Json | undefined }
  | { type: 'workflow_failed'; error: ErrorInfo }
  | { type: 'workflow_cancelled'; error: ErrorInfo }
  | { type: 'workflow_continued_as_new'; input: Json | undefined };

/** A child workflow the run started (or is about to), until its outcome is delivered. */
export interface OpenChild {
  cmd: number;
  workflowType: string;
  workflowId: string;
  input: Json | undefined;
  parentClosePolicy: ParentClosePolicy;
  /** Set once `child_started` is recorded. */
  runId?: string;
  done: boolean;
  /** Started inside `ctx.uncancellable`: cancelling the parent does not cancel it. */
  shielded: boolean;
  /** Resolves `ctx.startChild` once the child has started. */
  started?: (handle: ChildHandle<unknown>) => void;
  completion?: Promise<unknown>;
}

/** Thrown by `ctx.continueAsNew` to end the run; the engine starts its successor. Do not catch it. */
export class ContinueAsNew extends Error {
  constructor(readonly input: Json | undefined) {
    super('The workflow continues as new (this error ends the run; rethrow it if you catch it).');
    this.name = 'ContinueAsNew';
  }
}

/** A command the code issued; `settled` once its result (or a cancellation) has been delivered. */
interface Command {
  cmd: number;
  kind: 'activity' | 'timer' | 'child';
  name?: string;
  settled: boolean;
  /** Issued inside `ctx.uncancellable`: cancellation does not reject it. */
  shielded: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

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
}

/** A timer the workflow is waiting for. */
export interface OpenTimer {
  cmd: number;
  fireAt: Date;
}

interface Condition {
  shielded: boolean;
  predicate: () => unknown;
  resolve(value: boolean): void;
  reject(err: unknown): void;
  timer?: Command;
}

interface SignalWaiter {
  shielded: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  timer?: Command;
}

export interface ExecutionOptions {
  workflowId: string;
  runId: string;
  workflowType: string;
  fn: WorkflowFn;
  /** The durable history; it starts with `workflow_started`. */
  history: RecordedEvent[];
  /** The engine clock, read only to stamp new events. */
  clock: () => Date;
  /** The name an activity function is registered under (defaults to its own name). */
  activityName?: (fn: ActivityFn) => string;
  /** What to do when workflow code starts I/O or a real timer. Default `throw`. */
  guard?: GuardMode;
  /** Told of the first violation the guard sees (in `warn` mode, the only effect); later ones are not reported. */
  onViolation?: (err: DeterminismViolationError) => void;
}

/**
 * The replayer: runs a workflow function against its history. Recorded and new events go through the
 * same `log` and reach the code only through `advance()`, in log order, with microtasks drained between
 * deliveries — so the live path and the replay path are one code path. Pure: no I/O, no wall clock.
 */
export class WorkflowExecution {
  readonly log: RecordedEvent[];
  /** Events before this index are durable. */
  private durable: number;
  /**
   * Recorded events whose effects on the code are recorded too: a worker flushes the commands an event
   * led to together with the event, so while the code reacts to one of these it is replaying, and a
   * command history lacks is non-determinism. `workflow_started` alone, written by `start`, is not one.
   */
  private readonly replayLength: number;
  private cursor = 0;
  /** The log length when the code ended (its outcome was decided): later events reached no code. */
  private endedAt: number | undefined;
  private lastAt: string;
  private readonly commands: Command[] = [];
  /** Recorded `*_scheduled`/`*_started` command events, by `cmd`. */
  private readonly recorded = new Map<number, RecordedEvent>();
  /** The last `activity_*` event of each activity, delivered or not. */
  private readonly lastActivityEvents = new Map<number, RecordedEvent>();
  private readonly open = new Map<number, OpenActivity | OpenTimer>();
  private readonly buffered = new Map<string, Json[]>();
  private readonly waiters = new Map<string, SignalWaiter[]>();
  private readonly queries = new Map<string, (...args: unknown[]) => unknown>();
  private readonly signalHandlers = new Map<string, (payload: unknown) => void>();
  private readonly conditions = new Set<Condition>();
  private readonly patches = new Map<string, boolean>();
  private readonly children = new Map<number, OpenChild>();
  private readonly recordedPatches = new Set<string>();
  private failure: ReelError | undefined;
  /** The first violation: in `warn` mode it parks the run if the code is left waiting on it. */
  private violation: DeterminismViolationError | undefined;
  private result: Outcome | undefined;
  private readonly random: () => number;
  readonly context: WorkflowContext;

  constructor(private readonly options: ExecutionOptions) {
    const first = options.history[0];
    if (first?.type !== 'workflow_started')
      throw new Error(`History of ${options.runId} does not begin with workflow_started`);
    this.log = [...options.history];
    this.durable = this.log.length;
    this.replayLength = this.log.length > 1 ? this.log.length : 0;
    this.lastAt = first.at;
    for (const e of this.log) this.index(e);
    this.random = seededRandom(options.runId);
    this.context = this.makeContext(first.at);
  }

  /** Set when the run has ended (its function returned or threw). */
  get outcome(): Outcome | undefined {
    return this.result;
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
    return this.commands[cmd]?.settled === true;
  }

  /** Children started and not yet finished (to start them, and for the parent-close policy). */
  openChildren(): OpenChild[] {
    return [...this.children.values()].filter((c) => !c.done);
  }

  /** When the run must have closed by (its execution timeout), if it has one. */
  get deadline(): Date | undefined {
    const first = this.log[0];
    const ms = first?.type === 'workflow_started' ? first.executionTimeoutMs : undefined;
    return ms === undefined ? undefined : new Date(Date.parse(first?.at ?? '') + ms);
  }

  /** Ends the run as failed: it outlived its execution timeout. */
  timeOut(): void {
    const error = new ReelError(
      ErrorCodes.WORKFLOW_TIMEOUT,
      `Workflow ${this.options.workflowId} exceeded its execution timeout (${this.deadline?.toISOString()}).`,
    );
    this.result ??= { type: 'workflow_failed', error: toErrorInfo(error) };
    this.endedAt ??= this.cursor;
    for (const cmd of this.open.keys()) this.settle(cmd);
  }

  private finishChild(cmd: number): OpenChild | undefined {
    const child = this.children.get(cmd);
    if (child) child.done = true;
    return child;
  }

  /** Runs a query handler against the current state; throws `REEL_UNKNOWN_QUERY` or the handler's error. */
  query(name: string, args: Json[]): Json | undefined {
    const handler = this.queries.get(name);
    if (!handler) {
      const known = [...this.queries.keys()].join(', ') || 'none';
      throw new ReelError(
        ErrorCodes.UNKNOWN_QUERY,
        `Workflow ${this.options.workflowId} has no query '${name}' (it answers: ${known}).`,
      );
    }
    return assertJson(handler(...args), `The answer to query '${name}'`);
  }

  /** Appends a new event (stamped with the engine clock); it reaches the code on the next `advance()`. */
  append(event: HistoryEvent): RecordedEvent {
    const recorded = { ...event, seq: this.log.length, at: this.engineNow().toISOString() } as RecordedEvent;
    this.log.push(recorded);
    this.index(recorded);
    return recorded;
  }

  /** True if events were appended that the code has not received yet. */
  hasUndelivered(): boolean {
    return this.cursor < this.log.length;
  }

  /** Events not yet durable, to be flushed in one transaction. */
  unflushed(): RecordedEvent[] {
    return this.log.slice(this.durable);
  }

  /** The first `count` unflushed events are now durable (more may have been appended meanwhile). */
  markFlushed(count: number): void {
    this.durable += count;
  }

  /**
   * Delivers every undelivered event to the code, draining microtasks after each, then records how the
   * run ended if it did. Throws `NonDeterminismError` (or another `ReelError`) when the run cannot go on.
   */
  async advance(): Promise<void> {
    while (this.cursor < this.log.length && !this.failure) {
      const event = this.log[this.cursor++] as RecordedEvent;
      this.lastAt = event.at;
      // A command event (e.g. activity_scheduled) only checks what the code issued: no code wakes up,
      // so there is nothing to drain. This halves the macrotask turns of a replay.
      if (COMMAND_EVENTS.has(event.type)) this.deliver(event);
      else {
        this.deliver(event);
        await drainMicrotasks();
        while (this.checkConditions()) await drainMicrotasks();
      }
      if (this.result) this.endedAt ??= this.cursor;
    }
    // After I/O warn mode let through, code left waiting on nothing Reel knows of waits on that I/O
    // (no event would ever wake it), and code that failed most likely failed of it: either way the
    // run is parked (and retried), rather than stranded or failed for good.
    const failed = this.result?.type === 'workflow_failed';
    if (!this.failure && this.violation && (failed || (!this.result && this.waitsOnNothing())))
      this.failure = this.violation;
    if (this.failure) throw this.failure;
  }

  /** Signals received that no handler took and no `ctx.signal` has read yet, by name in arrival order. */
  unreadSignals(): { name: string; payload: Json }[] {
    return [...this.buffered].flatMap(([name, payloads]) => payloads.map((payload) => ({ name, payload })));
  }

  /**
   * Takes back the events appended after the code ended, which reached no code, if none is durable:
   * input a run that continues as new never read belongs to its successor. Returns them.
   */
  dropUnread(): RecordedEvent[] {
    const from = this.endedAt;
    if (from === undefined || from < this.durable) return [];
    this.cursor = Math.min(this.cursor, from);
    return this.log.splice(from);
  }

  /** True when no command, child, signal wait or condition is pending: no event can move the code on. */
  private waitsOnNothing(): boolean {
    return (
      this.open.size === 0 &&
      this.openChildren().length === 0 &&
      this.conditions.size === 0 &&
      [...this.waiters.values()].every((w) => w.length === 0)
    );
  }

  /** Takes back the last event, if it is not durable yet: a close the store refused (new input came first). */
  retract(event: RecordedEvent): void {
    if (this.log.at(-1) !== event || this.durable === this.log.length) return;
    this.log.pop();
    this.cursor = Math.min(this.cursor, this.log.length);
  }

  /**
   * True when everything the code has received is durable (or is a command it issued, which replay
   * issues again): its state is then what a replay of the durable history gives, and a query may see it.
   */
  deliveredIsDurable(): boolean {
    for (let i = this.durable; i < this.cursor; i++)
      if (!COMMAND_EVENTS.has((this.log[i] as RecordedEvent).type)) return false;
    return true;
  }

  /** Resolves the `waitFor` conditions that now hold; true if any did (their code must run next). */
  private checkConditions(): boolean {
    let any = false;
    for (const condition of this.conditions) {
      let holds: boolean;
      try {
        holds = Boolean(this.runGuarded(condition.predicate));
      } catch (err) {
        this.conditions.delete(condition);
        condition.reject(err);
        any = true;
        continue;
      }
      if (!holds) continue;
      this.conditions.delete(condition);
      if (condition.timer) this.settle(condition.timer.cmd);
      condition.resolve(true);
      any = true;
    }
    return any;
  }

  /**
   * Activity `cmd` as the log has it, events appended but not yet delivered included: its name, and
   * the attempt to run next while it is open.
   */
  activityState(
    cmd: number,
  ): { name: string; open: false } | { name: string; open: true; attempt: number } | undefined {
    const scheduled = this.recorded.get(cmd);
    const last = this.lastActivityEvents.get(cmd);
    if (scheduled?.type !== 'activity_scheduled' || !last) return undefined;
    const { name } = scheduled;
    if (last.type === 'activity_retrying') return { name, open: true, attempt: last.attempt + 1 };
    if (last.type === 'activity_scheduled') return { name, open: true, attempt: 1 };
    return { name, open: false };
  }

  private index(e: RecordedEvent): void {
    if (e.type.startsWith('activity_') && 'cmd' in e) this.lastActivityEvents.set(e.cmd, e);
    if (e.type === 'patch_marker') this.recordedPatches.add(e.patchId);
    if (e.type === 'activity_scheduled' || e.type === 'timer_started' || e.type === 'child_scheduled') {
      this.recorded.set(e.cmd, e);
    }
  }

  private deliver(event: RecordedEvent): void {
    // Input recorded after the code ended (a signal that came while the run was closing) reaches no
    // code: the run's outcome is already decided, on replay as it was live. Commands are still checked.
    if (this.result && !COMMAND_EVENTS.has(event.type)) return;
    switch (event.type) {
      case 'workflow_started':
        this.start(event.input);
        return;
      case 'activity_scheduled':
        this.checkIssued(event, { kind: 'activity', name: event.name });
        if (this.commands[event.cmd]?.settled === false) {
          this.open.set(event.cmd, { cmd: event.cmd, name: event.name, args: event.args, attempt: 1 });
        }
        return;
      case 'timer_started':
        this.checkIssued(event, { kind: 'timer' });
        if (this.commands[event.cmd]?.settled === false) {
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
        command?.reject(new ActivityFailure(command.name as string, event.attempts, event.error));
        return;
      }
      case 'timer_fired':
        this.complete(event.cmd, 'timer')?.resolve(undefined);
        return;
      case 'child_scheduled': {
        this.checkIssued(event, { kind: 'child', name: event.workflowType });
        const child = this.children.get(event.cmd);
        if (child)
          Object.assign(child, { workflowId: event.workflowId, parentClosePolicy: event.parentClosePolicy });
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
        this.complete(event.cmd, 'child')?.reject(
          new ChildWorkflowFailure(child?.workflowId ?? '', event.status, event.error),
        );
        return;
      }
      case 'signal_received': {
        const handler = this.signalHandlers.get(event.name);
        if (handler) {
          this.callHandler(handler, event.payload);
          return;
        }
        const waiter = this.waiters.get(event.name)?.shift();
        if (!waiter) {
          this.listOf(this.buffered, event.name).push(event.payload);
          return;
        }
        if (waiter.timer) this.settle(waiter.timer.cmd);
        waiter.resolve(event.payload);
        return;
      }
      case 'cancel_requested': {
        const error = new CancelledError(
          `Workflow ${this.options.workflowId} was cancelled${event.reason ? `: ${event.reason}` : '.'}`,
        );
        for (const command of this.commands)
          if (!command.settled && !command.shielded) this.settle(command.cmd)?.reject(error);
        for (const [name, list] of this.waiters) {
          const [keep, cancel] = partition(list, (w) => w.shielded);
          this.waiters.set(name, keep);
          for (const w of cancel) w.reject(error);
        }
        for (const c of this.conditions) {
          if (c.shielded) continue;
          this.conditions.delete(c);
          c.reject(error);
        }
        return;
      }
      default:
        return; // closing events: the run already ended in the code
    }
  }

  /** A recorded command event was reached: the code must have issued the same command by now. */
  private checkIssued(event: RecordedEvent & { cmd: number }, recorded: CommandSummary): void {
    const issued = this.commands[event.cmd];
    if (!issued || issued.kind !== recorded.kind || issued.name !== recorded.name) {
      this.failure ??= new NonDeterminismError(
        this.options.workflowId,
        event.cmd,
        issued && summary(issued),
        recorded,
      );
    }
  }

  /**
   * The command a result event of `kind` is for; an event of another kind than the command it names
   * fails the run as non-deterministic (the history does not belong to this code) instead of handing
   * the code a wrong value. Temporal's `consumeCompletion` keeps the same rule.
   */
  private command(cmd: number, kind: Command['kind']): Command | undefined {
    const command = this.commands[cmd];
    if (command && command.kind !== kind) {
      this.failure ??= new NonDeterminismError(this.options.workflowId, cmd, summary(command), { kind });
      return undefined;
    }
    return command;
  }

  /** The list kept under `name`, created empty the first time. */
  private listOf<T>(lists: Map<string, T[]>, name: string): T[] {
    const list = lists.get(name) ?? [];
    lists.set(name, list);
    return list;
  }

  /** Settles command `cmd` with a result event of `kind` (see `command`). */
  private complete(cmd: number, kind: Command['kind']): Command | undefined {
    return this.command(cmd, kind) && this.settle(cmd);
  }

  private settle(cmd: number): Command | undefined {
    const command = this.commands[cmd];
    if (!command || command.settled) return undefined;
    command.settled = true;
    this.open.delete(cmd);
    return command;
  }

  private start(input: unknown): void {
    const finish = (outcome: Outcome) => {
      this.result ??= outcome;
      for (const cmd of this.open.keys()) this.settle(cmd);
    };
    const succeed = (value: unknown) => {
      try {
        finish({ type: 'workflow_completed', result: assertJson(value, 'The workflow result') });
      } catch (err) {
        finish({ type: 'workflow_failed', error: toErrorInfo(err) });
      }
    };
    const fail = (err: unknown) =>
      finish(
        err instanceof ContinueAsNew
          ? { type: 'workflow_continued_as_new', input: err.input }
          : {
              type: err instanceof CancelledError ? 'workflow_cancelled' : 'workflow_failed',
              error: toErrorInfo(err),
            },
      );
    try {
      Promise.resolve(this.runGuarded(() => this.options.fn(this.context, input))).then(succeed, fail);
    } catch (err) {
      fail(err);
    }
  }

  /** The engine clock, read outside the workflow's scope (where Date would give `ctx.now()`). */
  private engineNow(): Date {
    return outsideWorkflowScope(this.options.clock);
  }

  /** Runs a signal handler as workflow code; if it throws, the workflow fails with its error. */
  private callHandler(handler: (payload: unknown) => void, payload: unknown): void {
    try {
      this.runGuarded(() => handler(payload));
    } catch (err) {
      this.result ??= { type: 'workflow_failed', error: toErrorInfo(err) };
      for (const cmd of this.open.keys()) this.settle(cmd);
    }
  }

  /** Runs workflow code in its determinism scope: replay-safe Date and Math.random, I/O reported. */
  private runGuarded<T>(fn: () => T): T {
    const mode = this.options.guard ?? 'throw';
    if (mode === 'off') return fn();
    return runInWorkflowScope(
      {
        now: () => this.context.now(),
        random: () => this.random(),
        // The first violation is the cause (what follows is often the same I/O going on): only it is
        // reported, and in `throw` mode it parks the run whatever the code then did with the I/O.
        violation: (resource, origin) => {
          if (this.violation) return;
          this.violation = new DeterminismViolationError(this.options.workflowId, resource, origin());
          this.options.onViolation?.(this.violation);
          if (mode === 'throw') this.failure ??= this.violation;
        },
      },
      fn,
    );
  }

  /** Issues command number `commands.length`, matching it against history or recording it as new. */
  private issue(
    kind: Command['kind'],
    name: string | undefined,
    record: (cmd: number) => HistoryEvent,
  ): Promise<unknown> {
    const cmd = this.commands.length;
    const promise = new Promise((resolve, reject) => {
      this.commands.push({ cmd, kind, name, settled: false, shielded: shielded(), resolve, reject });
    });
    const recorded = this.recorded.get(cmd);
    if (recorded) {
      const was = commandOf(recorded);
      if (was.kind !== kind || was.name !== name) {
        this.failure ??= new NonDeterminismError(this.options.workflowId, cmd, { kind, name }, was);
      }
    } else if (this.cursor <= this.replayLength) {
      this.failure ??= new NonDeterminismError(this.options.workflowId, cmd, { kind, name }, undefined);
    } else {
      this.append(record(cmd));
    }
    return promise;
  }

  private startTimer(ms: number, signal?: string): Command {
    void this.issue('timer', undefined, (cmd) => ({
      type: 'timer_started',
      cmd,
      fireAt: new Date(this.engineNow().getTime() + ms).toISOString(),
      ...(signal === undefined ? {} : { signal }),
    }));
    return this.commands[this.commands.length - 1] as Command;
  }

  private makeContext(startedAt: string): WorkflowContext {
    const exec = this;
    const { workflowId, runId, workflowType } = this.options;
    const info: WorkflowInfo = {
      workflowId,
      runId,
      workflowType,
      startTime: new Date(startedAt),
      get isReplaying() {
        return exec.cursor <= exec.replayLength;
      },
    };
    // A ctx promise the code never awaits must not crash the worker when it rejects (e.g. on cancel).
    const guard = <T>(body: () => Promise<T>): Promise<T> => {
      let promise: Promise<T>;
      try {
        promise = body();
      } catch (err) {
        promise = Promise.reject(err);
      }
      promise.catch(() => undefined);
      return promise;
    };
    return {
      info,
      activity: (fn, ...args) =>
        guard(() => {
          if (typeof fn !== 'function')
            throw invalid('ctx.activity expects the activity function as its first argument.');
          const name = this.options.activityName?.(fn) || activityOptions(fn).name || fn.name;
          if (!name) {
            throw invalid(
              "This activity has no name: register it in the worker's activities ({ chargeCard }) or give it one with defineActivity(fn, { name }).",
            );
          }
          const json = assertJson(args, `The arguments of activity '${name}'`) as Json[];
          return this.issue('activity', name, (cmd) => ({
            type: 'activity_scheduled',
            cmd,
            name,
            args: json,
          })) as never;
        }),
      sleep: (duration) =>
        guard(async () => {
          const ms = toMs(duration, 'ctx.sleep duration');
          const timer = this.startTimer(ms);
          await new Promise((resolve, reject) => Object.assign(timer, { resolve, reject }));
        }),
      signal: <T>(name: string, options?: SignalOptions) =>
        guard(() => {
          if (typeof name !== 'string' || name === '')
            throw invalid('ctx.signal expects a non-empty signal name.');
          const timeout =
            options?.timeout === undefined ? undefined : toMs(options.timeout, 'ctx.signal timeout');
          const queue = this.buffered.get(name);
          if (queue?.length) return Promise.resolve(queue.shift() as T);
          return new Promise<T>((resolve, reject) => {
            const waiter: SignalWaiter = {
              resolve: resolve as (v: unknown) => void,
              reject,
              shielded: shielded(),
            };
            if (timeout !== undefined) {
              waiter.timer = this.startTimer(timeout, name);
              Object.assign(waiter.timer, {
                resolve: () => {
                  const list = this.waiters.get(name) ?? [];
                  list.splice(list.indexOf(waiter), 1);
                  resolve(undefined as T);
                },
                reject,
              });
            }
            this.listOf(this.waiters, name).push(waiter);
          });
        }),
      onSignal: (name, handler) => {
        if (typeof name !== 'string' || name === '' || typeof handler !== 'function') {
          throw invalid('ctx.onSignal expects a signal name and a handler function.');
        }
        this.signalHandlers.set(name, handler as (payload: unknown) => void);
        // Signals that arrived before the handler existed go to it now, in order.
        for (const payload of this.buffered.get(name)?.splice(0) ?? [])
          this.callHandler(handler as (p: unknown) => void, payload);
      },
      waitFor: (predicate, options) =>
        guard(() => {
          if (typeof predicate !== 'function') throw invalid('ctx.waitFor expects a predicate function.');
          const timeout =
            options?.timeout === undefined ? undefined : toMs(options.timeout, 'ctx.waitFor timeout');
          if (predicate()) return Promise.resolve(true);
          return new Promise<boolean>((resolve, reject) => {
            const condition: Condition = { predicate, resolve, reject, shielded: shielded() };
            if (timeout !== undefined) {
              condition.timer = this.startTimer(timeout);
              Object.assign(condition.timer, {
                resolve: () => {
                  this.conditions.delete(condition);
                  resolve(false);
                },
                reject,
              });
            }
            this.conditions.add(condition);
          });
        }),
      startChild: (workflow, input, options = {}) =>
        guard(() => {
          const type = typeof workflow === 'function' ? workflow.name : workflow;
          if (typeof type !== 'string' || type === '')
            throw invalid('ctx.startChild expects a named workflow function or a type name.');
          const json = assertJson(input, `The input of child workflow '${type}'`);
          const policy = options.parentClosePolicy ?? 'terminate';
          if (!['terminate', 'requestCancel', 'abandon'].includes(policy)) {
            throw invalid(
              `parentClosePolicy must be 'terminate', 'requestCancel' or 'abandon', not ${JSON.stringify(policy)}.`,
            );
          }
          const cmd = this.commands.length;
          const childId = options.id ?? `${workflowId}-child-${cmd}`;
          if (typeof childId !== 'string' || childId === '')
            throw invalid('A child workflow id must be a non-empty string.');
          const child: OpenChild = {
            cmd,
            workflowType: type,
            workflowId: childId,
            input: json,
            parentClosePolicy: policy,
            done: false,
            shielded: shielded(),
          };
          this.children.set(cmd, child);
          const completion = this.issue('child', type, (c) => ({
            type: 'child_scheduled',
            cmd: c,
            workflowType: type,
            workflowId: childId,
            input: json,
            parentClosePolicy: policy,
          }));
          completion.catch(() => undefined);
          child.completion = completion;
          // Starting fails with the child's failure if it ends before it started (e.g. cancelled).
          return new Promise((resolve, reject) => {
            child.started = resolve as (handle: ChildHandle<unknown>) => void;
            completion.catch(reject);
          }) as never;
        }),
      child: (workflow, input, options) =>
        guard(async () => {
          const handle = await exec.context.startChild(workflow, input, options);
          return handle.result() as never;
        }),
      continueAsNew: (input) =>
        guard(() => {
          throw new ContinueAsNew(assertJson(input, 'The input of continueAsNew'));
        }),
      uncancellable: (fn) => guard(() => shieldStorage.run(true, fn)),
      map: (items, fn, options) => guard(() => mapDurably(items, fn, options) as never),
      patched: (patchId) => {
        if (typeof patchId !== 'string' || patchId === '') throw invalid('ctx.patched expects a patch id.');
        let applies = this.patches.get(patchId);
        if (applies === undefined) {
          // Recorded: the run reached here with the new code. Replaying without a marker: the old code
          // path was taken. Live: take the new path and record that it did.
          applies = this.recordedPatches.has(patchId) || this.cursor > this.replayLength;
          if (applies && !this.recordedPatches.has(patchId)) this.append({ type: 'patch_marker', patchId });
          this.patches.set(patchId, applies);
        }
        return applies;
      },
      deprecatePatch: (patchId) => {
        if (typeof patchId !== 'string' || patchId === '')
          throw invalid('ctx.deprecatePatch expects a patch id.');
        this.patches.set(patchId, true);
      },
      onQuery: (name, handler) => {
        if (typeof name !== 'string' || name === '' || typeof handler !== 'function') {
          throw invalid('ctx.onQuery expects a query name and a handler function.');
        }
        this.queries.set(name, handler);
      },
      now: () => new Date(this.lastAt),
      random: () => this.random(),
      uuid: () => uuidFrom(this.random),
    };
  }
}

/** Marks the ctx calls made inside `ctx.uncancellable` (it follows their awaits). */
const shieldStorage = new AsyncLocalStorage<boolean>();
const shielded = () => shieldStorage.getStore() === true;

function partition<T>(list: T[], keep: (item: T) => boolean): [T[], T[]] {
  return [list.filter(keep), list.filter((item) => !keep(item))];
}

function invalid(message: string): ReelError {
  return new ReelError(ErrorCodes.INVALID_ARGUMENT, message);
}

/** The command a recorded `*_scheduled`/`*_started` event stands for. */
function commandOf(e: RecordedEvent): CommandSummary {
  if (e.type === 'activity_scheduled') return { kind: 'activity', name: e.name };
  if (e.type === 'child_scheduled') return { kind: 'child', name: e.workflowType };
  return { kind: 'timer' };
}

function summary(c: Command): CommandSummary {
  return c.kind === 'timer' ? { kind: 'timer' } : { kind: c.kind, name: c.name };
}

/** Events whose delivery settles nothing: it only checks them against the commands the code issued. */
const COMMAND_EVENTS = new Set<EventType>([
  'activity_scheduled',
  'timer_started',
  'child_scheduled',
  'patch_marker',
]);

/** Lets every pending promise callback run: the workflow code goes as far as it can. */
function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
