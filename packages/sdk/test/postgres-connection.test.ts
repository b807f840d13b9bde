import { once } from 'node:events';
import { type AddressInfo, connect, createServer } from 'node:net';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isConnectionError, PostgresStore } from '../src/index.ts';
import { holdClient, withClient } from '../src/store/postgres/held-client.ts';

const db = useTestDatabase();
let admin: pg.Pool;
beforeAll(async () => {
  admin = new pg.Pool({ connectionString: db.connectionString });
  await new PostgresStore({ connectionString: db.connectionString }).migrate();
});
afterAll(async () => {
  await admin?.end();
});

/** Polls `check` until it holds, for up to 5 s. */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Ends the sessions of this database whose last statement matches `query` (as a Postgres restart would). */
async function terminate(query: string): Promise<number> {
  const { rows } = await admin.query(
    `select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and query like $1`,
    [query],
  );
  return rows.length;
}

it('after its LISTEN connection drops, the store listens again before it tells listeners to look again', async () => {
  const store = new PostgresStore({ connectionString: db.connectionString });
  const wakes: string[] = [];
  await store.listen({ onWake: (runId) => wakes.push(runId) });
  expect(await terminate('listen reel_wake')).toBe(1);
  await until('the nudge after the reconnect', () => wakes.includes(''));
  // Sent as soon as the listener was nudged: it arrives only if LISTEN was back by then.
  await admin.query(`select pg_notify('reel_wake', 'sent-after-the-nudge')`);
  await until('the notification sent after the nudge', () => wakes.includes('sent-after-the-nudge'));
  expect(wakes.filter((w) => w === '')).toEqual(['']);
  await store.close();
});

it('a held client whose connection drops does not crash the process, and is destroyed on release', async () => {
  const pool = new pg.Pool({ connectionString: db.connectionString });
  pool.on('error', () => undefined);
  const lost: Error[] = [];
  const held = await holdClient(pool, (err) => lost.push(err));
  await held.client.query(`select 'held client'`);
  expect(await terminate(`select 'held client'`)).toBe(1);
  await until('the connection error', () => held.error !== undefined);
  expect(lost[0]).toBe(held.error);
  held.release();
  held.release(); // once only: a second release is ignored
  expect(pool.totalCount).toBe(0);

  // withClient destroys the client when its work fails, and pools it otherwise.
  await withClient(pool, (client) => client.query('select 1'));
  expect(pool.totalCount).toBe(1);
  await expect(withClient(pool, (client) => client.query('select nonsense'))).rejects.toThrow(/nonsense/);
  expect(pool.totalCount).toBe(0);
  await pool.end();
});

it('a client handed over in the same read that carries its connection error is already watched', async () => {
  // Postgres's reply to a query and the error ending that session (a restart, say) can reach the
  // pool in one read: the reply releases the client to a waiting holdClient, then the error is
  // emitted on it at once. A relay that holds the server's bytes back until the session ends
  // makes that happen every time.
  const relayed = await relayedPool();
  try {
    const { replied, waiter } = await relayed.endAfterReply(() => holdClient(relayed.pool));
    expect(replied).toMatchObject({ rows: [{ '?column?': 'replied' }] });
    const held = await waiter;
    await until('the connection error', () => held.error !== undefined);
    expect(held.error?.message).toMatch(/terminating connection/);
    held.release();
  } finally {
    await relayed.close();
  }
});

it('a LISTEN connection handed over with its connection error is made again, and the process lives', async () => {
  // As above, the LISTEN connection this time: its connection error comes before the listener has
  // it in hand, and must neither be taken for a working connection nor crash the process.
  const relayed = await relayedPool();
  const store = new PostgresStore({ pool: relayed.pool });
  try {
    const woken: string[] = [];
    const { waiter } = await relayed.endAfterReply(() =>
      store.listen({ onWake: (runId) => woken.push(runId) }),
    );
    await waiter;
    // Listening again on a new connection, it tells its listener to look again.
    await expect.poll(() => woken, { timeout: 5000 }).toContain('');
    await admin.query(`select pg_notify('reel_wake', 'r1')`);
    await expect.poll(() => woken).toContain('r1');
  } finally {
    await store.close();
    await relayed.close();
  }
});

/**
 * A one-connection pool through a `holdingRelay`. `endAfterReply(wait)` sends a query, starts `wait`
 * (which waits for the pool's one client), then ends the session once the query has run, so that
 * its reply and its connection error reach the pool in one read; it gives the query's answer and
 * what `wait` returned.
 */
async function relayedPool() {
  const relay = await holdingRelay(new URL(db.connectionString));
  const url = new URL(db.connectionString);
  url.host = `127.0.0.1:${relay.port}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  pool.on('error', () => undefined);
  const pid = (await pool.query('select pg_backend_pid() as pid')).rows[0].pid;
  return {
    pool,
    async endAfterReply<T>(wait: () => Promise<T>) {
      relay.hold();
      const replying = pool.query(`select 'replied'`).catch((err: Error) => err);
      const waiter = wait();
      await until('the query to finish on the server', async () => {
        const { rows } = await admin.query(`select state, query from pg_stat_activity where pid = $1`, [pid]);
        return rows[0]?.state === 'idle' && rows[0]?.query === `select 'replied'`;
      });
      await admin.query('select pg_terminate_backend($1)', [pid]);
      return { replied: await replying, waiter };
    },
    async close() {
      await pool.end();
      relay.close();
    },
  };
}

/**
 * A TCP relay to `target`'s Postgres that, once told to `hold()`, keeps what the server sends on the
 * connections open then until the server ends their session, then passes it all on in one write.
 */
async function holdingRelay(target: URL): Promise<{ port: number; hold(): void; close(): void }> {
  const open = new Set<{ holding: boolean }>();
  const server = createServer((socket) => {
    const upstream = connect(Number(target.port), target.hostname);
    const held: Buffer[] = [];
    const conn = { holding: false };
    open.add(conn);
    socket.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => (conn.holding ? held.push(chunk) : socket.write(chunk)));
    upstream.on('end', () => socket.end(Buffer.concat(held)));
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    hold: () => {
      for (const conn of open) conn.holding = true;
    },
    close: () => server.close(),
  };
}

it("bounds the sessions of the store's own pool, overridable; migrations run without the bound", async () => {
  const defaults = new PostgresStore({ connectionString: db.connectionString });
  const show = async (store: PostgresStore, setting: string) =>
    (await store.pool.query(`show ${setting}`)).rows[0][setting];
  expect(await show(defaults, 'statement_timeout')).toBe('30s');
  expect(await show(defaults, 'idle_in_transaction_session_timeout')).toBe('1min');
  await defaults.close();

  const strict = new PostgresStore({
    connectionString: db.connectionString,
    statementTimeout: 100,
    idleInTransactionTimeout: '2s',
  });
  expect(await show(strict, 'idle_in_transaction_session_timeout')).toBe('2s');
  await expect(strict.pool.query('select pg_sleep(1)')).rejects.toMatchObject({ code: '57014' });

  // migrate() waits on the advisory lock another migrator holds, longer than the bound.
  const other = await admin.connect();
  try {
    await other.query('select pg_advisory_lock($1)', [0x7265_656c]);
    const migrating = strict.migrate();
    await until('migrate() to wait on the lock for longer than statementTimeout', async () => {
      const { rows } = await admin.query(
        `select 1 from pg_stat_activity where datname = current_database() and wait_event = 'advisory'
            and now() - query_start > interval '300 ms'`,
      );
      return rows.length > 0;
    });
    await other.query('select pg_advisory_unlock($1)', [0x7265_656c]);
    await expect(migrating).resolves.toBeUndefined();
  } finally {
    other.release(true);
    await strict.close();
  }
});

it('tells connection errors, which may pass, from the rest', () => {
  const err = (message: string, code?: string) => Object.assign(new Error(message), { code });
  for (const e of [
    err('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
    err('the database system is starting up', '57P03'),
    err('terminating connection due to administrator command', '57P01'),
    err('connection failure', '08006'),
    err('Connection terminated unexpectedly'),
    new AggregateError([err('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''),
  ])
    expect(isConnectionError(e), e.message).toBe(true);
  for (const e of [
    err('password authentication failed for user "reel"', '28P01'),
    err('database "nope" does not exist', '3D000'),
    err('relation "reel.workflows" does not exist', '42P01'),
    err('canceling statement due to statement timeout', '57014'),
    'ECONNREFUSED',
  ])
    expect(isConnectionError(e), String(e)).toBe(false);
});

it('listens for listeners that come at once one command at a time on its connection', async () => {
  // pg queues a command sent while another waits on the same client, and warns that version 9 will not.
  const queued: string[] = [];
  const onWarning = (w: Error) => w.message.includes('already executing a query') && queued.push(w.message);
  process.on('warning', onWarning);
  const store = new PostgresStore({ connectionString: db.connectionString });
  try {
    const heard: string[] = [];
    await Promise.all([
      store.listen({ onClosed: (id) => heard.push(`closed ${id}`) }),
      store.listen({ onQueryAnswered: (id) => heard.push(`answered ${id}`) }),
      store.listen({ onTask: (id) => heard.push(`task ${id}`) }),
      store.listen({ onUpdate: (id) => heard.push(`update ${id}`) }),
    ]);
    await admin.query(
      `select pg_notify('reel_closed', 'c'), pg_notify('reel_query_answered', 'q'),
              pg_notify('reel_task', 't'), pg_notify('reel_update', 'u')`,
    );
    await expect.poll(() => heard.toSorted()).toEqual(['answered q', 'closed c', 'task t', 'update u']);
    expect(queued).toEqual([]);
  } finally {
    process.off('warning', onWarning);
    await store.close();
  }
});
