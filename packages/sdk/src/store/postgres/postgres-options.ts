import type pg from 'pg';
import type { Logger } from '../../logger.ts';
import type { SessionLimits } from './pool.ts';

/**
 * Connect with a connection string (Reel owns the pool, its sessions bounded by `SessionLimits`) or
 * pass your own `pg.Pool` (used as it is).
 */
export type PostgresOptions = (
  | ({
      /** e.g. `process.env.DATABASE_URL`; checked when the store is made. */ connectionString:
        | string
        | undefined;
      pool?: never;
    } & SessionLimits)
  | { pool: pg.Pool; connectionString?: never }
) & {
  /**
   * The clock that times leases and claims. `database` (default): Postgres's `now()`, one clock for
   * every worker, so a worker whose clock runs ahead cannot take a live lease. `engine`: the `now`
   * each call passes, for an engine on a virtual clock (the test environment).
   */
  claimClock?: 'database' | 'engine';
  /**
   * Where the store says that its Postgres connection was lost and regained (a pino-compatible
   * logger). Default: pino to stdout at `REEL_LOG_LEVEL`, else `info`.
   */
  logger?: Logger;
  /** Told how many runs' flushes each group-commit statement carried (a worker's metrics). */
  onCommitBatch?: (runs: number) => void;
  /** Told how many starts each grouped start statement carried (a client's or a worker's metrics). */
  onStartBatch?: (starts: number) => void;
};
