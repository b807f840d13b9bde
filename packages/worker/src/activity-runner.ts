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

/** Heartbeat settings of one attempt. */
export interface HeartbeatOptions {
  /** Fail the attempt when it goes this long without a heartbeat. Default: never. */
  timeoutMs?: number;
  /** What an earlier attempt last sent, offered as `activityContext().lastHeartbeat`. */
  last?: Json;
  /** Told of every heartbeat that carries details (a task worker stores them as it renews its claim). */
  onDetails?(details: Json): void;
}

/** How the engine ends an attempt before its function returns. */
export interface AttemptSignals {
  /** Ends the attempt at once (the lease is lost, the run closed); its outcome is not recorded. */
  stop: AbortSignal;
  /**
   * Asks the function to stop (the workflow was cancelled): the attempt's `AbortSignal` fires, and the
   * attempt still ends only when the function settles or a timeout fires, so that what it did is known.
   */
  cancel?: AbortSignal;
}

/**
 * Runs one attempt of an activity with its start-to-close and heartbeat timeouts. The attempt's
 * `AbortSignal` fires on either timeout or when `stop` fires, and the attempt ends then, whether or
 * not the function stops; it fires too when `cancel` does, and the attempt goes on. A result that is
 * not JSON fails the attempt without retry. A failed attempt's error carries the last heartbeat
 * details (of this attempt or an earlier one) as `details.lastHeartbeat`, so history keeps them for
 * the next attempt, on any worker.
 */
export async function runAttempt(
  fn: ActivityFn,
  args: Json[],
  context: Omit<ActivityContext, 'signal' | 'heartbeat' | 'lastHeartbeat'>,
  timeoutMs: number,
  { stop: hardStop, cancel }: AttemptSignals,
  heartbeat: HeartbeatOptions = {},
): Promise<AttemptResult> {
  const controller = new AbortController();
  let stop!: (reason: unknown) => void;
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  stopped.catch(() => undefined); // raced below; may settle before the race starts
  const end = (reason: unknown) => {
    controller.abort(reason);
    stop(reason);
  };
  const abort = () => end(hardStop.reason);
  const ask = () => controller.abort(cancel?.reason);
  if (hardStop.aborted) abort();
  else hardStop.addEventListener('abort', abort, { once: true });
  if (cancel?.aborted) ask();
  else cancel?.addEventListener('abort', ask, { once: true });
  const timer = setTimeout(() => {
    end(
      new ReelError(
        ErrorCodes.ACTIVITY_TIMEOUT,
        `Activity '${context.activity}' attempt ${context.attempt} exceeded its start-to-close timeout of ${timeoutMs} ms.`,
      ),
    );
  }, timeoutMs);
  let beatTimer: NodeJS.Timeout | undefined;
  const arm = () => {
    const ms = heartbeat.timeoutMs;
    if (ms === undefined) return;
    clearTimeout(beatTimer);
    beatTimer = setTimeout(() => {
      end(
        new ReelError(
          ErrorCodes.ACTIVITY_TIMEOUT,
          `Activity '${context.activity}' attempt ${context.attempt} did not heartbeat within its heartbeat timeout of ${ms} ms. Call activityContext().heartbeat() more often, or raise heartbeatTimeout.`,
        ),
      );
    }, ms);
  };
  let latest = heartbeat.last;
  const beat = (details?: Json) => {
    if (controller.signal.aborted) return;
    if (details !== undefined) {
      const checked = assertJson(details, `The heartbeat details of activity '${context.activity}'`);
      latest = JSON.parse(JSON.stringify(checked)) as Json; // a snapshot: later mutations are not progress
      heartbeat.onDetails?.(latest);
    }
    arm();
  };
  arm();
  const failed = (info: ErrorInfo): AttemptResult => ({
    ok: false,
    error: latest === undefined ? info : { ...info, details: { lastHeartbeat: latest } },
  });
  try {
    const scope: ActivityContext = {
      ...context,
      signal: controller.signal,
      heartbeat: beat,
      ...(heartbeat.last === undefined ? {} : { lastHeartbeat: heartbeat.last }),
    };
    const run = activityStorage.run(scope, async () => fn(...args));
    run.catch(() => undefined); // it may reject after the attempt has ended on a timeout or cancel
    const value = await Promise.race([run, stopped]);
    try {
      return { ok: true, value: assertJson(value, `The result of activity '${context.activity}'`) };
    } catch (err) {
      return failed({ ...toErrorInfo(err), nonRetryable: true });
    }
  } catch (err) {
    return failed(toErrorInfo(err));
  } finally {
    clearTimeout(timer);
    clearTimeout(beatTimer);
    hardStop.removeEventListener('abort', abort);
    cancel?.removeEventListener('abort', ask);
  }
}
