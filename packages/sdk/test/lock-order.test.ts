import { randomUUID } from 'node:crypto';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ClaimedRun,
  type ClaimedTask,
  type CommitRequest,
  migrate,
  PostgresStore,
} from '../src/index.ts';
import { PostgresCommits } from '../src/store/postgres/postgres-commits.ts';
import { PostgresLeases } from '../src/store/postgres/postgres-leases.ts';
import { PostgresRuns } from '../src/store/postgres/postgres-runs.ts';
import { PostgresTasks } from '../src/store/postgres/postgres-tasks.ts';
import { connection as oneConnection, untilWaiting as waitingForLock } from './lock-waits.ts';

/**
 * A worker's statements that update several of its runs' rows (the lease renewal, a group commit)
 * lock them in one order, run_id: two of them never wait for each other in a cycle (40P01), whatever
 * order their runs come in.
 */

const db = useTestDatabase();
let store: PostgresStore;
let pool: pg.Pool;
const LEASE = 30_000;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.connectionString });
  await migrate(pool);
  // Runs enough for the planner to reach rows by their key, as it does in production (each statement
  // then meets its rows in the order of its arrays); over a near-empty table it scans them in the
  // order they are stored.
  await pool.query(`
    insert into reel.workflows (run_id, workflow_id, type, status, created_at, updated_at, closed_at)
    select gen_random_uuid(), 'old-' || i, 'old', 'completed', now(), now(), now() from generate_series(1, 10000) i;
    insert into reel.tasks (run_id, cmd, attempt, name, args, queue, available_at, ready_at, created_at)
    select (select run_id from reel.workflows where workflow_id = 'old-' || i), 0, 1, 'old', '[]', 'old', now(), now(), now()
      from generate_series(1, 10000) i;
    analyze reel.workflows; analyze reel.tasks`);
  store = new PostgresStore({ connectionString: db.connectionString });
});
afterAll(async () => {
  await store?.close();
  await pool?.end();
});

/** A pool of one connection, and that connection's backend pid. */
const connection = () => oneConnection(db.connectionString);

/** Resolves once backend `pid` waits for a lock. */
const untilWaiting = (pid: number) => waitingForLock(pool, pid);

/** How each settled: 'ok', or the Postgres error code it failed with (40P01: a deadlock). */
const outcomes = (settled: PromiseSettledResult<unknown>[]) =>
  settled.map((s) => (s.status === 'rejected' ? (s.reason as { code?: string }).code : 'ok'));

/** A run claimed by worker-1 and its tasks of `cmds`, enqueued in that order and claimed, by cmd. */
async function runWithTasks(cmds: number[]): Promise<{ run: ClaimedRun; tasks: ClaimedTask[] }> {
  const type = `t_${randomUUID().slice(0, 8)}`;
  await store.registerTypes([type], new Date());
  const runId = randomUUID();
  await store.start({ workflowId: `w-${runId}`, runId, type, input: null, now: new Date() });
  const [run] = (await store.claim('worker-1', [type], 1, new Date(), LEASE)) as [ClaimedRun];
  const queue = `q_${randomUUID().slice(0, 8)}`;
  for (const cmd of cmds)
    expect(
      await store.enqueueTask(
        run,
        { runId, cmd, attempt: 1, name: 'step', args: [], queue, availableAt: new Date(0) },
        new Date(),
      ),
    ).toBe(true);
  const tasks = await store.claimTasks('worker-1', [queue], ['step'], cmds.length, new Date(), LEASE);
  expect(tasks).toHaveLength(cmds.length);
  return { run, tasks: tasks.sort((p, q) => p.cmd - q.cmd) };
}

/** Three runs claimed by one worker, in run_id order. */
async function threeHeldRuns(): Promise<ClaimedRun[]> {
  const type = `t_${randomUUID().slice(0, 8)}`;
  await store.registerTypes([type], new Date());
  for (let i = 0; i < 3; i++)
    await store.start({
      workflowId: `wf-${randomUUID()}`,
      runId: randomUUID(),
      type,
      input: null,
      now: new Date(),
    });
  const runs = await store.claim('worker-1', [type], 3, new Date(), LEASE);
  expect(runs).toHaveLength(3);
  return runs.sort((p, q) => (p.runId < q.runId ? -1 : 1));
}

const commitOf = (run: ClaimedRun): CommitRequest => ({
  runId: run.runId,
  fencingToken: run.fencingToken,
  now: new Date(),
  events: [],
  consumedInbox: [],
  leaseMs: LEASE,
});

it.each([
  ['a renewal of [b, x, a] waits at x; a group commit of [a, b] then waits at b', 'renewal'],
  ['a group commit of [b, x, a] waits at x; a renewal of [a, b] then waits at b', 'commit'],
] as const)('%s: neither deadlocks once x is free', async (_, first) => {
  const [a, b, x] = (await threeHeldRuns()) as [ClaimedRun, ClaimedRun, ClaimedRun];
  const renewing = await connection();
  const committing = await connection();
  const leases = new PostgresLeases(renewing.pool, () => null);
  const commits = new PostgresCommits(committing.pool, () => null);
  // The statement that `GroupCommit` sends for several runs, called directly to pick its runs' order.
  const commitMany = (runs: ClaimedRun[]) =>
    (commits as unknown as { commitMany(reqs: CommitRequest[]): Promise<{ fenced: boolean }[]> }).commitMany(
      runs.map(commitOf),
    );
  const holder = new pg.Client({ connectionString: db.connectionString });
  await holder.connect();
  try {
    await holder.query('begin');
    await holder.query('select 1 from reel.workflows where run_id = $1 for update', [x.runId]);

    const renew = (runs: ClaimedRun[]) => leases.renew(runs, new Date(), LEASE);
    const [firstDone, firstPid] =
      first === 'renewal' ? [renew([b, x, a]), renewing.pid] : [commitMany([b, x, a]), committing.pid];
    firstDone.catch(() => {}); // settled below
    await untilWaiting(firstPid);
    const [secondDone, secondPid] =
      first === 'renewal' ? [commitMany([a, b]), committing.pid] : [renew([a, b]), renewing.pid];
    secondDone.catch(() => {});
    await untilWaiting(secondPid);
    await holder.query('commit');

    const settled = await Promise.allSettled([firstDone, secondDone]);
    expect(outcomes(settled)).toEqual(['ok', 'ok']);
    const [renewed, committed] = (first === 'renewal' ? settled : [settled[1], settled[0]]).map(
      (s) => (s as PromiseFulfilledResult<unknown>).value,
    );
    expect(renewed).toEqual([]); // no lease lost
    // every run of the group commit written under its lease
    expect((committed as { fenced: boolean }[]).map((c) => c.fenced)).toEqual(
      first === 'renewal' ? [true, true] : [true, true, true],
    );
  } finally {
    await holder.end();
    await renewing.pool.end();
    await committing.pool.end();
  }
});

/**
 * A parent's close under the `terminate` policy locks the parent's row and then its children's; a
 * child's close or termination, which tells its parent, must not lock them the other way round.
 */
it.each([
  ['close', 'lost'],
  ['termination', false],
] as const)(
  "a child's %s while its parent's close holds the parent's row: neither deadlocks",
  async (action, late) => {
    const type = `t_${randomUUID().slice(0, 8)}`;
    await store.registerTypes([type], new Date());
    const parentId = randomUUID();
    await store.start({ workflowId: `p-${parentId}`, runId: parentId, type, input: null, now: new Date() });
    const [parent] = (await store.claim('worker-1', [type], 1, new Date(), LEASE)) as [ClaimedRun];
    const childId = randomUUID();
    const child = await store.start({
      workflowId: `c-${childId}`,
      runId: childId,
      type,
      input: null,
      now: new Date(),
      parent: { runId: parentId, cmd: 0, closePolicy: 'terminate', fencingToken: parent.fencingToken },
    });
    expect(child.runId).toBe(childId);
    const [claimedChild] = (await store.claim('worker-2', [type], 1, new Date(), LEASE)) as [ClaimedRun];
    expect(claimedChild.runId).toBe(childId);
    const close = async (commits: PostgresCommits, run: ClaimedRun) =>
      commits.commit({
        ...commitOf(run),
        events: [],
        close: {
          status: 'completed',
          result: null,
          inboxVersion: (await store.readInbox(run.runId)).version,
        },
      });

    const childSide = await connection();
    // The parent's close runs in a transaction that has already locked the parent's row, as the close
    // statement does first: the child's close then comes between that lock and the children's.
    const parentSide = new pg.Client({ connectionString: db.connectionString });
    await parentSide.connect();
    try {
      const childInbox = (await store.readInbox(childId)).version;
      await parentSide.query('begin');
      await parentSide.query('select 1 from reel.workflows where run_id = $1 for no key update', [parentId]);
      const childClosed =
        action === 'close'
          ? new PostgresCommits(childSide.pool, () => null).commit({
              ...commitOf(claimedChild),
              close: { status: 'completed', result: null, inboxVersion: childInbox },
            })
          : new PostgresRuns(childSide.pool, () => null).terminate(`c-${childId}`, 'stop', new Date());
      childClosed.catch(() => {}); // settled below
      await untilWaiting(childSide.pid);
      const parentClosed = close(new PostgresCommits(parentSide as unknown as pg.Pool, () => null), parent);
      parentClosed.catch(() => {});
      const parentSettled = await Promise.allSettled([parentClosed]);
      await parentSide.query(parentSettled[0].status === 'fulfilled' ? 'commit' : 'rollback');
      const settled = [parentSettled[0], ...(await Promise.allSettled([childClosed]))];
      expect(
        settled.map((s) => (s.status === 'rejected' ? (s.reason as { code?: string }).code : s.value)),
      ).toEqual(['ok', late]); // the parent closed, terminating the child: the child's own end came too late
      const { rows } = await pool.query('select status from reel.workflows where run_id = $1', [childId]);
      expect(rows[0].status).toBe('terminated');
    } finally {
      await parentSide.end();
      await childSide.pool.end();
    }
  },
);

/** What deletes a run's tasks, sent on `db`. */
const deletions = {
  'a delete of its tasks': (db: pg.Pool, run: ClaimedRun) =>
    new PostgresTasks(db, () => null).delete(run.runId),
  'its termination': async (db: pg.Pool, run: ClaimedRun) => {
    const client = await db.connect();
    try {
      await store.terminate(run.workflowId, 'test', new Date(), client);
    } finally {
      client.release();
    }
  },
};

it.each(Object.keys(deletions) as (keyof typeof deletions)[])(
  "a renewal of a run's tasks and %s, which reaches them in the order they are stored: neither deadlocks",
  async (deletion) => {
    // Stored x (cmd 2) first, then a and b: a sequential scan meets x before a.
    const { run, tasks } = await runWithTasks([2, 0, 1]);
    const [a, b, x] = tasks as [ClaimedTask, ClaimedTask, ClaimedTask];
    const renewing = await connection();
    const deleting = await connection();
    // A plan that reaches the run's tasks in the order they are stored, as over a small table.
    await deleting.pool.query('set enable_indexscan = off; set enable_bitmapscan = off');
    const holder = new pg.Client({ connectionString: db.connectionString });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from reel.tasks where id = $1 for update', [b.id]);
      // The renewal locks a, then waits for b.
      const renewed = new PostgresTasks(renewing.pool, () => null).renew([x, b, a], new Date(), LEASE);
      renewed.catch(() => {}); // settled below
      await untilWaiting(renewing.pid);
      // Locking in the order rows are met, the delete would take x and wait for a: then the renewal,
      // given b, would wait for x.
      const deleted = deletions[deletion](deleting.pool, run);
      deleted.catch(() => {});
      await untilWaiting(deleting.pid);
      await holder.query('commit');
      const settled = await Promise.allSettled([renewed, deleted]);
      expect(outcomes(settled)).toEqual(['ok', 'ok']);
      expect((settled[0] as PromiseFulfilledResult<string[]>).value).toEqual([]); // renewed all three first
      const { rows } = await pool.query('select count(*)::int as n from reel.tasks where run_id = $1', [
        run.runId,
      ]);
      expect(rows[0].n).toBe(0);
    } finally {
      await holder.end();
      await renewing.pool.end();
      await deleting.pool.end();
    }
  },
);

it("a task's completion and its run's termination at the same moment: neither deadlocks", async () => {
  const { run, tasks } = await runWithTasks([0]);
  const claimed = tasks[0] as ClaimedTask;
  // The completion's delete stops with its task locked (a row trigger locks the row before it runs)
  // until the test lets it go: between the two rows a statement locks, where a moment can fall.
  await pool.query(`
    create function stall_delete() returns trigger language plpgsql as $$
      begin
        if current_setting('reel_test.stall', true) = 'on' then perform pg_advisory_xact_lock(4242); end if;
        return old;
      end $$;
    create trigger stall_delete before delete on reel.tasks for each row execute function stall_delete()`);
  const completing = await connection();
  const terminating = await connection();
  const holder = new pg.Client({ connectionString: db.connectionString });
  await holder.connect();
  try {
    await completing.pool.query("set reel_test.stall = 'on'");
    await holder.query('begin');
    await holder.query('select pg_advisory_xact_lock(4242)');
    const completed = new PostgresTasks(completing.pool, () => null).complete(
      claimed,
      { ok: true, result: 1 },
      new Date(),
    );
    completed.catch(() => {}); // settled below
    await untilWaiting(completing.pid);
    const terminated = deletions['its termination'](terminating.pool, run);
    terminated.catch(() => {});
    await untilWaiting(terminating.pid);
    await holder.query('commit');
    expect(outcomes(await Promise.allSettled([completed, terminated]))).toEqual(['ok', 'ok']);
    const { rows } = await pool.query('select status from reel.workflows where run_id = $1', [run.runId]);
    expect(rows[0].status).toBe('terminated');
  } finally {
    await holder.end();
    await completing.pool.end();
    await terminating.pool.end();
    await pool.query('drop trigger stall_delete on reel.tasks; drop function stall_delete()');
  }
});
