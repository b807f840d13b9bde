import {
  type ActivityContext,
  type ActivityFn,
  activityStorage,
  assertJson,
  ErrorCodes,
  type ErrorInfo,
  type Json,
  ReelError,
  toErrorInfo,
} from '@reel/sdk';

export type AttemptResult = { ok: true; value: Json | undefined } | { ok: false; error: ErrorInfo };

/**
 * Runs one attempt of an activity with its start-to-close timeout. The attempt's `AbortSignal` fires
 * on timeout or when `cancel` fires; a result that is not JSON fails the attempt without retry.
 */
export async function runAttempt(
  fn: ActivityFn,
  args: Json[],
  context: Omit<ActivityContext, 'signal'>,
  timeoutMs: number,
  cancel: AbortSignal,
): Promise<AttemptResult> {
  const controller = new AbortController();
  const abort = () => controller.abort(cancel.reason);
  cancel.addEventListener('abort', abort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new ReelError(
        ErrorCodes.ACTIVITY_TIMEOUT,
        `Activity '${context.activity}' attempt ${context.attempt} exceeded its start-to-close timeout of ${timeoutMs} ms.`,
      );
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    const run = activityStorage.run({ ...context, signal: controller.signal }, async () => fn(...args));
    const value = await Promise.race([run, timedOut]);
    try {
      return { ok: true, value: assertJson(value, `The result of activity '${context.activity}'`) };
    } catch (err) {
      return { ok: false, error: { ...toErrorInfo(err), nonRetryable: true } };
    }
  } catch (err) {
    return { ok: false, error: toErrorInfo(err) };
  } finally {
    clearTimeout(timer);
    cancel.removeEventListener('abort', abort);
  }
}
