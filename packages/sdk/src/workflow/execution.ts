import type { Json } from '../codec.ts';
import { CancelledError, type ReelError } from '../errors.ts';
import { COMMAND_EVENTS } from './command.ts';
import { Commands, type OpenActivity, type OpenChild, type OpenTimer } from './commands.ts';
import type { WorkflowContext } from './context.ts';
import { createContext } from './create-context.ts';
import { engineTurn, outsideWorkflowScope } from './determinism-guard.ts';
import { type HistoryEvent, ISSUING_EVENTS, type RecordedEvent } from './events.ts';
import type { ExecutionOptions } from './execution-options.ts';
import { failed, type Outcome, returned, thrown, timedOut } from './outcome.ts';
import { Queries } from './queries.ts';
import { seededRandom } from './random.ts';
import { ReplayExtent } from './replay-extent.ts';
import { RunGuard } from './run-guard.ts';
import { Updates } from './updates.ts';
import { Waits } from './waits.ts';

export type { ExecutionOptions } from './execution-options.ts';
export type { Outcome } from './outcome.ts';

/**
 * The replayer: runs a workflow function against its history. Recorded and new events go through the
 * same `log` and reach the code only through `advance()`, in log order, with microtasks drained between
 * deliveries — so the live path and the replay path are one code path. Pure: no I/O, no wall clock.
 * It keeps the log and the run's outcome; `Commands` matches the code's commands to history, `Waits`
 * holds its signals and conditions, `createContext` builds the `ctx` it calls, and `RunGuard` is the
 * determinism scope the code runs in.
 */
export class WorkflowExecution {
  readonly log: RecordedEvent[];
  /** Events before this index are durable. */
  private durable: number;
  private readonly replay: ReplayExtent;
  private cursor = 0;
  /** The log length when the code ended (its outcome was decided): later events reached no code. */
  private endedAt: number | undefined;
  private lastAt: string;
  private readonly commands: Commands;
  private readonly queries: Queries;
  private readonly recordedPatches = new Set<string>();
  private readonly waits = new Waits({
    startTimer: (ms, signal) => this.commands.startTimer(ms, signal),
    settle: (cmd) => this.commands.settle(cmd),
    callHandler: (handler, payload) => this.callHandler(handler, payload),
    runGuarded: (fn) => this.guard.run(fn),
  });
  private readonly updates = new Updates({
    runGuarded: (fn) => this.guard.run(fn),
    complete: (updateId, outcome) => this.append({ type: 'update_completed', updateId, ...outcome }),
  });
  private failure: ReelError | undefined;
  private result: Outcome | undefined;
  private readonly random: () => number;
  private readonly guard: RunGuard;
  readonly context: WorkflowContext;

  constructor(private readonly options: ExecutionOptions) {
    const first = options.history[0];
    if (first?.type !== 'workflow_started')
      throw new Error(`History of ${options.runId} does not begin with workflow_started`);
    this.log = [...options.history];
    this.durable = this.log.length;
    this.replay = new ReplayExtent(this.log, options.partial === true);
    const reset = this.log[this.replay.resetAt];
    this.lastAt = first.at;
    const fail = (err: ReelError) => {
      this.failure ??= err;
    };
    this.commands = new Commands({
      workflowId: options.workflowId,
      isReplaying: () => this.replay.strict(this.cursor),
      partial: () => this.replay.partial,
      append: (event) => this.append(event),
      engineNow: () => this.engineNow(),
      fail,
    });
    for (const e of this.log) this.index(e);
    this.random = seededRandom(reset?.type === 'reset_point' ? reset.seed : options.runId);
    this.guard = new RunGuard({
      workflowId: options.workflowId,
      mode: options.guard,
      now: () => this.context.now(),
      random: this.random,
      onViolation: options.onViolation,
      fail,
    });
    this.queries = new Queries(options.workflowId);
    this.context = createContext({
      workflowId: options.workflowId,
      runId: options.runId,
      workflowType: options.workflowType,
      startedAt: first.at,
      isReplaying: () => this.replay.replaying(this.cursor),
      now: () => new Date(this.lastAt),
      random: () => this.random(),
      activityName: (fn) => this.options.activityName?.(fn),
      nextCmd: () => this.commands.next,
      issue: (kind, name, record) => this.commands.issue(kind, name, record),
      startTimer: (ms) => this.commands.startTimer(ms),
      append: (event) => this.append(event),
      recordedPatches: this.recordedPatches,
      children: this.commands.children,
      queries: this.queries,
      waits: this.waits,
      updates: this.updates,
    });
  }

  /** Set when the run has ended (its function returned or threw). */
  get outcome(): Outcome | undefined {
    return this.result;
  }

  /** Activities scheduled and not yet settled. */
  openActivities(): OpenActivity[] {
    return this.commands.openActivities();
  }

  /** Timers started and not yet fired or cancelled. */
  openTimers(): OpenTimer[] {
    return this.commands.openTimers();
  }

  isOpen(cmd: number): boolean {
    return this.commands.isOpen(cmd);
  }

  /** The command's result (or its cancellation) has been delivered. */
  isSettled(cmd: number): boolean {
    return this.commands.isSettled(cmd);
  }

  /** Children started and not yet finished (to start them, and for the parent-close policy). */
  openChildren(): OpenChild[] {
    return this.commands.openChildren();
  }

  /** When the run must have closed by (its execution timeout), if it has one. */
  get deadline(): Date | undefined {
    const first = this.log[0];
    const ms = first?.type === 'workflow_started' ? first.executionTimeoutMs : undefined;
    return ms === undefined ? undefined : new Date(Date.parse(first?.at ?? '') + ms);
  }

  /** Ends the run as failed: it outlived its execution timeout. */
  timeOut(): void {
    this.end(timedOut(this.options.workflowId, this.deadline));
    this.endedAt ??= this.cursor;
  }

  /** Runs a query handler against the current state; throws `REEL_UNKNOWN_QUERY` or the handler's error. */
  query(name: string, args: Json[]): Json | undefined {
    return this.queries.answer(name, args);
  }

  /**
   * Runs update `name`'s validator against the current state (live only: nothing is recorded).
   * `accepted`: append `update_accepted`; `unhandled`: no handler yet, ask again after the next advance.
   */
  validateUpdate(name: string, arg: Json | undefined): ReturnType<Updates['validate']> {
    return this.updates.validate(name, arg);
  }

  /** Appends a new event (stamped with the engine clock); it reaches the code on the next `advance()`. */
  append(event: HistoryEvent): RecordedEvent {
    // Not `{ ...event, seq, at }`: V8 (Node 20) defines properties after a spread one by one, at about
    // 1 µs each, where `Object.assign` copies them at once.
    const at = this.engineNow().toISOString();
    const recorded = Object.assign({}, event, { seq: this.log.length, at }) as RecordedEvent;
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
   * While the history is partial, it stops at the end of what has loaded, or where a command the code
   * issued waits for the page that records it, and throws nothing: `extend` tells how it went.
   */
  advance(): Promise<void> {
    // A loop of `setImmediate` callbacks (`engineTurn`) rather than an `await` per event: a replay
    // delivers thousands of events, and each awaited promise costs a promise, its reaction and the
    // async hooks on both.
    return new Promise((resolve, reject) => {
      const deliverMore = () => {
        while (this.cursor < this.log.length && !this.failure && !this.commands.awaitsHistory()) {
          const event = this.log[this.cursor++] as RecordedEvent;
          this.lastAt = event.at;
          this.deliver(event);
          // A command event (e.g. activity_scheduled) only checks what the code issued: no code
          // wakes up, so there is nothing to drain. This halves the macrotask turns of a replay.
          if (!COMMAND_EVENTS.has(event.type)) return engineTurn(drained);
          if (this.result) this.endedAt ??= this.cursor;
        }
        if (!this.replay.partial) this.concludeAdvance();
        resolve();
      };
      const drained = () => {
        try {
          if (this.waits.checkConditions()) return engineTurn(drained);
          if (this.result) this.endedAt ??= this.cursor;
          deliverMore();
        } catch (err) {
          reject(err);
        }
      };
      deliverMore();
    });
  }

  /**
   * After I/O warn mode let through, code left waiting on nothing Reel knows of waits on that I/O
   * (no event would ever wake it), and code that failed most likely failed of it: either way the
   * run is parked (and retried), rather than stranded or failed for good.
   */
  private concludeAdvance(): void {
    const violation = this.guard.firstViolation;
    const failed = this.result?.type === 'workflow_failed';
    if (!this.failure && violation && (failed || (!this.result && this.waitsOnNothing())))
      this.failure = violation;
    if (this.failure) throw this.failure;
  }

  /**
   * Adds the next page of a history given in part (`partial`), `last` if it ends it; `advance()` then
   * replays on. False if this replay cannot go on and must be made again from the whole history,
   * because it may have differed from a replay of the whole: it failed or recorded something (both
   * depend on what comes later), a command it issued is recorded nowhere, or the page holds a patch
   * marker or a reset point (which the code's earlier answers depended on).
   */
  extend(events: RecordedEvent[], last: boolean): boolean {
    if (!this.replay.partial) throw new Error(`The history of ${this.options.runId} is already whole`);
    const recorded = this.durable !== this.log.length;
    if (this.failure || recorded || !this.replay.continuesWith(events)) return false;
    for (const e of events) {
      this.log.push(e);
      this.index(e);
    }
    this.durable = this.log.length;
    const matched = this.commands.matchAwaited();
    if (this.failure || (last && !matched)) return false;
    if (last) this.replay.whole(this.log);
    return true;
  }

  /** Signals received that no handler took and no `ctx.signal` has read yet, by name in arrival order. */
  unreadSignals(): { name: string; payload: Json }[] {
    return this.waits.unread();
  }

  /**
   * Takes back the input appended after the code ended, which reached no code, if none is durable:
   * input a run that continues as new never read belongs to its successor. Returns it. What the code
   * made among it stays, after what came before: an update handler's command, issued as the event
   * that ended the code waited for delivery, is recorded, since a replay issues it again.
   */
  dropUnread(): RecordedEvent[] {
    const from = this.endedAt;
    if (from === undefined || from < this.durable) return [];
    this.cursor = Math.min(this.cursor, from);
    const after = this.log.splice(from);
    const made = (e: RecordedEvent) => COMMAND_EVENTS.has(e.type) || ISSUING_EVENTS.has(e.type);
    for (const e of after.filter(made)) this.log.push(Object.assign(e, { seq: this.log.length }));
    return after.filter((e) => !made(e));
  }

  /** True when no command, child, signal wait or condition is pending: no event can move the code on. */
  private waitsOnNothing(): boolean {
    return this.commands.isIdle() && this.waits.isEmpty();
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

  /**
   * Activity `cmd` as the log has it, events appended but not yet delivered included: its name, and
   * the attempt to run next while it is open.
   */
  activityState(
    cmd: number,
  ): { name: string; open: false } | { name: string; open: true; attempt: number } | undefined {
    return this.commands.activityState(cmd);
  }

  private index(e: RecordedEvent): void {
    this.commands.index(e);
    if (e.type === 'patch_marker') this.recordedPatches.add(e.patchId);
    if (e.type === 'update_completed') this.updates.recorded(e.updateId);
  }

  private deliver(event: RecordedEvent): void {
    // Input recorded after the code ended (a signal that came while the run was closing) reaches no
    // code: the run's outcome is already decided, on replay as it was live. Commands are still checked.
    if (this.result && !COMMAND_EVENTS.has(event.type)) return;
    switch (event.type) {
      case 'workflow_started':
        this.start(event.input);
        return;
      case 'signal_received':
        this.waits.deliverSignal(event.name, event.payload);
        return;
      case 'update_accepted':
        this.updates.deliver(event);
        return;
      case 'cancel_requested': {
        const error = new CancelledError(
          `Workflow ${this.options.workflowId} was cancelled${event.reason ? `: ${event.reason}` : '.'}`,
        );
        this.commands.cancel(error);
        this.waits.cancel(error);
        return;
      }
      default:
        // Command events and results; closing events reach nothing: the run already ended in the code.
        this.commands.deliver(event);
    }
  }

  private start(input: unknown): void {
    try {
      Promise.resolve(this.guard.run(() => this.options.fn(this.context, input))).then(
        (value) => this.end(returned(value)),
        (err) => this.end(thrown(err)),
      );
    } catch (err) {
      this.end(thrown(err));
    }
  }

  /** The code ended: the first outcome stands, and the commands still open are settled. */
  private end(outcome: Outcome): void {
    this.result ??= outcome;
    this.commands.settleOpen();
  }

  /** The engine clock, read outside the workflow's scope (where Date would give `ctx.now()`). */
  private engineNow(): Date {
    return outsideWorkflowScope(this.options.clock);
  }

  /** Runs a signal handler as workflow code; if it throws, the workflow fails with its error. */
  private callHandler(handler: (payload: unknown) => void, payload: unknown): void {
    try {
      this.guard.run(() => handler(payload));
    } catch (err) {
      this.end(failed(err));
    }
  }
}
