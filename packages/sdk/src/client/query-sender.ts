import { assertJson, type Json } from '../codec.ts';
import { type Duration, toMs } from '../duration.ts';
import { type ErrorCode, ErrorCodes, ReelError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import { type ClientNotifications, POLL_MS } from './notifications.ts';
import { checkId, checkName, notFound } from './validate.ts';

/** A worker counts as live if it heartbeat this recently (workers heartbeat every few seconds). */
const WORKER_LIVENESS_MS = 30_000;

/**
 * Sends `client.query` questions: posts the query for a live worker serving the workflow's type, waits
 * for the answer (woken by its notification, or a poll), and deletes the query whatever the outcome.
 */
export class QuerySender {
  constructor(
    private readonly store: Store,
    private readonly clock: () => Date,
    private readonly notifications: ClientNotifications,
  ) {}

  /** Asks `workflowId` query `name` with `args`; see `Client.query`. */
  async query<R>(
    workflowId: string,
    name: string,
    args: unknown[],
    options: { timeout?: Duration },
  ): Promise<R> {
    checkName(name, 'query name');
    if (!Array.isArray(args))
      throw new ReelError(ErrorCodes.INVALID_ARGUMENT, 'Query arguments must be an array.');
    const json = assertJson(args, `The arguments of query '${name}'`) as Json[];
    const timeoutMs = toMs(options.timeout ?? '10s', 'query timeout');
    await this.notifications.listen();
    const now = this.clock();
    const posted = await this.store.postQuery(
      checkId(workflowId),
      name,
      json,
      now,
      new Date(now.getTime() - WORKER_LIVENESS_MS),
    );
    if (posted === 'not_found') throw notFound(workflowId);
    if (posted === 'no_worker') {
      throw new ReelError(
        ErrorCodes.NO_WORKER,
        `No live worker serves the type of workflow ${workflowId}, so nothing can answer query '${name}'. Start a worker that registers it.`,
      );
    }
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const answered = new Promise<void>((resolve) =>
          this.notifications.onAnswered(posted.queryId, resolve),
        );
        const answer = await this.store.readQuery(posted.queryId);
        if (answer?.error)
          throw new ReelError(
            // a handler's own codes (e.g. ENOENT) are not Reel's: they become REEL_QUERY_FAILED
            answer.error.code?.startsWith('REEL_')
              ? (answer.error.code as ErrorCode)
              : ErrorCodes.QUERY_FAILED,
            answer.error.message,
          );
        if (answer) return answer.result as R;
        const left = deadline - Date.now();
        if (left <= 0)
          throw new ReelError(
            ErrorCodes.QUERY_TIMEOUT,
            `Query '${name}' to workflow ${workflowId} got no answer within ${timeoutMs} ms; are its workers overloaded?`,
          );
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([answered, new Promise((r) => (timer = setTimeout(r, Math.min(left, POLL_MS))))]);
        clearTimeout(timer);
      }
    } finally {
      this.notifications.offAnswered(posted.queryId);
      await this.store.deleteQuery(posted.queryId);
    }
  }
}
