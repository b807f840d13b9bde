import { assertJson, type Json } from '../codec.ts';
import { ErrorCodes, type ErrorInfo, ReelError, toErrorInfo } from '../errors.ts';

interface Handler {
  run: (arg: unknown) => unknown;
  validate?: (arg: unknown) => void;
}

/** An update as `update_accepted` records it. */
export interface AcceptedUpdate {
  updateId: string;
  name: string;
  arg: Json | undefined;
}

/** How an update's handler ended: what `update_completed` records. */
export type UpdateOutcome = { result: Json | undefined } | { error: ErrorInfo };

/** What the updates need from the replayer that runs the code. */
export interface UpdatesHost {
  /** Runs workflow code (a handler, a validator) in its determinism scope. */
  runGuarded<T>(fn: () => T): T;
  /** A handler ended, and history has no `update_completed` for it yet: records one. */
  complete(updateId: string, outcome: UpdateOutcome): void;
}

/**
 * The handlers of `ctx.onUpdate`, and the accepted updates waiting for theirs. The validator runs live
 * only, before anything is recorded (`validate`); an `update_accepted` event then runs the handler as
 * workflow code, on replay as live, and its outcome is recorded as `update_completed`.
 */
export class Updates {
  private readonly handlers = new Map<string, Handler>();
  private buffered: AcceptedUpdate[] = [];
  /** The updates whose `update_completed` is in history: replay does not record them again. */
  private readonly completed = new Set<string>();

  constructor(private readonly host: UpdatesHost) {}

  /** `ctx.onUpdate`: later updates of `name` go to `handler`, and the accepted ones waiting now, in order. */
  register(name: string, handler: Handler): void {
    this.handlers.set(name, handler);
    const waiting = this.buffered.filter((u) => u.name === name);
    this.buffered = this.buffered.filter((u) => u.name !== name);
    for (const update of waiting) this.run(handler, update);
  }

  /**
   * Whether an update may be recorded: `accepted`, rejected by its validator (with the error, whose code
   * is `REEL_UPDATE_REJECTED`), or `unhandled` while no handler of `name` is registered yet.
   */
  validate(name: string, arg: Json | undefined): 'accepted' | 'unhandled' | { rejected: ErrorInfo } {
    const handler = this.handlers.get(name);
    if (!handler) return 'unhandled';
    try {
      this.host.runGuarded(() => handler.validate?.(arg));
      return 'accepted';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return { rejected: toErrorInfo(new ReelError(ErrorCodes.UPDATE_REJECTED, message)) };
    }
  }

  /** History has `update_completed` for `updateId` (replayed, or recorded live). */
  recorded(updateId: string): void {
    this.completed.add(updateId);
  }

  /** An `update_accepted` event: to its handler, else waiting for one. */
  deliver(update: AcceptedUpdate): void {
    const handler = this.handlers.get(update.name);
    if (handler) this.run(handler, update);
    else this.buffered.push(update);
  }

  private run(handler: Handler, { updateId, arg }: AcceptedUpdate): void {
    const fail = (err: unknown) => this.complete(updateId, { error: toErrorInfo(err) });
    const succeed = (value: unknown) => {
      try {
        this.complete(updateId, { result: assertJson(value, 'The update result') });
      } catch (err) {
        fail(err);
      }
    };
    try {
      Promise.resolve(this.host.runGuarded(() => handler.run(arg))).then(succeed, fail);
    } catch (err) {
      fail(err);
    }
  }

  private complete(updateId: string, outcome: UpdateOutcome): void {
    if (!this.completed.has(updateId)) this.host.complete(updateId, outcome);
  }
}
