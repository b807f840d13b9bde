import { type Duration, toMs } from './duration.ts';
import { ErrorCodes, ReelError } from './errors.ts';
import { checkKey } from './workflow/activity-limits.ts';

export { checkPriority } from './workflow/activity-limits.ts';

// The flow-control options of a start, checked before anything is written (docs/flow-control.md).
// Pure: a workflow's `ctx.startChild` checks its child's options with them too.

/** A start's concurrency limit: a key and how many open runs of that key may have started. */
export interface ConcurrencyLimit {
  key: string;
  limit: number;
}

/** A start's `debounce` option: starts of a key within `period` of each other make one run, the last input winning. */
export interface DebounceOptions {
  key: string;
  period: Duration;
  /**
   * At most this long after the burst's first start, the run starts though starts keep coming. At
   * least `period`. Unset: it waits for a pause of `period`, however long that takes.
   */
  maxWait?: Duration;
}

/** A start's `throttle` option: starts of a key within `period` of its run's start return that run. */
export interface ThrottleOptions {
  key: string;
  period: Duration;
}

function invalid(message: string): ReelError {
  return new ReelError(ErrorCodes.INVALID_ARGUMENT, message);
}

/** `concurrency`: a non-empty key of at most 256 characters and a positive integer limit. */
export function checkConcurrency(concurrency: unknown, delayed: boolean): ConcurrencyLimit | undefined {
  if (concurrency === undefined) return undefined;
  const { key, limit } = (concurrency ?? {}) as Partial<ConcurrencyLimit>;
  checkKey(key, 'concurrency.key');
  if (!Number.isSafeInteger(limit) || (limit as number) < 1) {
    throw invalid(`concurrency.limit must be a positive integer, not ${JSON.stringify(limit)}.`);
  }
  // A waiting run becomes claimable when a slot frees, which would cut a delay short.
  if (delayed) throw invalid('concurrency cannot be combined with startDelay: leave one of them out.');
  return { key: key as string, limit: limit as number };
}

/**
 * `debounce` or `throttle`: a key as `concurrency`'s and a period of at least 1 ms, and none of the
 * options in `clashes` that are present; a debounce's `maxWait`, if given, at least its period.
 * Returns the times in ms.
 */
export function checkCoalescing(
  option: 'debounce' | 'throttle',
  value: unknown,
  clashes: Record<string, boolean>,
): { key: string; periodMs: number; maxWaitMs?: number } | undefined {
  if (value === undefined) return undefined;
  const { key, period, maxWait } = (value ?? {}) as Partial<DebounceOptions>;
  checkKey(key, `${option}.key`);
  const periodMs = toMs(period as Duration, `${option}.period`);
  if (periodMs < 1) throw invalid(`${option}.period must be at least 1 ms, not ${JSON.stringify(period)}.`);
  const clash = Object.keys(clashes).find((name) => clashes[name]);
  if (clash) throw invalid(`${option} cannot be combined with ${clash}: leave one of them out.`);
  if (option === 'throttle' || maxWait === undefined) return { key: key as string, periodMs };
  const maxWaitMs = toMs(maxWait, 'debounce.maxWait');
  if (maxWaitMs < periodMs)
    throw invalid(
      `debounce.maxWait must be at least debounce.period (${periodMs} ms), not ${JSON.stringify(maxWait)}.`,
    );
  return { key: key as string, periodMs, maxWaitMs };
}
