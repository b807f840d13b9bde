import { type ErrorInfo, type RetryPolicy, toMs } from '@reel/sdk';

/** Defaults for activities that set no retry policy. */
export const DEFAULT_RETRY = {
  maxAttempts: 5,
  initialInterval: 1000,
  backoffCoefficient: 2,
  backoff: 'exponential',
} as const;

/** The delay before attempt `attempt + 1`, or `undefined` when the activity must fail now. */
export function retryDelay(
  policy: RetryPolicy | undefined,
  attempt: number,
  error: ErrorInfo,
): number | undefined {
  const maxAttempts = policy?.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  if (error.nonRetryable || attempt >= maxAttempts) return undefined;
  const stop = policy?.nonRetryableErrors ?? [];
  if (stop.includes(error.name) || (error.code !== undefined && stop.includes(error.code))) return undefined;
  const initial = toMs(policy?.initialInterval ?? DEFAULT_RETRY.initialInterval, 'retry initialInterval');
  // As in Temporal, the longest delay defaults to 100 times the first.
  const max =
    policy?.maxInterval === undefined ? 100 * initial : toMs(policy.maxInterval, 'retry maxInterval');
  return Math.min(backoffDelay(policy, initial, attempt), max);
}

/** The uncapped delay before attempt `attempt + 1` under the policy's backoff strategy. */
function backoffDelay(policy: RetryPolicy | undefined, initial: number, attempt: number): number {
  switch (policy?.backoff ?? DEFAULT_RETRY.backoff) {
    case 'constant':
      return initial;
    case 'linear':
      return initial * attempt;
    default:
      return initial * (policy?.backoffCoefficient ?? DEFAULT_RETRY.backoffCoefficient) ** (attempt - 1);
  }
}
