// What the statements that close a run (CLOSE, TERMINATE, CONTINUE_AS_NEW) read of reel.workflows:
// the run and its children, never every open run. The parent-close policy they apply once looked for
// requestCancel children with an `or` of two `in` lists, which no index serves: each close scanned
// all open runs (10-35 ms a close among 10,000 open runs, bench/at-size.ts).
import { randomUUID } from 'node:crypto';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresStore, type RecordedEvent } from '../src/index.ts';

const db = useTestDatabase();
/** One connection: the store's statements and the flush of their statistics share one session. */
let storePool: pg.Pool;
let store: PostgresStore;
let reader: pg.Pool;
const OPEN_RUNS = 2000;
const TYPE = 'closing';

beforeAll(async () => {
  storePool = new pg.Pool({ connectionString: db.connectionString, max: 1 });
  store = new PostgresStore({ pool: storePool });
  reader = new pg.Pool({ connectionString: db.connectionString });
  await store.migrate();
  await store.registerTypes([TYPE], new Date());
  // Open runs of another type, each waiting for a signal, and as many closed ones.
  await reader.query(
    `insert into reel.workflows (run_id, workflow_id, type, status, history_length, created_at, updated_at, closed_at)
     select gen_random_uuid(), 'other-' || n, 'other', case when n % 2 = 0 then 'running' else 'completed' end, 1,
            now(), now(), case when n % 2 = 1 then now() end
       from generate_series(1, $1::int * 2) n`,
    [OPEN_RUNS],
  );
  await reader.query('analyze reel.workflows');
});
afterAll(async () => {
  await store?.close();
  await storePool?.end();
  await reader?.end();
});

/** Rows and index entries of reel.workflows read so far by any session (flushing the store's first). */
async function workflowsRead(): Promise<number> {
  await storePool.query('select pg_stat_force_next_flush()');
  const { rows } = await reader.query(
    `select t.seq_tup_read + (select coalesce(sum(i.idx_tup_read), 0) from pg_stat_user_indexes i where i.relid = t.relid) as n
       from pg_stat_user_tables t where t.schemaname = 'reel' and t.relname = 'workflows'`,
  );
  return Number(rows[0].n);
}

/** A run of TYPE, started and claimed: its lease. */
async function claimedRun() {
  const workflowId = `wf-${randomUUID()}`;
  const { runId } = await store.start({
    workflowId,
    runId: randomUUID(),
    type: TYPE,
    input: 1,
    now: new Date(),
  });
  const [claimed] = await store.claim('w', [TYPE], 1, new Date(), 30_000);
  expect(claimed?.runId).toBe(runId);
  return { workflowId, runId, fencingToken: claimed?.fencingToken as number };
}

const last = (type: string, fields: object = {}) =>
  [{ type, seq: 1, at: new Date().toISOString(), ...fields }] as RecordedEvent[];

const closes: Record<string, (run: Awaited<ReturnType<typeof claimedRun>>) => Promise<unknown>> = {
  close: (run) =>
    store.commit({
      ...run,
      now: new Date(),
      events: last('workflow_completed', { result: 1 }),
      consumedInbox: [],
      close: { status: 'completed', result: 1, inboxVersion: 0 },
    }),
  terminate: (run) => store.terminate(run.workflowId, 'enough', new Date()),
  continueAsNew: (run) =>
    store.continueAsNew({
      ...run,
      now: new Date(),
      events: last('workflow_continued_as_new', { input: 2 }),
      consumedInbox: [],
      inboxVersion: 0,
      newRunId: randomUUID(),
      input: 2,
    }),
};

it.each(Object.keys(closes))(
  `%s reads a handful of rows of reel.workflows, not the ${OPEN_RUNS} open runs`,
  async (how) => {
    const run = await claimedRun();
    const before = await workflowsRead();
    expect(await closes[how]?.(run)).toBeTruthy();
    const read = (await workflowsRead()) - before;
    expect(read).toBeLessThan(50);
  },
);
