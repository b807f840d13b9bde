import { type Duration, toMs } from '../duration.ts';
import { ErrorCodes, ReelError } from '../errors.ts';
import { type ActivityConcurrency, type ActivityRateLimit, checkLimitOptions } from './activity-limits.ts';

/**
 * How an activity is retried. The delay before attempt n + 1 follows `backoff` (default exponential:
 * `initialInterval * backoffCoefficient^(n-1)`), capped by `maxInterval`.
 */
export interface RetryPolicy {
  /** Total attempts, including the first. Default 5; `Infinity` retries forever. */
  maxAttempts?: number;
  /** Delay before the second attempt. Default 1s. */
  initialInterval?: Duration;
  /** Growth factor between delays, for exponential backoff. Default 2. */
  backoffCoefficient?: number;
  /**
   * How delays grow: `exponential` (default), `linear` (`initialInterval * n` before attempt n + 1) or
   * `constant` (always `initialInterval`).
   */
  backoff?: BackoffStrategy;
  /** Longest delay. Default 100 × `initialInterval`. */
  maxInterval?: Duration;
  /** Error names (`err.name`) or codes (`err.code`) that fail the activity at once. */
  nonRetryableErrors?: string[];
}

/** How retry delays grow; see `RetryPolicy.backoff`. */
export type BackoffStrategy = 'exponential' | 'linear' | 'constant';

const BACKOFF_STRATEGIES: readonly string[] = [
  'exponential',
  'linear',
  'constant',
] satisfies BackoffStrategy[];

/** Per-activity options, set once with `defineActivity`. */
export interface ActivityOptions {
  /** The name history records, when the worker's registry does not give one (e.g. an arrow function). */
  name?: string;
  retry?: RetryPolicy;
  /** Longest a single attempt may run before it counts as failed. Default 5 minutes. */
  startToCloseTimeout?: Duration;
  /**
   * Longest an attempt may go without calling `activityContext().heartbeat()`; past it the attempt
   * fails with `REEL_ACTIVITY_TIMEOUT` and is retried. Default: no heartbeat needed.
   */
  heartbeatTimeout?: Duration;
  /**
   * Runs the activity on a worker serving this task queue (`Worker.create({ taskQueues })`) instead of
   * the worker that holds the workflow. Default: the workflow's worker runs it.
   */
  taskQueue?: string;
  /**
   * At most `limit` attempts of the key run at once, across all workers; the others wait, costing
   * nothing, and start as slots free (docs/flow-control.md). The attempts then go through a queue
   * every worker registering the activity serves (or through `taskQueue`, if given).
   * @example { key: (accountId: string) => accountId, limit: 2 }
   */
  concurrency?: ActivityConcurrency;
  /**
   * At most `limit` attempts of the key start per `per`, across all workers; an attempt over it waits
   * for its turn. Queued as with `concurrency`.
   * @example { key: 'stripe', limit: 100, per: '1s' }
   */
  rateLimit?: ActivityRateLimit;
  /**
   * 0 to 10: queued attempts of higher priority are claimed first (a minute of waiting per level, as
   * for runs). Only for activities with a `taskQueue`, `concurrency` or `rateLimit`. Default: the run's.
   */
  priority?: number;
}

/** Any function a workflow can call through `ctx.activity`. */
// biome-ignore lint/suspicious/noExplicitAny: activity arguments are checked at the call site.
export type ActivityFn = (...args: any[]) => unknown;

/**
 * A function `ctx.transaction` runs: its first parameter is a `pg` client inside a transaction on Reel's
 * database (typed by the function itself; `never` here keeps `pg` out of workflow code), the rest are
 * the arguments the workflow passes.
 */
// biome-ignore lint/suspicious/noExplicitAny: the arguments are checked at the call site.
export type TransactionFn = (client: never, ...args: any[]) => unknown;

/** The arguments a workflow passes to `ctx.transaction(fn, ...)`: `fn`'s parameters after the client. */
export type TransactionArgs<F extends TransactionFn> = F extends (client: never, ...args: infer A) => unknown
  ? A
  : never;

const OPTIONS = Symbol.for('reel.activityOptions');

/**
 * Attaches options to an activity function and returns the same function, still callable directly.
 * @example
 * export const chargeCard = defineActivity(async (card: string, cents: number) => pay(card, cents), {
 *   retry: { maxAttempts: 3, nonRetryableErrors: ['CardDeclined'] },
 *   startToCloseTimeout: '30s',
 * });
 */
export function defineActivity<F extends ActivityFn>(fn: F, options: ActivityOptions = {}): F {
  checkActivityOptions(options); // fail at definition, not in the middle of a run
  (fn as unknown as Record<symbol, ActivityOptions>)[OPTIONS] = options;
  return fn;
}

const invalid = (message: string) => new ReelError(ErrorCodes.INVALID_ARGUMENT, message);

function checkActivityOptions(options: ActivityOptions): void {
  if (typeof options !== 'object' || options === null)
    throw invalid(`defineActivity's options are an object, not ${JSON.stringify(options)}.`);
  const { name, retry = {}, taskQueue } = options;
  if (typeof retry !== 'object' || retry === null)
    throw invalid(`retry must be an object, not ${JSON.stringify(retry)}.`);
  for (const [key, value] of [
    ['startToCloseTimeout', options.startToCloseTimeout],
    ['heartbeatTimeout', options.heartbeatTimeout],
    ['retry.initialInterval', retry.initialInterval],
    ['retry.maxInterval', retry.maxInterval],
  ] as const) {
    if (value !== undefined) toMs(value, key);
  }
  const { maxAttempts, backoffCoefficient, backoff, nonRetryableErrors } = retry;
  if (
    maxAttempts !== undefined &&
    !(maxAttempts === Infinity || (Number.isInteger(maxAttempts) && maxAttempts >= 1))
  )
    throw invalid(`retry.maxAttempts must be an integer >= 1 or Infinity, not ${String(maxAttempts)}.`);
  if (
    backoffCoefficient !== undefined &&
    !(
      typeof backoffCoefficient === 'number' &&
      Number.isFinite(backoffCoefficient) &&
      backoffCoefficient >= 1
    )
  )
    throw invalid(
      `retry.backoffCoefficient must be a finite number >= 1, not ${String(backoffCoefficient)}.`,
    );
  if (backoff !== undefined && !BACKOFF_STRATEGIES.includes(backoff))
    throw invalid(
      `retry.backoff must be 'exponential', 'linear' or 'constant', not ${JSON.stringify(backoff)}.`,
    );
  if (
    nonRetryableErrors !== undefined &&
    !(Array.isArray(nonRetryableErrors) && nonRetryableErrors.every((e) => typeof e === 'string'))
  )
    throw invalid(
      `retry.nonRetryableErrors must be an array of error names or codes, not ${JSON.stringify(nonRetryableErrors)}.`,
    );
  for (const [key, value] of [
    ['name', name],
    ['taskQueue', taskQueue],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || value === ''))
      throw invalid(`${key} must be a non-empty string, not ${JSON.stringify(value)}.`);
  }
  checkLimitOptions(options);
}

/** An activity's options when `defineActivity` attached none: one object, read on every command. */
const NO_OPTIONS: ActivityOptions = Object.freeze({});

/** The options `defineActivity` attached, or none (`{}`). */
export function activityOptions(fn: ActivityFn): ActivityOptions {
  return (fn as unknown as Record<symbol, ActivityOptions | undefined>)[OPTIONS] ?? NO_OPTIONS;
}

const REPLACES = Symbol.for('reel.activityReplaces');

/**
 * Marks `replacement` as standing in for `original` (a test mock): a worker that registers the
 * replacement under a name also answers `ctx.activity(original)` with it.
 */
export function replaceActivity<F extends ActivityFn>(original: F, replacement: ActivityFn): F {
  const fn = ((...args: unknown[]) => replacement(...args)) as unknown as F;
  (fn as unknown as Record<symbol, unknown>)[REPLACES] = original;
  (fn as unknown as Record<symbol, unknown>)[OPTIONS] = activityOptions(original);
  return fn;
}

/** The function `fn` stands in for, if it was made by `replaceActivity`. */
export function replacedActivity(fn: ActivityFn): ActivityFn | undefined {
  return (fn as unknown as Record<symbol, ActivityFn | undefined>)[REPLACES];
}
