import { randomUUID } from 'node:crypto';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ClaimedRun, migrate, PostgresStore, type RecordedEvent } from '../src/index.ts';
import { PostgresCommits } from '../src/store/postgres/postgres-commits.ts';
import { PostgresOperations } from '../src/store/postgres/postgres-operations.ts';
import { PostgresRuns } from '../src/store/postgres/postgres-runs.ts';

/**
 * A reset hands the old run's children to the new run (`ADOPT_CHILDREN`). A child that closes while
 * the reset holds the old parent's row waits for it; its statement's snapshot, taken before the reset
 * committed, cannot see the new run, so that statement cannot tell it: the close must not go through
 * as if its parent were still the old run, or the new run waits for that child for ever.
 */

const db = useTestDatabase();
let store: PostgresStore;
let pool: pg.Pool;
const LEASE = 30_000;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.connectionString });
  await migrate(pool);
  store = new PostgresStore({ connectionString: db.connectionString });
});
afterAll(async () => {
  await store?.close();
  await pool?.end();
});

/** A pool of one connection, and that connection's backend pid. */
async function connection(): Promise<{ pool: pg.Pool; pid: number }> {
  const one = new pg.Pool({ connectionString: db.connectionString, max: 1 });
  const { rows } = await one.query('select pg_backend_pid() as pid');
  return { pool: one, pid: rows[0].pid };
}

/** Resolves once backend `pid` waits for a lock. */
async function untilWaiting(pid: number): Promise<void> {
  const waiting = async () =>
    (
      await pool.query("select wait_event_type = 'Lock' as waiting from pg_stat_activity where pid = $1", [
        pid,
      ])
    ).rows[0]?.waiting;
  await expect.poll(waiting, { timeout: 10_000 }).toBe(true);
}

/** A parent that scheduled and started one child (cmd 0), each claimed: the parent's history is 3 long. */
async function parentAndChild(): Promise<{ parent: ClaimedRun; child: ClaimedRun }> {
  const type = `t_${randomUUID().slice(0, 8)}`;
  await store.registerTypes([type], new Date());
  const parentId = randomUUID();
  await store.start({ workflowId: `p-${parentId}`, runId: parentId, type, input: null, now: new Date() });
  const [parent] = (await store.claim('worker-1', [type], 1, new Date(), LEASE)) as [ClaimedRun];
  const childId = randomUUID();
  const at = new Date().toISOString();
  const commit = async (event: RecordedEvent) =>
    expect(
      await store.commit({
        runId: parentId,
        fencingToken: parent.fencingToken,
        now: new Date(),
        events: [event],
        consumedInbox: [],
        leaseMs: LEASE,
      }),
    ).toBe('ok');
  await commit({
    type: 'child_scheduled',
    cmd: 0,
    workflowType: type,
    workflowId: `c-${childId}`,
    input: null,
    parentClosePolicy: 'abandon',
    seq: 1,
    at,
  });
  await store.start({
    workflowId: `c-${childId}`,
    runId: childId,
    type,
    input: null,
    now: new Date(),
    parent: { runId: parentId, cmd: 0, closePolicy: 'abandon', fencingToken: parent.fencingToken },
  });
  await commit({ type: 'child_started', cmd: 0, runId: childId, seq: 2, at });
  const [child] = (await store.claim('worker-2', [type], 1, new Date(), LEASE)) as [ClaimedRun];
  expect(child.runId).toBe(childId);
  return { parent, child };
}

it.each([
  ['close', 'completed'],
  ['termination', 'terminated'],
] as const)("a child's %s that waited for its parent's reset tells the new run", async (action, status) => {
  const { parent, child } = await parentAndChild();
  const newRunId = randomUUID();
  const resetting = await connection();
  const closing = await connection();
  // Holds the old parent's row, so that the reset waits for it first and the child's statement after.
  const holder = new pg.Client({ connectionString: db.connectionString });
  await holder.connect();
  try {
    await holder.query('begin');
    await holder.query('select 1 from reel.workflows where run_id = $1 for update', [parent.runId]);
    const reset = new PostgresOperations(resetting.pool, () => null).reset({
      workflowId: parent.workflowId,
      runId: parent.runId,
      historyLength: 3,
      toEvent: 2,
      newRunId,
      seed: parent.runId,
      now: new Date(),
    });
    reset.catch(() => {}); // settled below
    await untilWaiting(resetting.pid);
    const inboxVersion = (await store.readInbox(child.runId)).version;
    const closed =
      action === 'close'
        ? new PostgresCommits(closing.pool, () => null).commit({
            runId: child.runId,
            fencingToken: child.fencingToken,
            now: new Date(),
            events: [{ type: 'workflow_completed', result: 'done', seq: 1, at: new Date().toISOString() }],
            consumedInbox: [],
            close: { status: 'completed', result: 'done', inboxVersion },
          })
        : new PostgresRuns(closing.pool, () => null).terminate(child.workflowId, 'stop', new Date());
    closed.catch(() => {});
    await untilWaiting(closing.pid);
    await holder.query('commit');

    expect(await reset).toBe('ok');
    expect(await closed).toBe(action === 'close' ? 'ok' : true);
    const { rows } = await pool.query('select status from reel.workflows where run_id = $1', [child.runId]);
    expect(rows[0].status).toBe(status);
    // the new run, which the child now reports to, has its outcome to read
    const inbox = await store.readInbox(newRunId);
    expect(inbox.items.map((i) => [i.kind, (i.payload as { status: string }).status])).toEqual([
      ['child', status],
    ]);
  } finally {
    await holder.end();
    await resetting.pool.end();
    await closing.pool.end();
  }
});
