import { type ErrorInfo, type RetryPolicy, toMs } from '@reel/sdk';

/** Defaults for activities that set no retry policy. */
export const DEFAULT_RETRY = {
  maxAttempts: 5,
  initialInterval: 1000,
  backoffCoefficient: 2,
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
  const coefficient = policy?.backoffCoefficient ?? DEFAULT_RETRY.backoffCoefficient;
  return Math.min(initial * coefficient ** (attempt - 1), max);
}
