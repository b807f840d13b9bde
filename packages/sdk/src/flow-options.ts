import { type Duration, toMs } from './duration.ts';
import { ErrorCodes, ReelError } from './errors.ts';

// The flow-control options of a start, checked before anything is written (docs/flow-control.md).
// Pure: a workflow's `ctx.startChild` checks its child's options with them too.

const MAX_KEY = 256;

/** A start's concurrency limit: a key and how many open runs of that key may have started. */
export interface ConcurrencyLimit {
  key: string;
  limit: number;
}

/** A start's `debounce` option: starts of a key within `period` of each other make one run, the last input winning. */
export interface DebounceOptions {
  key: string;
  period: Duration;
}

/** A start's `throttle` option: starts of a key within `period` of its run's start return that run. */
export interface ThrottleOptions {
  key: string;
  period: Duration;
}

function invalid(message: string): ReelError {
  return new ReelError(ErrorCodes.INVALID_ARGUMENT, message);
}

function checkKey(key: unknown, what: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY || key.includes('\u0000')) {
    throw invalid(
      `${what} must be a non-empty string of at most ${MAX_KEY} characters, not ${JSON.stringify(key)}.`,
    );
  }
  return key;
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

/** `priority`: an integer from 0 (the default) to 10. */
export function checkPriority(priority: unknown): number | undefined {
  if (priority === undefined) return undefined;
  if (!Number.isInteger(priority) || (priority as number) < 0 || (priority as number) > 10) {
    throw invalid(`priority must be an integer from 0 to 10, not ${JSON.stringify(priority)}.`);
  }
  return priority as number;
}

/**
 * `debounce` or `throttle`: a key as `concurrency`'s and a period of at least 1 ms, and none of the
 * options in `clashes` that are present. Returns the period in ms.
 */
export function checkCoalescing(
  option: 'debounce' | 'throttle',
  value: unknown,
  clashes: Record<string, boolean>,
): { key: string; periodMs: number } | undefined {
  if (value === undefined) return undefined;
  const { key, period } = (value ?? {}) as Partial<DebounceOptions>;
  checkKey(key, `${option}.key`);
  const periodMs = toMs(period as Duration, `${option}.period`);
  if (periodMs < 1) throw invalid(`${option}.period must be at least 1 ms, not ${JSON.stringify(period)}.`);
  const clash = Object.keys(clashes).find((name) => clashes[name]);
  if (clash) throw invalid(`${option} cannot be combined with ${clash}: leave one of them out.`);
  return { key: key as string, periodMs };
}
