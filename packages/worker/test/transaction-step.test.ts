import { randomUUID } from 'node:crypto';
import { Client, defineActivity, ErrorCodes, type ReelError, type WorkflowContext } from '@reel/sdk';
import { createTestEnv } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { eventsOf, until } from './helpers.ts';

const db = useTestDatabase();
let pool: pg.Pool;
let worker: Worker;
let client: Client;

/** The nonce of every attempt that reached its insert, by workflow id: written or not, it ran. */
const attempts = new Map<string, string[]>();
/** Attempts waiting for the test to let them go on, by workflow id. */
const gates = new Map<string, () => void>();

async function insertPayment(tx: pg.PoolClient, workflowId: string, fail: string): Promise<string> {
  const nonce = randomUUID();
  const before = attempts.get(workflowId) ?? [];
  attempts.set(workflowId, [...before, nonce]);
  await tx.query('insert into payments (workflow_id, nonce) values ($1, $2)', [workflowId, nonce]);
  if (before.length === 0) {
    if (fail === 'throw') throw new Error('card declined, this time');
    if (fail === 'serialization') await tx.query(raise('40001'));
    if (fail === 'deadlock') await tx.query(raise('40P01'));
    if (fail === 'hang') await tx.query('select pg_sleep(5)');
    if (fail === 'gate') await new Promise<void>((resolve) => gates.set(workflowId, resolve));
  }
  return nonce;
}
const raise = (sqlstate: string) =>
  `do $$ begin raise exception 'attempt 1 meets ${sqlstate}' using errcode = '${sqlstate}'; end $$`;

const recordPayment = defineActivity(insertPayment, {
  retry: { initialInterval: '10ms' },
  startToCloseTimeout: '30s',
});
const quickPayment = defineActivity(
  (tx: pg.PoolClient, id: string, fail: string) => insertPayment(tx, id, fail),
  { name: 'quickPayment', retry: { initialInterval: '10ms' }, startToCloseTimeout: '300ms' },
);

async function pay(ctx: WorkflowContext, fail: string): Promise<string> {
  const step = fail === 'hang' ? quickPayment : recordPayment;
  return ctx.transaction(step, ctx.info.workflowId, fail);
}

const rowsOf = async (workflowId: string) =>
  (
    await pool.query<{ nonce: string }>('select nonce from payments where workflow_id = $1', [workflowId])
  ).rows.map((r) => r.nonce);

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.connectionString });
  await pool.query('create table payments (workflow_id text, nonce uuid primary key)');
  worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { pay },
    activities: { recordPayment, quickPayment },
    leaseMs: 1500,
    handleSignals: false,
  });
  void worker.run();
  client = new Client({ connectionString: db.connectionString });
});
afterAll(async () => {
  await worker?.shutdown();
  await client?.close();
  await pool?.end();
});

describe('ctx.transaction', () => {
  it("commits the step's writes with its result, recorded as an activity's", async () => {
    const handle = await client.start(pay, 'none', { id: 'tx-ok' });
    const nonce = await handle.result();
    expect(await rowsOf('tx-ok')).toEqual([nonce]);
    const [scheduled] = await eventsOf(client, 'tx-ok', 'activity_scheduled');
    expect(scheduled).toMatchObject({ name: 'recordPayment', transaction: true });
    expect(await eventsOf(client, 'tx-ok', 'activity_completed')).toMatchObject([{ result: nonce }]);
  });

  it.each([
    ['throw', undefined],
    ['serialization', '40001'],
    ['deadlock', '40P01'],
    ['hang', ErrorCodes.ACTIVITY_TIMEOUT],
  ])('rolls a failed attempt back (%s) and retries it by the retry policy', async (fail, code) => {
    const id = `tx-${fail}`;
    const nonce = await (await client.start(pay, fail, { id })).result({ timeout: '20s' });
    expect(attempts.get(id)).toHaveLength(2);
    // The first attempt's insert was rolled back with it: only the second's row is there.
    expect(await rowsOf(id)).toEqual([nonce]);
    const [retrying] = await eventsOf(client, id, 'activity_retrying');
    if (code) expect(retrying?.error.code).toBe(code);
  });

  it('commits nothing once another worker has taken the run: the fence is inside the transaction', async () => {
    const handle = await client.start(pay, 'gate', { id: 'tx-fenced' });
    await until(() => gates.has('tx-fenced'), 'the first attempt to hold');
    // What a claim by another worker does to the run: its fencing token moves on.
    await pool.query(
      `update reel.workflows set fencing_token = fencing_token + 1 where workflow_id = 'tx-fenced'`,
    );
    gates.get('tx-fenced')?.();
    // The lease lapses, the run is claimed again and the step runs again, as a first attempt.
    const nonce = await handle.result({ timeout: '20s' });
    const [first, second] = attempts.get('tx-fenced') ?? [];
    expect(second).toBe(nonce);
    expect(await rowsOf('tx-fenced')).toEqual([nonce]);
    expect(await rowsOf('tx-fenced')).not.toContain(first);
    expect(await eventsOf(client, 'tx-fenced', 'activity_retrying')).toEqual([]);
  });
});

describe('ctx.transaction in the test environment', () => {
  it('runs on the Postgres store, against the test database', async () => {
    await using env = await createTestEnv({
      workflows: { pay },
      activities: { recordPayment },
      store: 'postgres',
      connectionString: db.connectionString,
    });
    const envPool = (env.store as unknown as { pool: pg.Pool }).pool;
    await envPool.query('create table payments (workflow_id text, nonce uuid primary key)');
    const nonce = await (await env.client.start(pay, 'none', { id: 'env-ok' })).result();
    const { rows } = await envPool.query('select nonce from payments');
    expect(rows).toEqual([{ nonce }]);
  });

  it('parks the run on the memory store, saying how to test it', async () => {
    await using env = await createTestEnv({ workflows: { pay }, activities: { recordPayment } });
    const err = (await (await env.client.start(pay, 'none')).result().catch((e) => e)) as ReelError;
    expect(err.code).toBe(ErrorCodes.TRANSACTION_UNSUPPORTED);
    expect(err.message).toContain("createTestEnv({ store: 'postgres' })");
  });

  it('refuses a function defined for a task queue', async () => {
    const queued = defineActivity(async (_tx: pg.PoolClient) => 1, { taskQueue: 'elsewhere' });
    async function queuedStep(ctx: WorkflowContext) {
      return ctx.transaction(queued).catch((e: ReelError) => e.code);
    }
    await using env = await createTestEnv({ workflows: { queuedStep }, activities: { queued } });
    expect(await (await env.client.start(queuedStep, undefined)).result()).toBe(ErrorCodes.INVALID_ARGUMENT);
  });
});
