import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createTestDatabase } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type ActivityFn,
  type ClaimedRun,
  type ClaimedTask,
  type Json,
  migrate,
  PostgresStore,
  type RecordedEvent,
  type WorkflowContext,
  WorkflowExecution,
  type WorkflowFn,
} from '../src/index.ts';
import { wakeChannel } from '../src/store/postgres/postgres-listener.ts';

const db = useTestDatabase();
let store: PostgresStore;
let pool: pg.Pool;

beforeAll(() => {
  // Leases timed by the `now` each call passes, so that tests can name every time (at(…)).
  store = new PostgresStore({ connectionString: db.connectionString, claimClock: 'engine' });
  pool = new pg.Pool({ connectionString: db.connectionString });
});
afterAll(async () => {
  await store?.close();
  await pool?.end();
});

const T0 = Date.parse('2026-03-01T09:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);
const LEASE = 30_000;

let counter = 0;
/** A workflow type no other test uses, registered, so claims in one test never see another's runs. */
async function freshType(): Promise<string> {
  const type = `type_${++counter}_${randomUUID().slice(0, 8)}`;
  await store.registerTypes([type], at(0));
  return type;
}

async function startRun(type: string, now = at(0), workflowId = `wf-${randomUUID()}`) {
  const started = await store.start({ workflowId, runId: randomUUID(), type, input: { n: 1 }, now });
  expect(started).toMatchObject({ created: true, knownType: true });
  return { workflowId, runId: started.runId };
}

/** A history event continuing a run, as a worker would commit it. */
function event(
  seq: number,
  ms: number,
  fields: Record<string, unknown> = { type: 'timer_fired', cmd: seq },
): RecordedEvent {
  return { ...fields, seq, at: at(ms).toISOString() } as RecordedEvent;
}

/** Resolves once a statement of this test's database waits for a lock (one a held transaction has). */
async function untilWaitingForALock(): Promise<void> {
  await until(async () => {
    const { rows } = await pool.query(
      "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()",
    );
    return rows[0].n > 0;
  });
}

async function row(runId: string) {
  const { rows } = await pool.query('select * from reel.workflows where run_id = $1', [runId]);
  return rows[0];
}

it('migrate() run 5 times at once on a fresh database succeeds and applies each migration once', async () => {
  const files = (await readdir(new URL('../src/store/postgres/migrations/', import.meta.url)))
    .filter((f) => f.endsWith('.sql'))
    .sort();
  expect(files[0]).toBe('0001_init.sql');
  const pools = Array.from(
    { length: 5 },
    () => new pg.Pool({ connectionString: db.connectionString, max: 1 }),
  );
  try {
    const applied = await Promise.all(pools.map((p) => migrate(p)));
    expect(applied.flat()).toEqual(files);
    expect(applied.filter((a) => a.length > 0)).toHaveLength(1);

    const { rows } = await pool.query('select version, name from reel.migrations order by version');
    expect(rows).toEqual(files.map((name) => ({ version: Number(name.slice(0, 4)), name })));
    const tables = await pool.query(
      "select table_name from information_schema.tables where table_schema = 'reel'",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['history', 'inbox', 'migrations', 'workflow_types', 'workflows']),
    );

    expect(await migrate(pools[0] as pg.Pool)).toEqual([]);
    await store.migrate();
    expect((await pool.query('select count(*)::int as n from reel.migrations')).rows[0].n).toBe(files.length);
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
});

it('0008 numbers existing runs in (created_at, run_id) order, and runs inserted later after them', async () => {
  const dir = new URL('../src/store/postgres/migrations/', import.meta.url);
  const before = (await readdir(dir)).filter((f) => f.endsWith('.sql') && f < '0008').sort();
  const old = await createTestDatabase(inject('databaseUrl'));
  const oldPool = new pg.Pool({ connectionString: old.connectionString, max: 1 });
  try {
    // A database as 0007 left it, holding runs whose created_at ties or runs backwards.
    await oldPool.query(`create schema reel;
      create table reel.migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    for (const file of before) {
      await oldPool.query(await readFile(new URL(file, dir), 'utf8'));
      await oldPool.query('insert into reel.migrations (version, name) values ($1, $2)', [
        Number(file.slice(0, 4)),
        file,
      ]);
    }
    const ids = ['00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001'];
    const insert = `insert into reel.workflows (run_id, workflow_id, type, status, created_at, updated_at)
                    values ($1, 'wf', 't', 'continued', $2, $2)`;
    for (const runId of ids) await oldPool.query(insert, [runId, at(1000)]);
    await oldPool.query(insert, ['00000000-0000-4000-8000-000000000003', at(0)]);

    expect((await migrate(oldPool))[0]).toBe('0008_run_order.sql');
    await oldPool.query(
      `insert into reel.workflows (run_id, workflow_id, type, status, created_at, updated_at)
       values ('00000000-0000-4000-8000-000000000004', 'wf', 't', 'running', $1, $1)`,
      [at(-1000)],
    );
    const { rows } = await oldPool.query('select run_id from reel.workflows order by run_seq');
    expect(rows.map((r) => r.run_id.slice(-1))).toEqual(['3', '1', '2', '4']);
  } finally {
    await oldPool.end();
    await old.drop();
  }
});

describe('PostgresStore', () => {
  // What only a real database can get wrong: races between connections, and the schema's own guards.
  // Everything else a store must do is in the store conformance suite (@reel/testing/conformance),
  // which runs against this store and the memory store alike.
  beforeAll(async () => {
    await store.migrate(); // a no-op after the test above; lets this block run on its own
  });

  it('is idempotent under 10 concurrent starts of the same id: one run, one runId for all', async () => {
    const type = await freshType();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.start({
          workflowId: 'order-7',
          runId: randomUUID(),
          type,
          input: { attempt: i },
          now: at(i),
        }),
      ),
    );
    const created = results.filter((r) => r.created);
    expect(created).toHaveLength(1);
    expect(new Set(results.map((r) => r.runId))).toEqual(new Set([created[0]?.runId]));
    expect(results.every((r) => r.knownType)).toBe(true);

    const runs = await pool.query('select run_id from reel.workflows where workflow_id = $1', ['order-7']);
    expect(runs.rows.map((r) => r.run_id)).toEqual([created[0]?.runId]);
    const history = await store.loadHistory(created[0]?.runId as string);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ seq: 0, type: 'workflow_started', workflowType: type });
  });

  it('listens again on its channels after losing its LISTEN connection', async () => {
    const own = new pg.Pool({ connectionString: db.connectionString, application_name: 'reel-listen-test' });
    const listening = new PostgresStore({ pool: own });
    const heard: string[] = [];
    await listening.listen({ onClosed: (id) => heard.push(`closed ${id}`) });
    await listening.listen({ onQueryAnswered: (id) => heard.push(`answered ${id}`) });
    const backends = async () =>
      (
        await pool.query<{ pid: number }>(
          "select pid from pg_stat_activity where application_name = 'reel-listen-test' and query like 'listen %'",
        )
      ).rows.map((r) => r.pid);
    const [pid] = await backends();
    expect(pid).toBeDefined();
    await pool.query("select pg_notify('reel_closed', 'c1')");
    await expect.poll(() => heard).toEqual(['closed c1']);

    await pool.query('select pg_terminate_backend($1)', [pid]);
    // It reconnects and listens on both channels again: notifications sent from then on arrive.
    await expect
      .poll(
        async () => {
          await pool.query("select pg_notify('reel_closed', 'c2'), pg_notify('reel_query_answered', 'q2')");
          return heard.includes('closed c2') && heard.includes('answered q2');
        },
        { timeout: 5000, interval: 50 },
      )
      .toBe(true);
    expect(await backends()).not.toContain(pid);
    await listening.close();
    await own.end();
  });

  it("a worker's listener hears the wakes on its own channel, which it names as Postgres does", async () => {
    const ids = ['host-1:4242:0f3a', 'wörker-ü:東京', 'x'.repeat(200)];
    for (const id of ids) {
      const { rows } = await pool.query('select reel.wake_channel($1) as channel', [id]);
      expect(wakeChannel(id)).toBe(rows[0].channel);
    }
    const heard: string[] = [];
    const unlisten = await store.listen({
      worker: ids[1],
      onWake: (runId, to) => heard.push(`${runId} ${to}`),
    });
    await pool.query('select pg_notify(reel.wake_channel($1), $2)', [ids[0], 'r0 other']);
    await pool.query('select pg_notify(reel.wake_channel($1), $2)', [ids[1], `r1 ${ids[1]}`]);
    await pool.query("select pg_notify('reel_wake', 'r2')");
    await expect.poll(() => heard).toEqual([`r1 ${ids[1]}`, 'r2 undefined']);
    await unlisten();
  });

  it('a signal sent while the run continues as new goes to the successor, not back as "closed"', async () => {
    const type = await freshType();
    const { workflowId, runId } = await startRun(type, at(0));
    const [lease] = await store.claim('w', [type], 1, at(0), LEASE);
    // The continue-as-new runs in a transaction held open, on a store of one connection, so that the
    // signal's statement starts while the old run still looks open and waits for its row.
    const held = new pg.Pool({ connectionString: db.connectionString, max: 1 });
    const continuing = new PostgresStore({ pool: held, claimClock: 'engine' });
    await held.query('begin');
    const successor = randomUUID();
    expect(
      await continuing.continueAsNew({
        ...(lease as ClaimedRun),
        now: at(1),
        events: [{ type: 'workflow_continued_as_new', input: null, seq: 1, at: at(1).toISOString() }],
        consumedInbox: [],
        inboxVersion: 0,
        newRunId: successor,
        input: null,
      }),
    ).toBe('ok');
    const signal = store.enqueue(workflowId, { kind: 'signal', name: 'go', payload: 1 }, at(2));
    await untilWaitingForALock();
    await held.query('commit');
    expect(await signal).toBe(true);
    expect((await store.readInbox(successor)).items.map((i) => i.name)).toEqual(['go']);
    expect((await store.readInbox(runId)).items).toEqual([]);
    await held.end();
  });

  it('a close that waited for a signal being delivered answers "unread", not "lost": the run stays held', async () => {
    const type = await freshType();
    const { workflowId, runId } = await startRun(type, at(0));
    const [lease] = await store.claim('w', [type], 1, at(0), LEASE);
    // The signal is delivered in a transaction held open, so the close starts before it commits and
    // waits for the run's row.
    const held = new pg.Pool({ connectionString: db.connectionString, max: 1 });
    const signalling = new PostgresStore({ pool: held, claimClock: 'engine' });
    await held.query('begin');
    expect(await signalling.enqueue(workflowId, { kind: 'signal', name: 'late', payload: 1 }, at(1))).toBe(
      true,
    );
    const close = store.commit({
      ...(lease as ClaimedRun),
      now: at(2),
      events: [event(1, 2, { type: 'workflow_completed', result: null })],
      consumedInbox: [],
      close: { status: 'completed', inboxVersion: 0 },
    });
    await untilWaitingForALock();
    await held.query('commit');
    expect(await close).toBe('unread');
    expect(await row(runId)).toMatchObject({ status: 'running', lease_owner: 'w', history_length: 1 });
    await held.end();
  });

  it('an inherited enqueue waits out a completion under way: the completed attempt is not queued again', async () => {
    const type = await freshType();
    const { runId } = await startRun(type, at(0));
    const [lease] = await store.claim('w', [type], 1, at(0), LEASE);
    const queue = `q-${type}`;
    const task = { runId, cmd: 0, attempt: 1, name: 'render', args: [], queue, availableAt: at(0) };
    expect(await store.enqueueTask(lease as ClaimedRun, task, at(0))).toBe(true);
    const [claimed] = await store.claimTasks('tw', [queue], ['render'], 1, at(1), LEASE);
    // The task worker's completion runs in a transaction held open, so the enqueue of a driver that
    // took the run over begins before it commits.
    const held = new pg.Pool({ connectionString: db.connectionString, max: 1 });
    const completing = new PostgresStore({ pool: held, claimClock: 'engine' });
    await held.query('begin');
    expect(await completing.completeTask(claimed as ClaimedTask, { ok: true, result: 1 }, at(2))).toBe(true);
    const enqueue = store.enqueueTask(lease as ClaimedRun, task, at(3), { inherited: true });
    await untilWaitingForALock();
    await held.query('commit');
    expect(await enqueue).toBe(false);
    expect(await store.claimTasks('tw', [queue], ['render'], 1, at(3 * LEASE), LEASE)).toEqual([]);
    await held.end();
  });

  it('never hands the same run to two concurrent claimers (SKIP LOCKED)', async () => {
    const type = await freshType();
    const runIds = new Set<string>();
    for (let i = 0; i < 20; i++) runIds.add((await startRun(type, at(i))).runId);

    const claims = await Promise.all(
      ['w1', 'w2', 'w3', 'w4'].map((owner) => store.claim(owner, [type], 8, at(60_000), LEASE)),
    );
    const claimed = claims.flat().map((c) => c.runId);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(new Set(claimed)).toEqual(runIds);
    for (const c of claims.flat()) expect(c).toMatchObject({ type, fencingToken: 1, parkAttempts: 0 });

    // Every run is leased now: nothing is left to claim until the leases expire.
    expect(await store.claim('w5', [type], 100, at(60_000 + LEASE - 1), 60_000 - LEASE + 1)).toEqual([]);
  });

  it('cannot hold the same (run_id, seq) twice: the fence and the primary key reject a second append', async () => {
    const type = await freshType();
    const { runId } = await startRun(type);
    const [lease] = await store.claim('w', [type], 1, at(0), LEASE);
    const commit = (ms: number, cmd: number) =>
      store.commit({
        ...(lease as ClaimedRun),
        now: at(ms),
        events: [event(1, ms, { type: 'timer_fired', cmd })],
        consumedInbox: [],
      });
    expect(await commit(1, 1)).toBe('ok');
    await expect(commit(2, 99)).rejects.toThrow(`history of ${runId} continues at seq 2, not 1`);
    await expect(
      pool.query(
        `insert into reel.history (run_id, seq, type, data, at) values ($1, 1, 'timer_fired', '{}', $2)`,
        [runId, at(3)],
      ),
    ).rejects.toMatchObject({ code: '23505' });

    expect(await store.loadHistory(runId)).toMatchObject([
      { seq: 0 },
      { seq: 1, cmd: 1, at: at(1).toISOString() },
    ]);
    expect((await row(runId)).history_length).toBe(2);
  });

  // The reason payloads are json, not jsonb: jsonb reorders object keys, and this workflow walks an
  // activity result's keys, so a reordered history would replay a different path.
  it('replays a run from its stored history to the same result it reached live', async () => {
    async function shortages() {
      return { widget: 2, bolt: 5 };
    }
    async function reorder(sku: string, qty: number) {
      return `reordered ${qty} x ${sku}`;
    }
    async function restock(ctx: WorkflowContext) {
      const missing = await ctx.activity(shortages);
      const done: Record<string, string> = {};
      for (const [sku, qty] of Object.entries(missing)) done[sku] = await ctx.activity(reorder, sku, qty);
      return done;
    }
    const { live, workflowId, runId, type } = await runLive(restock, { shortages, reorder });
    expect(live.outcome).toEqual({
      type: 'workflow_completed',
      result: { widget: 'reordered 2 x widget', bolt: 'reordered 5 x bolt' },
    });
    expect(await store.loadHistory(runId)).toEqual(live.log);

    const replay = new WorkflowExecution({
      workflowId,
      runId,
      workflowType: type,
      fn: restock,
      history: await store.loadHistory(runId),
      clock: () => at(0),
    });
    await replay.advance();
    expect(replay.outcome).toEqual(live.outcome);
    expect(replay.unflushed()).toEqual([]);
  });
});

/** Runs a workflow as a worker would: every step's events committed before the next activity "runs". */
async function runLive(fn: WorkflowFn, activities: Record<string, ActivityFn>) {
  const type = await freshType();
  const workflowId = `live-${randomUUID()}`;
  const { runId } = await store.start({ workflowId, runId: randomUUID(), type, input: null, now: at(0) });
  const [lease] = await store.claim('w', [type], 1, at(0), LEASE);
  let ms = 0;
  const live = new WorkflowExecution({
    workflowId,
    runId,
    workflowType: type,
    fn,
    history: await store.loadHistory(runId),
    clock: () => at(ms),
  });
  for (;;) {
    await live.advance();
    const outcome = live.outcome;
    if (outcome) live.append(outcome); // the closing event, as a worker appends it
    const events = live.unflushed();
    const close =
      outcome?.type === 'workflow_completed'
        ? { status: 'completed' as const, result: outcome.result, inboxVersion: 0 }
        : undefined;
    const committed = await store.commit({
      ...(lease as ClaimedRun),
      now: at(++ms),
      events,
      consumedInbox: [],
      close,
      leaseMs: LEASE,
    });
    expect(committed).toBe('ok');
    live.markFlushed(events.length);
    if (outcome) return { live, workflowId, runId, type };
    const [open] = live.openActivities();
    if (!open) throw new Error('the workflow waits for nothing');
    ms += 1000;
    live.append({
      type: 'activity_completed',
      cmd: open.cmd,
      result: (await activities[open.name]?.(...open.args)) as Json,
    });
  }
}

/** Resolves once `check` holds, polling. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; !(await check()); i++) {
    if (i > 1000) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
