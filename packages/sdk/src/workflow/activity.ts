import { type Duration, toMs } from '../duration.ts';

/** How an activity is retried. Delays grow as `initialInterval * backoffCoefficient^(attempt-1)`, capped. */
export interface RetryPolicy {
  /** Total attempts, including the first. Default 5; `Infinity` retries forever. */
  maxAttempts?: number;
  /** Delay before the second attempt. Default 1s. */
  initialInterval?: Duration;
  /** Growth factor between delays. Default 2. */
  backoffCoefficient?: number;
  /** Longest delay. Default 100 × `initialInterval`. */
  maxInterval?: Duration;
  /** Error names (`err.name`) or codes (`err.code`) that fail the activity at once. */
  nonRetryableErrors?: string[];
}

/** Per-activity options, set once with `defineActivity`. */
export interface ActivityOptions {
  /** The name history records, when the worker's registry does not give one (e.g. an arrow function). */
  name?: string;
  retry?: RetryPolicy;
  /** Longest a single attempt may run before it counts as failed. Default 5 minutes. */
  startToCloseTimeout?: Duration;
}

/** Any function a workflow can call through `ctx.activity`. */
// biome-ignore lint/suspicious/noExplicitAny: activity arguments are checked at the call site.
export type ActivityFn = (...args: any[]) => unknown;

const OPTIONS = Symbol.for('reel.activityOptions');

/**
 * Attaches options to an activity function and returns the same function, still callable directly.
 * @example
 * export const chargeCard = defineActivity(async (card: string, cents: number) => pay(card, cents), {
 *   retry: { maxAttempts: 3, nonRetryableErrors: ['CardDeclined'] },
 *   startToCloseTimeout: '30s',
 * });
 */
export function defineActivity<F extends ActivityFn>(fn: F, options: ActivityOptions): F {
  // Fail at definition, not in the middle of a run.
  for (const [key, value] of [
    ['startToCloseTimeout', options.startToCloseTimeout],
    ['retry.initialInterval', options.retry?.initialInterval],
    ['retry.maxInterval', options.retry?.maxInterval],
  ] as const) {
    if (value !== undefined) toMs(value, key);
  }
  (fn as unknown as Record<symbol, ActivityOptions>)[OPTIONS] = options;
  return fn;
}

/** The options `defineActivity` attached, or `{}`. */
export function activityOptions(fn: ActivityFn): ActivityOptions {
  return (fn as unknown as Record<symbol, ActivityOptions | undefined>)[OPTIONS] ?? {};
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
