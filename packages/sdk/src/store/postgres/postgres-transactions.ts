import type pg from 'pg';
import type { Json } from '../../codec.ts';
import type { Lease } from '../commits.ts';
import type { TransactionOutcome } from '../store.ts';
import { activityResultPayload } from '../tasks.ts';
import { holdClient } from './held-client.ts';
import { RECORD_TRANSACTION_OUTCOME } from './inbox-queries.ts';
import { isConnectionError } from './reconnect.ts';
import { json } from './statements.ts';

/**
 * `PostgresStore`'s `ctx.transaction` steps: the step's work and the record of its outcome in one
 * transaction on a client of the store's pool (see `Store.transaction`).
 */
export class PostgresTransactions {
  constructor(private readonly pool: pg.Pool) {}

  async run(
    lease: Lease,
    step: { cmd: number; attempt: number },
    now: Date,
    signal: AbortSignal,
    work: (client: pg.PoolClient) => Promise<Json | undefined>,
  ): Promise<TransactionOutcome> {
    const held = await holdClient(this.pool);
    const { client } = held;
    let committing = false;
    let stop!: (reason: unknown) => void;
    const stopped = new Promise<never>((_, reject) => (stop = reject));
    stopped.catch(() => undefined); // raced below; may settle before the race starts
    // Closing the connection rolls the transaction back at once, whatever the work is waiting on.
    // Not once the commit is sent: its outcome would be unknown for no gain.
    const abort = () => {
      if (committing) return;
      stop(signal.reason);
      held.release(true);
    };
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    try {
      await Promise.race([client.query('BEGIN'), stopped]);
      const running = work(client);
      running.catch(() => undefined); // it may reject after an abort has ended the race
      const value = await Promise.race([running, stopped]);
      const outcome = json(activityResultPayload(step.cmd, step.attempt, { ok: true, result: value }));
      const recorded = await Promise.race([
        client.query(RECORD_TRANSACTION_OUTCOME, [lease.runId, lease.fencingToken, outcome, now]),
        stopped,
      ]);
      if (recorded.rowCount === 0) {
        await client.query('ROLLBACK');
        held.release();
        return { outcome: 'lost' };
      }
      committing = true;
      try {
        await client.query('COMMIT');
      } catch (err) {
        // A server's refusal (a serialization failure at commit, a deferred constraint) rolled it back.
        if (!isConnectionError(err)) throw err;
        held.release(true);
        return { outcome: 'unknown', error: err as Error };
      }
      held.release();
      return { outcome: 'committed', value };
    } catch (err) {
      // Rolled back: by ROLLBACK when the session still answers, else by closing it.
      if (!signal.aborted && !held.error) {
        try {
          await client.query('ROLLBACK');
          held.release();
        } catch {
          held.release(true);
        }
      } else held.release(true);
      throw err;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }
}
