import { randomUUID } from 'node:crypto';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ClaimedRun, Client, PostgresStore, ReelError } from '../src/index.ts';

// result() on a workflow id that continued as new, when the run it continued to cannot be seen yet;
// result() of a run whose close tells its outcome.
const db = useTestDatabase();
let pool: pg.Pool;

/** The real Postgres store, counting the reads `result()` makes. */
class CountingStore extends PostgresStore {
  describes = 0;
  override describe(workflowId: string, runId?: string) {
    this.describes++;
    return super.describe(workflowId, runId);
  }
}
let store: CountingStore;
let client: Client;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.connectionString });
  store = new CountingStore({ connectionString: db.connectionString });
  await store.migrate();
  client = new Client({ store });
});
afterAll(async () => {
  await client?.close();
  await store?.close();
  await pool?.end();
});

/** A run of `workflowId` that continued as new, whose successor is out of sight (another workflow id). */
async function continuedToHidden(workflowId: string) {
  const now = new Date();
  const type = `type_${randomUUID().slice(0, 8)}`;
  await store.registerTypes([type], now);
  await store.start({ workflowId, runId: randomUUID(), type, input: 0, now });
  const [lease] = await store.claim('w', [type], 1, now, 30_000);
  const successor = randomUUID();
  const outcome = await store.continueAsNew({
    ...(lease as ClaimedRun),
    now,
    events: [{ type: 'workflow_continued_as_new', input: 1, seq: 1, at: now.toISOString() }],
    consumedInbox: [],
    inboxVersion: 0,
    newRunId: successor,
    input: 1,
  });
  expect(outcome).toBe('ok');
  await pool.query(`update reel.workflows set workflow_id = 'hidden-' || run_id where run_id = $1`, [
    successor,
  ]);
  return { type, successor };
}

it('result({ timeout }) of a run continued to a successor it cannot see yet times out, polling only', async () => {
  await continuedToHidden('continued-unseen');
  const before = store.describes;
  const started = Date.now();
  const failure = await client.result('continued-unseen', { timeout: '1s' }).catch((err: ReelError) => err);
  expect(failure).toBeInstanceOf(ReelError);
  expect((failure as ReelError).code).toBe('REEL_TIMEOUT');
  expect(Date.now() - started).toBeLessThan(3000);
  // The continued run, then its successor at the start and once per 2 s poll: not thousands.
  expect(store.describes - before).toBeLessThanOrEqual(4);
});

it('result() waits for such a successor and returns once it closes', async () => {
  const { type, successor } = await continuedToHidden('continued-later');
  const result = client.result('continued-later', { timeout: '30s' });
  await pool.query(`update reel.workflows set workflow_id = 'continued-later' where run_id = $1`, [
    successor,
  ]);
  const [lease] = await store.claim('w', [type], 1, new Date(), 30_000);
  expect(lease?.runId).toBe(successor);
  const closed = await store.commit({
    ...(lease as ClaimedRun),
    now: new Date(),
    events: [{ type: 'workflow_completed', result: 'done', seq: 1, at: new Date().toISOString() }],
    consumedInbox: [],
    close: { inboxVersion: 0, status: 'completed', result: 'done' },
  });
  expect(closed).toBe('ok');
  expect(await result).toBe('done');
});

it.each([
  ['completed', { status: 'completed', result: { ok: 1 } }, { ok: 1 }],
  ['failed', { status: 'failed', error: { name: 'Boom', message: 'no' } }, 'REEL_WORKFLOW_FAILED'],
] as const)(
  'result() of a run another process closes (%s) reads nothing: the close tells its outcome',
  async (_, close, expected) => {
    const type = `type_${randomUUID().slice(0, 8)}`;
    await store.registerTypes([type], new Date());
    // Subscribed, so that the start is watched and result() need not look whether it closed already.
    await client.result('no-such-workflow').catch(() => {});
    const before = store.describes;
    const handle = await client.start(type, null, { id: `told-${randomUUID()}` });
    const result = handle.result();
    result.catch(() => {}); // settled below
    const [lease] = await store.claim('w', [type], 1, new Date(), 30_000);
    expect(lease?.runId).toBe(handle.runId);
    const outcome = await store.commit({
      ...(lease as ClaimedRun),
      now: new Date(),
      events: [],
      consumedInbox: [],
      close: { inboxVersion: 0, ...close },
    });
    expect(outcome).toBe('ok');
    if (typeof expected === 'string') await expect(result).rejects.toMatchObject({ code: expected });
    else expect(await result).toEqual(expected);
    expect(store.describes - before).toBe(0);
  },
);
