import { type Duration, toMs } from '../duration.ts';
import { ErrorCodes, ReelError } from '../errors.ts';
import type { ConcurrencyLimit } from '../store/store.ts';

// The flow-control start options, checked before anything is written (docs/flow-control.md).

const MAX_KEY = 256;

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

/** A start's `debounce` option. */
export interface DebounceOptions {
  key: string;
  period: Duration;
}

/**
 * `debounce`: a key as `concurrency`'s and a period of at least 1 ms; not with an `id` (the run's is
 * the first start's), `startDelay` (the period is the delay) or `concurrency`. Returns the period in ms.
 */
export function checkDebounce(
  debounce: unknown,
  others: { id: boolean; delayed: boolean; concurrency: boolean },
): { key: string; periodMs: number } | undefined {
  if (debounce === undefined) return undefined;
  const { key, period } = (debounce ?? {}) as Partial<DebounceOptions>;
  checkKey(key, 'debounce.key');
  const periodMs = toMs(period as Duration, 'debounce.period');
  if (periodMs < 1) throw invalid(`debounce.period must be at least 1 ms, not ${JSON.stringify(period)}.`);
  const clash = others.id
    ? 'id'
    : others.delayed
      ? 'startDelay'
      : others.concurrency
        ? 'concurrency'
        : undefined;
  if (clash) throw invalid(`debounce cannot be combined with ${clash}: leave one of them out.`);
  return { key: key as string, periodMs };
}
