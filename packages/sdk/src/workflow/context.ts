import type { Duration } from '../duration.ts';
import type { ConcurrencyLimit } from '../flow-options.ts';
import type { ActivityFn, TransactionArgs, TransactionFn } from './activity.ts';
import type { MapOptions, Settled } from './map.ts';

/** What happens to a child workflow still running when its parent closes. Default `terminate`. */
export type ParentClosePolicy = 'terminate' | 'requestCancel' | 'abandon';

/** Options of `ctx.startChild` and `ctx.child`. */
export interface ChildOptions {
  /** The child's workflow id. Default: `<parent id>-child-<seq>`, stable across replays. */
  id?: string;
  parentClosePolicy?: ParentClosePolicy;
  /**
   * The child holds a slot of this key from its start to its close, or waits for one, as a client's
   * start does (docs/flow-control.md); `startChild` resolves once the child exists, even waiting.
   * A child that needs a slot its parent holds waits for the parent to close.
   * @example { concurrency: { key: `render-${ctx.info.workflowId}`, limit: 4 } }
   */
  concurrency?: ConcurrencyLimit;
  /** 0 to 10, as a client's start takes it. Default: its parent's priority. */
  priority?: number;
}

/** A started child workflow. */
export interface ChildHandle<R> {
  readonly workflowId: string;
  readonly runId: string;
  /** The child's result; rejects with `ChildWorkflowFailure` if it did not complete. */
  result(): Promise<R>;
}

/** Facts about the running workflow; the same on every replay, except `isReplaying`. */
export interface WorkflowInfo {
  readonly workflowId: string;
  readonly runId: string;
  readonly workflowType: string;
  readonly startTime: Date;
  /** True while the code re-walks recorded history, false once it runs live. */
  readonly isReplaying: boolean;
}

/** Options of `ctx.onUpdate`. */
export interface UpdateHandlerOptions<A> {
  /** Throws to reject the update before anything is recorded; synchronous, must not change state. */
  validate?: (arg: A) => void;
}

/** Options of `ctx.signal` with a timeout. */
export interface SignalOptions {
  /** How long to wait; on timeout the signal resolves to `undefined`. */
  timeout: Duration;
}

/**
 * Everything a workflow does to the outside world goes through its context, so that it can be recorded
 * and replayed. Workflow code must not read the clock, random numbers, the network or files directly.
 */
export interface WorkflowContext {
  readonly info: WorkflowInfo;
  /**
   * Runs an activity (a function registered on the worker) and returns its result, recorded in history.
   * Arguments and result are type-checked from the function itself; both must be JSON.
   * @example const receipt = await ctx.activity(chargeCard, order.card, order.total);
   */
  activity<F extends ActivityFn>(fn: F, ...args: Parameters<F>): Promise<Awaited<ReturnType<F>>>;
  /**
   * A step that runs `fn(client, ...args)` with a `pg` client inside a transaction on Reel's database,
   * and commits its writes together with the record of its result: exactly once for effects on that
   * database. Registered, retried and timed like an activity (`defineActivity` options, but no
   * `taskQueue`); a crash before the commit leaves no trace and the step runs again.
   * @example const id = await ctx.transaction(recordPayment, order.id, order.total);
   */
  transaction<F extends TransactionFn>(fn: F, ...args: TransactionArgs<F>): Promise<Awaited<ReturnType<F>>>;
  /** Waits durably: milliseconds or a string such as `'90s'` or `'3 days'`. Long sleeps free the worker. */
  sleep(duration: Duration): Promise<void>;
  /**
   * Waits durably until `time` (a `Date`, an ISO 8601 string or epoch milliseconds), by `ctx.now()`;
   * returns at once, with no timer, when that time has passed.
   * @example await ctx.sleepUntil(trial.endsAt);
   */
  sleepUntil(time: Date | string | number): Promise<void>;
  /**
   * Waits for the next signal named `name` and returns its payload (`null` when sent without one).
   * Signals sent before the workflow waits are buffered in order, never lost.
   * With a `timeout`, resolves to `undefined` if no signal came in time.
   */
  signal<T = unknown>(name: string): Promise<T>;
  signal<T = unknown>(name: string, options: SignalOptions): Promise<T | undefined>;
  /**
   * Handles every signal named `name` with `handler(payload)`, for signals that change workflow state
   * (pair with `waitFor`). Signals that came before the handler was set are handed to it at once.
   * @example ctx.onSignal('addItem', (item: Item) => cart.push(item));
   */
  onSignal<T = unknown>(name: string, handler: (payload: T) => void): void;
  /**
   * Waits until `predicate()` holds (it is checked after every event the workflow receives).
   * Resolves `true` when it holds, `false` if `timeout` passed first.
   * @example const paid = await ctx.waitFor(() => cart.paid, { timeout: '1 hour' });
   */
  waitFor(predicate: () => boolean, options?: { timeout?: Duration }): Promise<boolean>;
  /**
   * Starts a child workflow and waits for its result. Cancelling the parent cancels the child.
   * @example const receipt = await ctx.child(paymentWorkflow, { orderId }, { id: `pay-${orderId}` });
   */
  child<W extends WorkflowFn>(
    workflow: W | string,
    input: WorkflowInput<W>,
    options?: ChildOptions,
  ): Promise<WorkflowResult<W>>;
  /** Starts a child workflow; resolves once it has started, with a handle to await its result. */
  startChild<W extends WorkflowFn>(
    workflow: W | string,
    input: WorkflowInput<W>,
    options?: ChildOptions,
  ): Promise<ChildHandle<WorkflowResult<W>>>;
  /**
   * Ends this run and starts a fresh one of the same workflow id with `input`, to keep histories short
   * in long-running loops. `client.result(id)` follows to the last run.
   * @example if (batch.length === 0) return done; else return ctx.continueAsNew({ cursor: batch.at(-1) });
   */
  continueAsNew(input: unknown): Promise<never>;
  /**
   * Runs `fn` so that cancelling the workflow does not interrupt the ctx calls made inside it
   * (for cleanup and compensations).
   */
  uncancellable<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * A durable foreach with bounded concurrency. `failFast` (default) throws the first error and starts
   * no new items; `continue` runs every item and returns each outcome, like `Promise.allSettled`.
   * @example const receipts = await ctx.map(orders, (o) => ctx.activity(charge, o.id), { concurrency: 5 });
   */
  map<T, R>(
    items: readonly T[],
    fn: (item: T, index: number) => Promise<R>,
    options?: MapOptions & { onError?: 'failFast' },
  ): Promise<R[]>;
  map<T, R>(
    items: readonly T[],
    fn: (item: T, index: number) => Promise<R>,
    options: MapOptions & { onError: 'continue' },
  ): Promise<Settled<R>[]>;
  /**
   * Lets new code branch around histories recorded by old code: false while replaying a run that
   * reached this point before the change was deployed, true otherwise (and for the rest of the run).
   * @example if (ctx.patched('send-receipt')) await ctx.activity(sendReceipt, order.id);
   */
  patched(patchId: string): boolean;
  /** Once no running workflow predates a patch: the patched branch is always taken, nothing is recorded. */
  deprecatePatch(patchId: string): void;
  /**
   * Answers `client.query(id, name, args)` with `handler(...args)`: synchronous and read-only, it must
   * not change workflow state. Register handlers before the first await so replays see them early.
   * @example ctx.onQuery('status', () => ({ step, paid }));
   */
  // biome-ignore lint/suspicious/noExplicitAny: query arguments are JSON chosen by the caller.
  onQuery(name: string, handler: (...args: any[]) => unknown): void;
  /**
   * Handles `client.update(id, name, arg)`: `handler(arg)` runs as workflow code (it may run activities,
   * sleep and wait) and what it returns, or throws, goes back to the caller. `validate(arg)`, synchronous
   * and read-only, runs first: if it throws, the update is rejected and nothing is recorded. Updates
   * sent before the handler is registered wait for it, like signals.
   * @example ctx.onUpdate('addItem', async (item: Item) => { cart.push(item); return cart.length; },
   *   { validate: (item) => { if (!item.sku) throw new Error('an item needs a sku'); } });
   */
  onUpdate<A = unknown, R = unknown>(
    name: string,
    handler: (arg: A) => R | Promise<R>,
    options?: UpdateHandlerOptions<A>,
  ): void;
  /**
   * Runs `fn` once, live, and records what it returned (which must be JSON) or threw; a replay hands
   * back the record without calling `fn`. For a cheap read the code must not repeat differently on
   * replay: a feature flag, a setting, an id from another generator. `fn` is synchronous and runs
   * outside the determinism guard. Until the record is durable (the run's next flush, before anything
   * it leads to is started), a lost worker means `fn` runs again: an effect on the world is an
   * activity's job. A throw is recorded too, and rejects with `SideEffectFailure` on every replay.
   * @example const pricing = await ctx.sideEffect(() => process.env.PRICING_VERSION ?? 'v1');
   */
  sideEffect<T>(fn: () => T): Promise<T>;
  /** The time of the history event the workflow last received: stable across replays. */
  now(): Date;
  /** A number in [0, 1), the same sequence on every replay of this run. */
  random(): number;
  /** A version-4 UUID, the same sequence on every replay of this run. */
  uuid(): string;
}

/** A workflow: a plain async function of a context and one JSON input. */
// biome-ignore lint/suspicious/noExplicitAny: the input type is checked where the workflow is started.
export type WorkflowFn<I = any, O = unknown> = (ctx: WorkflowContext, input: I) => Promise<O>;

/** The input type of a workflow function. */
export type WorkflowInput<W> = W extends (ctx: WorkflowContext, input: infer I) => unknown ? I : never;

/** The result type of a workflow function. */
export type WorkflowResult<W> = W extends (ctx: WorkflowContext, input: never) => Promise<infer O>
  ? O
  : unknown;
