import { randomUUID } from 'node:crypto';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ClaimedRun, migrate, PostgresStore, type RecordedEvent } from '../src/index.ts';
import { PostgresCommits } from '../src/store/postgres/postgres-commits.ts';
import { PostgresOperations } from '../src/store/postgres/postgres-operations.ts';
import { PostgresRuns } from '../src/store/postgres/postgres-runs.ts';
import { connection as oneConnection, untilWaiting as waitingForLock } from './lock-waits.ts';

/**
 * A parent and its child, each started, succeeded (reset, continue-as-new) or closed while the other
 * closes. Each statement here waits for a lock the other holds; its snapshot, taken before the other
 * committed, cannot see the run that one made. A reset hands the old run's children to the new run
 * (`ADOPT_CHILDREN`): a child's close that waited for it must tell the new run, or that run waits
 * for the child for ever. A parent's close under `terminate` that waited for its child's successor
 * must end the successor, or it runs on.
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
const connection = () => oneConnection(db.connectionString);

/** Resolves once backend `pid` waits for a lock. */
const untilWaiting = (pid: number) => waitingForLock(pool, pid);

/** A parent that scheduled and started one child (cmd 0), each claimed: the parent's history is 3 long. */
async function parentAndChild(
  closePolicy: 'abandon' | 'terminate' = 'abandon',
): Promise<{ parent: ClaimedRun; child: ClaimedRun }> {
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
    parentClosePolicy: closePolicy,
    seq: 1,
    at,
  });
  await store.start({
    workflowId: `c-${childId}`,
    runId: childId,
    type,
    input: null,
    now: new Date(),
    parent: { runId: parentId, cmd: 0, closePolicy, fencingToken: parent.fencingToken },
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

/** Closes `run` as its worker would: again, after reading its inbox, while new input refuses it. */
async function closeAsWorker(commits: PostgresCommits, run: ClaimedRun, seq: number) {
  for (;;) {
    const outcome = await commits.commit({
      runId: run.runId,
      fencingToken: run.fencingToken,
      now: new Date(),
      events: [{ type: 'workflow_completed', result: 'done', seq, at: new Date().toISOString() }],
      consumedInbox: [],
      close: {
        status: 'completed',
        result: 'done',
        inboxVersion: (await store.readInbox(run.runId)).version,
      },
    });
    if (outcome !== 'unread') return outcome;
  }
}

/** The status of each run of `workflowId`, by run id. */
async function statuses(workflowId: string): Promise<Record<string, string>> {
  const { rows } = await pool.query('select run_id, status from reel.workflows where workflow_id = $1', [
    workflowId,
  ]);
  return Object.fromEntries(rows.map((r) => [r.run_id, r.status]));
}

/**
 * The other way round: a parent's close under `terminate` that waited for its child's successor (a
 * continue-as-new, a reset) must end that successor, which its snapshot, older than it, cannot see,
 * and leave the child's own run as it closed.
 */
it.each(['continue-as-new', 'reset'] as const)(
  "a parent's close under terminate that waited for its child's %s ends the successor",
  async (succession) => {
    const { parent, child } = await parentAndChild('terminate');
    const successor = randomUUID();
    const closing = await connection();
    const succeeding = await connection();
    // Holds the child's row: the succession waits there, holding what it locks first, and the
    // parent's close, sent next, waits for it.
    const holder = new pg.Client({ connectionString: db.connectionString });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from reel.workflows where run_id = $1 for update', [child.runId]);
      const succeeded =
        succession === 'reset'
          ? new PostgresOperations(succeeding.pool, () => null).reset({
              workflowId: child.workflowId,
              runId: child.runId,
              historyLength: 1,
              toEvent: 0,
              newRunId: successor,
              seed: child.runId,
              now: new Date(),
            })
          : new PostgresCommits(succeeding.pool, () => null).continueAsNew({
              runId: child.runId,
              fencingToken: child.fencingToken,
              now: new Date(),
              events: [{ type: 'workflow_continued_as_new', input: 2, seq: 1, at: new Date().toISOString() }],
              consumedInbox: [],
              inboxVersion: (await store.readInbox(child.runId)).version,
              newRunId: successor,
              input: 2,
            });
      succeeded.catch(() => {});
      await untilWaiting(succeeding.pid);
      const closed = closeAsWorker(new PostgresCommits(closing.pool, () => null), parent, 3);
      closed.catch(() => {});
      await untilWaiting(closing.pid);
      await holder.query('commit');

      expect(await succeeded).toBe('ok');
      expect(await closed).toBe('ok');
      expect(await statuses(child.workflowId)).toEqual({
        [child.runId]: succession === 'reset' ? 'reset' : 'continued',
        [successor]: 'terminated',
      });
    } finally {
      await holder.end();
      await closing.pool.end();
      await succeeding.pool.end();
    }
  },
);

/**
 * A parent's termination while its worker starts a child: the child is started before it (and then
 * terminated by its policy) or not at all, never left running.
 */
it("a parent's termination while its child's start is under way ends the child", async () => {
  const type = `t_${randomUUID().slice(0, 8)}`;
  await store.registerTypes([type], new Date());
  const parentId = randomUUID();
  await store.start({ workflowId: `p-${parentId}`, runId: parentId, type, input: null, now: new Date() });
  const [parent] = (await store.claim('worker-1', [type], 1, new Date(), LEASE)) as [ClaimedRun];
  const childId = randomUUID();
  const terminating = await connection();
  const starting = new pg.Client({ connectionString: db.connectionString });
  await starting.connect();
  try {
    await starting.query('begin');
    const started = await new PostgresRuns(starting as unknown as pg.Pool, () => null).start(
      {
        workflowId: `c-${childId}`,
        runId: childId,
        type,
        input: null,
        now: new Date(),
        parent: { runId: parentId, cmd: 0, closePolicy: 'terminate', fencingToken: parent.fencingToken },
      },
      starting,
    );
    expect(started.runId).toBe(childId);
    const terminated = new PostgresRuns(terminating.pool, () => null).terminate(
      parent.workflowId,
      'stop',
      new Date(),
    );
    terminated.catch(() => {});
    // It waits for the start, or (as before the fix) goes on without seeing the child.
    await Promise.race([terminated, untilWaiting(terminating.pid)]);
    await starting.query('commit');

    expect(await terminated).toBe(true);
    expect(await statuses(`c-${childId}`)).toEqual({ [childId]: 'terminated' });
  } finally {
    await starting.end();
    await terminating.pool.end();
  }
});
