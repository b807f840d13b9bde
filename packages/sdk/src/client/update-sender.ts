import { randomUUID } from 'node:crypto';
import { assertJson, type Json } from '../codec.ts';
import { type Duration, toMs } from '../duration.ts';
import { type ErrorCode, ErrorCodes, ReelError } from '../errors.ts';
import type { Store, UpdateState } from '../store/store.ts';
import { type ClientNotifications, POLL_MS } from './notifications.ts';
import { checkId, checkName, notFound } from './validate.ts';

/** Options of `client.update`. */
export interface UpdateOptions {
  /**
   * Identifies the update within its workflow id: sending the same id again sends nothing and returns
   * the first one's outcome. Default: a random UUID.
   */
  updateId?: string;
  /** How long to wait for the outcome (`REEL_UPDATE_TIMEOUT` after it; the update goes on). Default: no limit. */
  timeout?: Duration;
}

/**
 * Sends `client.update` requests: puts the update in the run's inbox (once per update id), then waits
 * for its outcome, woken by the store's update and close notifications, or a poll.
 */
export class UpdateSender {
  constructor(
    private readonly store: Store,
    private readonly clock: () => Date,
    private readonly notifications: ClientNotifications,
  ) {}

  /** Sends update `name` with `arg` to `workflowId` and returns its handler's result; see `Client.update`. */
  async update<R>(workflowId: string, name: string, arg: unknown, options: UpdateOptions): Promise<R> {
    const { updateId, json, deadline } = checkUpdate(workflowId, name, arg, options);
    await this.notifications.listen();
    const sent = await this.store.sendUpdate(workflowId, { updateId, name, arg: json }, this.clock());
    if (sent === 'not_found') throw notFound(workflowId);
    if (sent === 'closed')
      throw closedError(`Workflow ${workflowId} has closed, so update '${name}' cannot run`);
    for (;;) {
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const stopUpdates = this.notifications.onUpdate(workflowId, wake);
      const stopCloses = this.notifications.onClosed(workflowId, wake);
      try {
        const state = await this.store.readUpdate(workflowId, updateId);
        if (state && state.status !== 'pending') return outcome(workflowId, name, state) as R;
        const left = deadline - Date.now();
        if (left <= 0) throw updateTimeout(workflowId, name, updateId);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([woken, new Promise((r) => (timer = setTimeout(r, Math.min(left, POLL_MS))))]);
        clearTimeout(timer);
      } finally {
        stopUpdates();
        stopCloses();
      }
    }
  }
}

/**
 * Checks `update`'s arguments (shared with `HttpClient`): the update id to send (given, or a random
 * UUID), the argument as JSON, and the `Date.now()` time the wait ends.
 */
export function checkUpdate(
  workflowId: string,
  name: string,
  arg: unknown,
  options: UpdateOptions,
): { updateId: string; json: Json | undefined; deadline: number } {
  checkId(workflowId);
  checkName(name, 'update name');
  return {
    updateId: checkName(options.updateId ?? randomUUID(), 'update id'),
    json: assertJson(arg, `The argument of update '${name}'`),
    deadline: options.timeout === undefined ? Infinity : Date.now() + toMs(options.timeout, 'update timeout'),
  };
}

/** The handler's result, or the error an update's outcome stands for. */
function outcome(
  workflowId: string,
  name: string,
  state: Exclude<UpdateState, { status: 'pending' }>,
): unknown {
  switch (state.status) {
    case 'completed':
      return state.result;
    case 'rejected':
      throw new ReelError(ErrorCodes.UPDATE_REJECTED, state.error.message);
    case 'failed':
      // a handler's own codes (e.g. ENOENT) are not Reel's: they become REEL_UPDATE_FAILED
      throw new ReelError(
        state.error.code?.startsWith('REEL_') ? (state.error.code as ErrorCode) : ErrorCodes.UPDATE_FAILED,
        state.error.message,
      );
    case 'closed':
      throw closedError(
        `Workflow ${workflowId} closed (${state.runStatus}) before update '${name}' completed`,
      );
  }
}

/** `REEL_UPDATE_TIMEOUT`: no outcome yet (shared with `HttpClient`). */
export function updateTimeout(workflowId: string, name: string, updateId: string): ReelError {
  return new ReelError(
    ErrorCodes.UPDATE_TIMEOUT,
    `Update '${name}' (${updateId}) of workflow ${workflowId} has no outcome within the timeout; it is still pending. Call update again with the same updateId to wait for it.`,
  );
}

function closedError(what: string): ReelError {
  return new ReelError(ErrorCodes.WORKFLOW_CLOSED, `${what}; updates reach open runs only: start a new run.`);
}
