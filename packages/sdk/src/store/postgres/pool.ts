import pg from 'pg';
import { type Duration, toMs } from '../../duration.ts';

/** Time limits on the sessions of the pool Reel makes from a connection string. */
export interface SessionLimits {
  /**
   * Postgres's `statement_timeout`: a statement running longer is cancelled, so one stuck on a lock
   * or a bad plan fails instead of holding a connection forever. Default `'30s'`; 0 for none.
   * Migrations run without it.
   */
  statementTimeout?: Duration;
  /**
   * Postgres's `idle_in_transaction_session_timeout`: a session idle inside a transaction for longer
   * (its process stalled mid-transaction) is ended, and its locks freed. Default `'1 minute'`; 0 for none.
   */
  idleInTransactionTimeout?: Duration;
}

/** Reel's own pool: 10 connections, each session bounded by `limits`. */
export function ownPool(connectionString: string, limits: SessionLimits): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    statement_timeout: toMs(limits.statementTimeout ?? '30s', 'statementTimeout'),
    idle_in_transaction_session_timeout: toMs(
      limits.idleInTransactionTimeout ?? '1 minute',
      'idleInTransactionTimeout',
    ),
  });
  // An idle client that loses its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}
