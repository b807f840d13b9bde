import {
  type ClaimedRun,
  Client,
  ErrorCodes,
  PostgresStore,
  type ReelError,
  type WorkflowContext,
} from '@reel/sdk';
import { MemoryStore } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { listenToWakesOf, until } from './helpers.ts';

const db = useTestDatabase();

async function echo(_ctx: WorkflowContext, input: string): Promise<string> {
  return input;
}

async function waitForGo(ctx: WorkflowContext): Promise<string> {
  return ctx.signal<string>('go');
}

/** Keeps the run ids its worker claimed: a run it never claimed never reached it. */
class ClaimLog extends PostgresStore {
  readonly claimed: string[] = [];
  override async claim(...args: Parameters<PostgresStore['claim']>): Promise<ClaimedRun[]> {
    const runs = await super.claim(...args);
    this.claimed.push(...runs.map((r) => r.runId));
    return runs;
  }
}

let store: ClaimLog;
let worker: Worker;
let client: Client;
let pool: pg.Pool;
/** The run of every wake this test's own listener heard (on `reel_wake` or the worker's channel), in order. */
const wakes: string[] = [];
let listener: pg.Client;

/** Runs `body` on a pooled client inside BEGIN, then COMMIT or ROLLBACK as `end` says. */
async function inTransaction<T>(end: 'COMMIT' | 'ROLLBACK', body: (tx: pg.PoolClient) => Promise<T>) {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const value = await body(tx);
    await tx.query(end);
    return value;
  } finally {
    tx.release();
  }
}

beforeAll(async () => {
  store = new ClaimLog({ connectionString: db.connectionString });
  worker = await Worker.create({ store, workflows: { echo, waitForGo }, handleSignals: false });
  void worker.run();
  client = new Client({ connectionString: db.connectionString });
  pool = new pg.Pool({ connectionString: db.connectionString });
  await pool.query('create table orders (id text primary key)');
  listener = new pg.Client({ connectionString: db.connectionString });
  await listener.connect();
  listener.on('notification', (n) => wakes.push((n.payload ?? '').split(' ')[0] as string));
  await listener.query('listen reel_wake');
  await listenToWakesOf(listener, worker.identity);
});
afterAll(async () => {
  await worker?.shutdown();
  await client?.close();
  await store?.close();
  await listener?.end();
  await pool?.end();
});

describe('client.start inside the caller transaction', () => {
  it('leaves no run and wakes no worker when the transaction rolls back', async () => {
    const rolled = await inTransaction('ROLLBACK', async (tx) => {
      await tx.query(`insert into orders values ('o-rolled')`);
      return client.start(echo, 'never', { id: 'rolled-back', transaction: tx });
    });
    expect(rolled.created).toBe(true);
    // A start after the rollback, committed: once it has run, the worker had every chance to see the other.
    const later = await client.start(echo, 'later', { id: 'after-rollback' });
    expect(await later.result()).toBe('later');
    await until(() => wakes.includes(later.runId as string), 'the later start to be heard');

    const rows = await pool.query(
      `select count(*)::int as n from reel.workflows where workflow_id = 'rolled-back'`,
    );
    expect(rows.rows[0].n).toBe(0);
    await expect(client.describe('rolled-back')).rejects.toMatchObject({
      code: ErrorCodes.WORKFLOW_NOT_FOUND,
    });
    expect(wakes).not.toContain(rolled.runId);
    expect(store.claimed).not.toContain(rolled.runId);
    expect(store.claimed).toContain(later.runId);
  });

  it('runs the workflow, woken at the commit, when the transaction commits', async () => {
    const handle = await inTransaction('COMMIT', async (tx) => {
      await tx.query(`insert into orders values ('o-1')`);
      const handle = await client.start(echo, 'o-1', { id: 'order-o-1', transaction: tx });
      // Not visible outside the transaction before it commits.
      await expect(client.describe('order-o-1')).rejects.toMatchObject({
        code: ErrorCodes.WORKFLOW_NOT_FOUND,
      });
      return handle;
    });
    expect(await handle.result()).toBe('o-1');
    expect(wakes).toContain(handle.runId);
    expect((await pool.query(`select id from orders where id = 'o-1'`)).rowCount).toBe(1);
  });

  it('keeps the idempotent start rules inside the transaction', async () => {
    const first = await client.start(waitForGo, undefined, { id: 'idem' });
    const again = await inTransaction('COMMIT', (tx) =>
      client.start(waitForGo, undefined, { id: 'idem', transaction: tx }),
    );
    expect(again).toMatchObject({ created: false, runId: first.runId });
    await expect(
      inTransaction('ROLLBACK', (tx) =>
        client.start(waitForGo, undefined, { id: 'idem', onConflict: 'fail', transaction: tx }),
      ),
    ).rejects.toMatchObject({ code: ErrorCodes.WORKFLOW_ALREADY_STARTED });
    // terminateExisting in a transaction that rolls back: the old run was never terminated.
    const replaced = await inTransaction('ROLLBACK', (tx) =>
      client.start(waitForGo, undefined, { id: 'idem', onConflict: 'terminateExisting', transaction: tx }),
    );
    expect(replaced.created).toBe(true);
    expect(await client.describe('idem')).toMatchObject({ runId: first.runId, status: 'running' });
    await client.signal('idem', 'go', 'done');
    expect(await first.result()).toBe('done');
  });
});

describe('client.signal inside the caller transaction', () => {
  it('delivers only the signal whose transaction commits', async () => {
    const handle = await client.start(waitForGo, undefined, { id: 'signalled' });
    await inTransaction('ROLLBACK', (tx) =>
      client.signal('signalled', 'go', 'rolled back', { transaction: tx }),
    );
    await inTransaction('COMMIT', (tx) => handle.signal('go', 'committed', { transaction: tx }));
    expect(await handle.result()).toBe('committed');
    const { events } = await client.history('signalled');
    expect(events.filter((e) => e.type === 'signal_received')).toHaveLength(1);
  });
});

describe('client.signalWithStart inside the caller transaction', () => {
  it('starts and signals with the commit, and leaves nothing after a rollback', async () => {
    await inTransaction('ROLLBACK', (tx) =>
      client.signalWithStart(waitForGo, undefined, { id: 'sws', transaction: tx }, 'go', 'rolled back'),
    );
    await expect(client.describe('sws')).rejects.toMatchObject({ code: ErrorCodes.WORKFLOW_NOT_FOUND });
    const handle = await inTransaction('COMMIT', (tx) =>
      client.signalWithStart(waitForGo, undefined, { id: 'sws', transaction: tx }, 'go', 'committed'),
    );
    expect(await handle.result()).toBe('committed');
  });
});

describe('a transaction that cannot be used', () => {
  it('refuses a value that is not a pg client, a pool, and a client outside any transaction', async () => {
    const invalid = { code: ErrorCodes.INVALID_ARGUMENT };
    const start = (transaction: unknown) =>
      client.start(echo, 'x', { transaction: transaction as pg.PoolClient });
    await expect(start({})).rejects.toMatchObject(invalid);
    await expect(start('tx')).rejects.toMatchObject(invalid);
    await expect(start(pool)).rejects.toMatchObject({ ...invalid, message: expect.stringContaining('pool') });
    const idle = await pool.connect();
    try {
      await expect(start(idle)).rejects.toMatchObject({
        ...invalid,
        message: expect.stringContaining('BEGIN'),
      });
      await expect(client.signal('signalled', 'go', 1, { transaction: idle })).rejects.toMatchObject(invalid);
      await idle.query('BEGIN');
      await idle.query('select 1/0').catch(() => undefined);
      // Said the same whether pg has learnt yet that the transaction is aborted or not.
      await expect(start(idle)).rejects.toMatchObject({
        ...invalid,
        message: expect.stringContaining('failed'),
      });
    } finally {
      await idle.query('ROLLBACK');
      idle.release();
    }
    const starts = await pool.query(
      `select count(*)::int as n from reel.workflows where input::text = '"x"'`,
    );
    expect(starts.rows[0].n).toBe(0);
  });

  it('says how to test it when the store is the in-memory one', async () => {
    const memory = new Client({ store: new MemoryStore() });
    await inTransaction('ROLLBACK', async (tx) => {
      const err = (await memory.start(echo, 'x', { transaction: tx }).catch((e) => e)) as ReelError;
      expect(err.code).toBe(ErrorCodes.TRANSACTION_UNSUPPORTED);
      expect(err.message).toContain("createTestEnv({ store: 'postgres' })");
    });
  });
});
