import { type Duration, toMs } from '../duration.ts';
import { ErrorCodes, ReelError } from '../errors.ts';
import type { ConcurrencyLimit } from '../store/store.ts';
import { checkKey } from '../workflow/activity-limits.ts';

export { checkPriority } from '../workflow/activity-limits.ts';

// The flow-control start options, checked before anything is written (docs/flow-control.md).

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
