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

/**
 * How the engine ends an attempt before its function returns: `stop` ends it at once (the lease is
 * lost, the run closed), and its outcome is not recorded; `cancel` asks the function to stop (the
 * workflow was cancelled): the attempt's `AbortSignal` fires, and the attempt still ends only when
 * the function settles or a timeout fires, so that what it did is known. Either may come before the
 * attempt starts. Plain calls, not `AbortSignal`s: an attempt is cheap when neither comes.
 */
export class AttemptControl {
  private stopped: { reason: unknown } | undefined;
  private cancelled: { reason: unknown } | undefined;
  private attempt: { stop(reason: unknown): void; cancel(reason: unknown): void } | undefined;

  stop(reason: unknown): void {
    this.stopped ??= { reason };
    this.attempt?.stop(reason);
  }

  cancel(reason: unknown): void {
    this.cancelled ??= { reason };
    this.attempt?.cancel(reason);
  }

  /** For `runAttempt`: what it does on each; told at once of one that already came. */
  attach(attempt: { stop(reason: unknown): void; cancel(reason: unknown): void }): void {
    this.attempt = attempt;
    if (this.cancelled) attempt.cancel(this.cancelled.reason);
    if (this.stopped) attempt.stop(this.stopped.reason);
  }
}

/**
 * The attempt's `AbortSignal`, made only when the activity reads it (most never do); one read after
 * the abort is aborted already, with the same reason.
 */
class LazyAbort {
  aborted = false;
  private reason: unknown;
  private controller: AbortController | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

/**
 * Runs one attempt of an activity with its start-to-close and heartbeat timeouts. The attempt's
 * `AbortSignal` fires on either timeout or on `control.stop`, and the attempt ends then, whether or
 * not the function stops; it fires too on `control.cancel`, and the attempt goes on. A result that is
 * not JSON fails the attempt without retry. A failed attempt's error carries the last heartbeat
 * details (of this attempt or an earlier one) as `details.lastHeartbeat`, so history keeps them for
 * the next attempt, on any worker. A stop or a timeout fails the attempt with its reason.
 */
export function runAttempt(
  fn: ActivityFn,
  args: Json[],
  context: AttemptNames,
  timeoutMs: number,
  control: AttemptControl,
  heartbeat: HeartbeatOptions = {},
): Promise<AttemptResult> {
  return new Promise((resolve) => new Attempt(context, timeoutMs, heartbeat, resolve).run(fn, args, control));
}

type AttemptNames = Omit<ActivityContext, 'signal' | 'heartbeat' | 'lastHeartbeat'>;

/** One attempt under way: its timers, its signal, its last heartbeat details; settles once. */
class Attempt {
  private ended = false;
  private readonly abort = new LazyAbort();
  private readonly timer: NodeJS.Timeout;
  private beatTimer: NodeJS.Timeout | undefined;
  private latest: Json | undefined;

  constructor(
    private readonly context: AttemptNames,
    timeoutMs: number,
    private readonly heartbeat: HeartbeatOptions,
    private readonly resolve: (result: AttemptResult) => void,
  ) {
    this.latest = heartbeat.last;
    this.timer = setTimeout(() => {
      this.stop(
        new ReelError(
          ErrorCodes.ACTIVITY_TIMEOUT,
          `Activity '${context.activity}' attempt ${context.attempt} exceeded its start-to-close timeout of ${timeoutMs} ms.`,
        ),
      );
    }, timeoutMs);
    this.arm();
  }

  run(fn: ActivityFn, args: Json[], control: AttemptControl): void {
    control.attach(this);
    if (this.ended) return;
    const attempt = this;
    const scope: ActivityContext = {
      ...this.context,
      get signal() {
        return attempt.abort.signal;
      },
      heartbeat: (details) => this.beat(details),
      ...(this.heartbeat.last === undefined ? {} : { lastHeartbeat: this.heartbeat.last }),
    };
    try {
      // A settlement after the attempt ended (a timeout, a stop) is ignored.
      Promise.resolve(activityStorage.run(scope, () => fn(...args))).then(
        (value) => this.returned(value),
        (err) => this.settle(this.failed(toErrorInfo(err))),
      );
    } catch (err) {
      this.settle(this.failed(toErrorInfo(err)));
    }
  }

  stop(reason: unknown): void {
    this.abort.abort(reason);
    this.settle(this.failed(toErrorInfo(reason)));
  }

  cancel(reason: unknown): void {
    this.abort.abort(reason);
  }

  private returned(value: unknown): void {
    if (this.ended) return;
    let result: AttemptResult;
    try {
      result = { ok: true, value: assertJson(value, `The result of activity '${this.context.activity}'`) };
    } catch (err) {
      result = this.failed({ ...toErrorInfo(err), nonRetryable: true });
    }
    this.settle(result);
  }

  private settle(result: AttemptResult): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    clearTimeout(this.beatTimer);
    this.resolve(result);
  }

  private failed(info: ErrorInfo): AttemptResult {
    const { latest } = this;
    return {
      ok: false,
      error: latest === undefined ? info : { ...info, details: { lastHeartbeat: latest } },
    };
  }

  private beat(details?: Json): void {
    if (this.abort.aborted) return;
    if (details !== undefined) {
      const checked = assertJson(details, `The heartbeat details of activity '${this.context.activity}'`);
      this.latest = JSON.parse(JSON.stringify(checked)) as Json; // a snapshot: later mutations are not progress
      this.heartbeat.onDetails?.(this.latest);
    }
    this.arm();
  }

  private arm(): void {
    const ms = this.heartbeat.timeoutMs;
    if (ms === undefined) return;
    clearTimeout(this.beatTimer);
    this.beatTimer = setTimeout(() => {
      this.stop(
        new ReelError(
          ErrorCodes.ACTIVITY_TIMEOUT,
          `Activity '${this.context.activity}' attempt ${this.context.attempt} did not heartbeat within its heartbeat timeout of ${ms} ms. Call activityContext().heartbeat() more often, or raise heartbeatTimeout.`,
        ),
      );
    }, ms);
  }
}
