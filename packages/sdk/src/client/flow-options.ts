import { ErrorCodes, ReelError } from '../errors.ts';
import type { ConcurrencyLimit } from '../store/store.ts';

// The flow-control start options, checked before anything is written (docs/flow-control.md).

const MAX_KEY = 256;

function invalid(message: string): ReelError {
  return new ReelError(ErrorCodes.INVALID_ARGUMENT, message);
}

/** `concurrency`: a non-empty key of at most 256 characters and a positive integer limit. */
export function checkConcurrency(concurrency: unknown, delayed: boolean): ConcurrencyLimit | undefined {
  if (concurrency === undefined) return undefined;
  const { key, limit } = (concurrency ?? {}) as Partial<ConcurrencyLimit>;
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY || key.includes('\u0000')) {
    throw invalid(
      `concurrency.key must be a non-empty string of at most ${MAX_KEY} characters, not ${JSON.stringify(key)}.`,
    );
  }
  if (!Number.isSafeInteger(limit) || (limit as number) < 1) {
    throw invalid(`concurrency.limit must be a positive integer, not ${JSON.stringify(limit)}.`);
  }
  // A waiting run becomes claimable when a slot frees, which would cut a delay short.
  if (delayed) throw invalid('concurrency cannot be combined with startDelay: leave one of them out.');
  return { key, limit: limit as number };
}

/** `priority`: an integer from 0 (the default) to 10. */
export function checkPriority(priority: unknown): number | undefined {
  if (priority === undefined) return undefined;
  if (!Number.isInteger(priority) || (priority as number) < 0 || (priority as number) > 10) {
    throw invalid(`priority must be an integer from 0 to 10, not ${JSON.stringify(priority)}.`);
  }
  return priority as number;
}
