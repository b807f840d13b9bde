import type pg from 'pg';

/** A client checked out of a pool, watched for connection errors while it is held. */
export interface HeldClient {
  readonly client: pg.PoolClient;
  /** The error its connection failed with while held, if it did. */
  readonly error: Error | undefined;
  /** Gives the client back to the pool: destroyed if its connection failed or `destroy`; once only. */
  release(destroy?: boolean): void;
}

/**
 * Checks a client out of `pool` with an `'error'` listener for as long as it is held. A pool
 * listens only to idle clients: a held one whose connection drops (Postgres restarting, a network
 * cut) emits `'error'` with no listener, which ends the process. `onError` hears of it.
 */
export async function holdClient(pool: pg.Pool, onError?: (err: Error) => void): Promise<HeldClient> {
  let error: Error | undefined;
  let released = false;
  const listener = (err: Error) => {
    error ??= err;
    onError?.(err);
  };
  // The callback, not the promise: the listener must be on as the pool hands the client over. The
  // read that frees it (a reply to its last query) may carry its connection error next, emitted
  // before a promise's continuation could run.
  const client = await new Promise<pg.PoolClient>((resolve, reject) =>
    pool.connect((err, given) => {
      if (err || !given) return reject(err);
      given.on('error', listener);
      resolve(given);
    }),
  );
  return {
    client,
    get error() {
      return error;
    },
    release(destroy = false) {
      if (released) return;
      released = true;
      client.off('error', listener);
      client.release(destroy || error !== undefined);
    },
  };
}

/**
 * Runs `work` on a held client and gives it back, destroyed if anything failed: after a failed
 * statement (or a dropped connection) its session state is unknown, as `pool.query` also judges.
 */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const held = await holdClient(pool);
  let failed = false;
  try {
    return await work(held.client);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    held.release(failed);
  }
}

/**
 * Runs `work` in a transaction on a held client and commits. On an error, `withClient` destroys the
 * client, and ending its session rolls the transaction back.
 */
export function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client) => {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  });
}
