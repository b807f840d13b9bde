import { randomUUID } from 'node:crypto';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ActivityFn,
  assertJson,
  type ClaimedRun,
  type Json,
  migrate,
  PostgresStore,
  type RecordedEvent,
  ReelError,
  type WorkflowContext,
  WorkflowExecution,
  type WorkflowFn,
} from '../src/index.ts';

const db = useTestDatabase();
let store: PostgresStore;
let pool: pg.Pool;

beforeAll(() => {
  store = new PostgresStore({ connectionString: db.connectionString });
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

async function row(runId: string) {
  const { rows } = await pool.query('select * from reel.workflows where run_id = $1', [runId]);
  return rows[0];
}

async function historySeqs(runId: string): Promise<number[]> {
  return (await store.loadHistory(runId)).map((e) => e.seq);
}

it('migrate() run 5 times at once on a fresh database succeeds and applies each migration once', async () => {
  const pools = Array.from(
    { length: 5 },
    () => new pg.Pool({ connectionString: db.connectionString, max: 1 }),
  );
  try {
    const applied = await Promise.all(pools.map((p) => migrate(p)));
    expect(applied.flat()).toEqual(['0001_init.sql']);
    expect(applied.filter((a) => a.length > 0)).toHaveLength(1);

    const { rows } = await pool.query('select version, name from reel.migrations order by version');
    expect(rows).toEqual([{ version: 1, name: '0001_init.sql' }]);
    const tables = await pool.query(
      "select table_name from information_schema.tables where table_schema = 'reel' order by table_name",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'history',
      'inbox',
      'migrations',
      'workflow_types',
      'workflows',
    ]);

    expect(await migrate(pools[0] as pg.Pool)).toEqual([]);
    await store.migrate();
    expect((await pool.query('select count(*)::int as n from reel.migrations')).rows[0].n).toBe(1);
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
});

describe('PostgresStore', () => {
  beforeAll(async () => {
    await store.migrate(); // a no-op after the test above; lets this block run on its own
  });

  describe('start', () => {
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

    it('records the run and its first event at the given now', async () => {
      const type = await freshType();
      const now = at(123_456);
      const { workflowId, runId } = await startRun(type, now);
      const described = await store.describe(workflowId);
      expect(described).toMatchObject({
        workflowId,
        runId,
        type,
        status: 'running',
        input: { n: 1 },
        historyLength: 1,
      });
      expect(described?.createdAt).toEqual(now);
      expect(described?.updatedAt).toEqual(now);
      expect(await store.loadHistory(runId)).toEqual([
        { seq: 0, at: now.toISOString(), type: 'workflow_started', workflowType: type, input: { n: 1 } },
      ]);
    });

    it('of an unregistered type returns knownType false and creates nothing', async () => {
      const runId = randomUUID();
      const result = await store.start({
        workflowId: 'never-registered',
        runId,
        type: 'noSuchWorkflow',
        input: null,
        now: at(0),
      });
      expect(result).toEqual({ runId, created: false, knownType: false });
      expect(await store.describe('never-registered')).toBeUndefined();
      expect(
        (await pool.query('select count(*)::int as n from reel.history where run_id = $1', [runId])).rows[0]
          .n,
      ).toBe(0);
    });
  });

  describe('claim', () => {
    it('never hands the same run to two concurrent claimers (SKIP LOCKED)', async () => {
      const type = await freshType();
      const runIds = new Set<string>();
      for (let i = 0; i < 20; i++) runIds.add((await startRun(type, at(i))).runId);

      const claims = await Promise.all(
        ['w1', 'w2', 'w3', 'w4'].map((owner) =>
          store.claim(owner, [type], 8, at(60_000), at(60_000 + LEASE)),
        ),
      );
      const claimed = claims.flat().map((c) => c.runId);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(new Set(claimed)).toEqual(runIds);
      for (const c of claims.flat()) expect(c).toMatchObject({ type, fencingToken: 1, parkAttempts: 0 });

      // Every run is leased now: nothing is left to claim until the leases expire.
      expect(await store.claim('w5', [type], 100, at(60_000 + LEASE - 1), at(120_000))).toEqual([]);
    });

    it('respects the limit and the type filter', async () => {
      const type = await freshType();
      const other = await freshType();
      for (let i = 0; i < 3; i++) await startRun(type);
      await startRun(other);
      expect(await store.claim('w', [type], 2, at(1), at(LEASE))).toHaveLength(2);
      const rest = await store.claim('w', [type], 10, at(1), at(LEASE));
      expect(rest).toHaveLength(1);
      expect(rest[0]?.type).toBe(type);
    });
  });

  describe('commit', () => {
    async function claimOne(type: string, owner: string, now: Date, leaseUntil: Date): Promise<ClaimedRun> {
      const claimed = await store.claim(owner, [type], 1, now, leaseUntil);
      expect(claimed).toHaveLength(1);
      return claimed[0] as ClaimedRun;
    }

    it('with a stale fencing token returns lost and writes nothing, once another worker has claimed', async () => {
      const type = await freshType();
      const { runId } = await startRun(type);
      const first = await claimOne(type, 'old-worker', at(0), at(LEASE));
      await store.enqueue(
        (await row(runId)).workflow_id,
        { kind: 'signal', name: 'go', payload: 1 },
        at(1000),
      );
      const inbox = await store.readInbox(runId);

      // The lease is still held: nobody else can claim before it expires.
      expect(await store.claim('new-worker', [type], 1, at(LEASE - 1), at(2 * LEASE))).toEqual([]);
      const second = await claimOne(type, 'new-worker', at(LEASE + 1), at(2 * LEASE));
      expect(second.runId).toBe(runId);
      expect(second.fencingToken).toBe(first.fencingToken + 1);

      const stale = await store.commit({
        runId,
        fencingToken: first.fencingToken,
        now: at(LEASE + 2),
        events: [event(1, LEASE + 2, { type: 'signal_received', name: 'go', payload: 1 })],
        consumedInbox: inbox.items.map((i) => i.id),
        close: { status: 'completed', result: 'zombie' },
      });
      expect(stale).toBe('lost');
      expect(await historySeqs(runId)).toEqual([0]);
      expect((await store.readInbox(runId)).items).toHaveLength(1);
      expect(await row(runId)).toMatchObject({
        status: 'running',
        lease_owner: 'new-worker',
        history_length: 1,
        result: null,
      });

      const fresh = await store.commit({
        runId,
        fencingToken: second.fencingToken,
        now: at(LEASE + 3),
        events: [event(1, LEASE + 3, { type: 'signal_received', name: 'go', payload: 1 })],
        consumedInbox: inbox.items.map((i) => i.id),
        leaseUntil: at(3 * LEASE),
      });
      expect(fresh).toBe('ok');
      expect(await store.loadHistory(runId)).toMatchObject([
        { seq: 0 },
        { seq: 1, type: 'signal_received', name: 'go', payload: 1, at: at(LEASE + 3).toISOString() },
      ]);
      expect((await store.readInbox(runId)).items).toEqual([]);
    });

    it('asked to release while the inbox moved returns kept, writes its events and keeps the lease', async () => {
      const type = await freshType();
      const { workflowId, runId } = await startRun(type);
      const lease = await claimOne(type, 'w', at(0), at(LEASE));
      const { version } = await store.readInbox(runId);
      expect(
        await store.enqueue(workflowId, { kind: 'signal', name: 'approve', payload: { ok: true } }, at(500)),
      ).toBe(true);

      const outcome = await store.commit({
        ...lease,
        now: at(1000),
        events: [event(1, 1000)],
        consumedInbox: [],
        release: { readyAt: null, inboxVersion: version },
      });
      expect(outcome).toBe('kept');
      expect(await historySeqs(runId)).toEqual([0, 1]);
      expect(await row(runId)).toMatchObject({ lease_owner: 'w', history_length: 2 });
      // Still leased: another worker cannot take it before the lease ends.
      expect(await store.claim('other', [type], 1, at(LEASE - 1), at(2 * LEASE))).toEqual([]);

      // With the inbox read and consumed, the same release goes through.
      const inbox = await store.readInbox(runId);
      expect(inbox.version).toBe(version + 1);
      const released = await store.commit({
        ...lease,
        now: at(2000),
        events: [event(2, 2000, { type: 'signal_received', name: 'approve', payload: { ok: true } })],
        consumedInbox: inbox.items.map((i) => i.id),
        release: { readyAt: at(10 * LEASE), inboxVersion: inbox.version },
      });
      expect(released).toBe('ok');
      expect(await row(runId)).toMatchObject({ lease_owner: null, history_length: 3 });
      expect((await row(runId)).ready_at).toEqual(at(10 * LEASE));
      expect(await store.claim('other', [type], 1, at(10 * LEASE - 1), at(11 * LEASE))).toEqual([]);
      expect(await store.claim('other', [type], 1, at(10 * LEASE), at(11 * LEASE))).toHaveLength(1);
    });

    it('cannot append the same (run_id, seq) twice: the second commit fails and changes nothing', async () => {
      const type = await freshType();
      const { runId } = await startRun(type);
      const lease = await claimOne(type, 'w', at(0), at(LEASE));
      expect(await store.commit({ ...lease, now: at(1), events: [event(1, 1)], consumedInbox: [] })).toBe(
        'ok',
      );

      await expect(
        store.commit({
          ...lease,
          now: at(2),
          events: [event(1, 2, { type: 'timer_fired', cmd: 99 })],
          consumedInbox: [],
        }),
      ).rejects.toMatchObject({
        code: '23505',
      });
      expect(await store.loadHistory(runId)).toMatchObject([
        { seq: 0 },
        { seq: 1, cmd: 1, at: at(1).toISOString() },
      ]);
      expect((await row(runId)).history_length).toBe(2);
    });

    it('closes a run: status, result and closed_at at the given now, no longer claimable', async () => {
      const type = await freshType();
      const { workflowId, runId } = await startRun(type);
      const lease = await claimOne(type, 'w', at(0), at(LEASE));
      expect(lease.runId).toBe(runId);
      const outcome = await store.commit({
        ...lease,
        now: at(5000),
        events: [event(1, 5000, { type: 'workflow_completed', result: { total: 3 } })],
        consumedInbox: [],
        close: { status: 'completed', result: { total: 3 } },
      });
      expect(outcome).toBe('ok');
      const described = await store.describe(workflowId);
      expect(described).toMatchObject({ status: 'completed', result: { total: 3 }, historyLength: 2 });
      expect(described?.closedAt).toEqual(at(5000));
      expect(described?.updatedAt).toEqual(at(5000));
      expect(await store.claim('w', [type], 1, at(100 * LEASE), at(101 * LEASE))).toEqual([]);
    });
  });

  describe('park and renew', () => {
    it('parks a run with its error until retryAt, fenced by the token, and a later commit unparks it', async () => {
      const type = await freshType();
      const { workflowId, runId } = await startRun(type);
      const [first] = await store.claim('w', [type], 1, at(0), at(LEASE));
      const error = {
        name: 'NonDeterminismError',
        message: 'not deterministic',
        code: 'REEL_NONDETERMINISM',
      };
      expect(await store.park(first as ClaimedRun, error, at(1000), at(60_000))).toBe(true);

      const parked = await store.describe(workflowId);
      expect(parked).toMatchObject({ status: 'parked', parked: { error, attempts: 1, retryAt: at(60_000) } });
      expect(parked?.updatedAt).toEqual(at(1000));
      expect(await store.claim('w', [type], 1, at(59_999), at(59_999 + LEASE))).toEqual([]);
      const [second] = await store.claim('w', [type], 1, at(60_000), at(60_000 + LEASE));
      expect(second).toMatchObject({
        runId,
        parkAttempts: 1,
        fencingToken: (first?.fencingToken as number) + 1,
      });

      expect(await store.park(first as ClaimedRun, error, at(61_000), at(120_000))).toBe(false);
      expect(
        await store.commit({
          ...(second as ClaimedRun),
          now: at(62_000),
          events: [event(1, 62_000)],
          consumedInbox: [],
          leaseUntil: at(62_000 + LEASE),
        }),
      ).toBe('ok');
      const resumed = await store.describe(workflowId);
      expect(resumed?.status).toBe('running');
      expect(resumed?.parked).toBeUndefined();
      expect((await row(runId)).park_attempts).toBe(0);
    });

    it('renews the leases still held and reports the ones lost to another claim', async () => {
      const type = await freshType();
      const a = await startRun(type, at(0));
      const b = await startRun(type, at(1));
      const claimed = await store.claim('w1', [type], 2, at(10), at(LEASE));
      expect(claimed).toHaveLength(2);
      const leaseOf = (runId: string) => claimed.find((c) => c.runId === runId) as ClaimedRun;
      // b's lease lapses and another worker takes it.
      await store.renew([leaseOf(a.runId)], at(LEASE - 1000), at(2 * LEASE));
      expect((await store.claim('w2', [type], 2, at(LEASE), at(3 * LEASE))).map((c) => c.runId)).toEqual([
        b.runId,
      ]);

      const lost = await store.renew([leaseOf(a.runId), leaseOf(b.runId)], at(LEASE + 1), at(4 * LEASE));
      expect(lost).toEqual([b.runId]);
      expect((await row(a.runId)).ready_at).toEqual(at(4 * LEASE));
      expect(await row(b.runId)).toMatchObject({ lease_owner: 'w2' });
      expect((await row(b.runId)).ready_at).toEqual(at(3 * LEASE));
    });
  });

  describe('enqueue', () => {
    it('returns undefined for an unknown workflow id', async () => {
      expect(
        await store.enqueue('no-such-workflow', { kind: 'signal', name: 'go', payload: null }, at(0)),
      ).toBeUndefined();
    });

    it('returns false for a closed run and stores nothing', async () => {
      const type = await freshType();
      const { workflowId, runId } = await startRun(type);
      const [lease] = await store.claim('w', [type], 1, at(0), at(LEASE));
      await store.commit({
        runId,
        fencingToken: lease?.fencingToken as number,
        now: at(1),
        events: [event(1, 1, { type: 'workflow_failed', error: { name: 'Error', message: 'boom' } })],
        consumedInbox: [],
        close: { status: 'failed', error: { name: 'Error', message: 'boom' } },
      });
      expect(await store.enqueue(workflowId, { kind: 'signal', name: 'go', payload: null }, at(2))).toBe(
        false,
      );
      expect(
        await store.enqueue(workflowId, { kind: 'cancel', name: null, payload: 'too late' }, at(2)),
      ).toBe(false);
      expect(await store.readInbox(runId)).toMatchObject({ items: [], version: 0 });
    });

    it('stores input in order for an open run and bumps the inbox version', async () => {
      const type = await freshType();
      const { workflowId, runId } = await startRun(type);
      expect(await store.enqueue(workflowId, { kind: 'signal', name: 'a', payload: 1 }, at(1))).toBe(true);
      expect(await store.enqueue(workflowId, { kind: 'cancel', name: null, payload: 'why' }, at(2))).toBe(
        true,
      );
      const inbox = await store.readInbox(runId);
      expect(inbox.version).toBe(2);
      expect(inbox.items.map(({ kind, name, payload }) => ({ kind, name, payload }))).toEqual([
        { kind: 'signal', name: 'a', payload: 1 },
        { kind: 'cancel', name: null, payload: 'why' },
      ]);
    });
  });

  describe('list', () => {
    it('filters by status and type and pages with a cursor, newest first, without overlap', async () => {
      const type = await freshType();
      const other = await freshType();
      const ids: string[] = [];
      // Several runs share a created_at, so the cursor must break ties.
      for (let i = 0; i < 7; i++)
        ids.push((await startRun(type, at(Math.floor(i / 2) * 1000), `list-${i}`)).workflowId);
      await startRun(other, at(0));
      for (const lease of await store.claim('w', [type], 2, at(10_000), at(10_000 + LEASE))) {
        await store.commit({
          ...lease,
          now: at(11_000),
          events: [event(1, 11_000, { type: 'workflow_completed', result: null })],
          consumedInbox: [],
          close: { status: 'completed' },
        });
      }

      const seen: string[] = [];
      const pages: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list({ type, limit: 3, cursor });
        pages.push(page.items.length);
        seen.push(...page.items.map((d) => d.workflowId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(pages).toEqual([3, 3, 1]);
      expect(new Set(seen).size).toBe(7);
      expect(new Set(seen)).toEqual(new Set(ids));
      const all = (await store.list({ type, limit: 100 })).items;
      expect(all.map((d) => d.workflowId)).toEqual(seen);
      const created = all.map((d) => d.createdAt.getTime());
      expect(created).toEqual([...created].sort((a, b) => b - a));

      const done = await store.list({ type, status: 'completed' });
      expect(done.items).toHaveLength(2);
      expect(done.items.every((d) => d.status === 'completed' && d.type === type)).toBe(true);
      expect(done.nextCursor).toBeUndefined();
      expect((await store.list({ type, status: 'running' })).items).toHaveLength(5);
      expect((await store.list({ type, status: ['running', 'completed'] })).items).toHaveLength(7);
      expect((await store.list({ type: other })).items.map((d) => d.type)).toEqual([other]);
      expect((await store.list({ type, status: 'cancelled' })).items).toEqual([]);
    });
  });

  describe('history round trip', () => {
    /** Runs a workflow as a worker would: every step's events committed before the next activity "runs". */
    async function runLive(fn: WorkflowFn, activities: Record<string, ActivityFn>, input: Json) {
      const type = await freshType();
      const workflowId = `live-${randomUUID()}`;
      const { runId } = await store.start({ workflowId, runId: randomUUID(), type, input, now: at(0) });
      const [lease] = await store.claim('w', [type], 1, at(0), at(LEASE));
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
        const events = live.unflushed();
        const outcome = live.outcome;
        const close =
          outcome?.type === 'workflow_completed'
            ? { status: 'completed' as const, result: outcome.result }
            : undefined;
        const committed = await store.commit({
          ...(lease as ClaimedRun),
          now: at(++ms),
          events,
          consumedInbox: [],
          close,
          leaseUntil: at(LEASE),
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

    it('gives back the events a run committed, object key order included', async () => {
      async function stockLevels() {
        return { zeta: 1, alpha: { y: 1, x: 2 }, mid: [{ b: 1, a: 2 }] };
      }
      async function stock(ctx: WorkflowContext) {
        return ctx.activity(stockLevels);
      }
      const { live, runId } = await runLive(stock, { stockLevels }, null);
      const loaded = await store.loadHistory(runId);
      expect(loaded).toEqual(live.log);
      const completed = loaded.find((e) => e.type === 'activity_completed');
      const result = (completed as { result: Awaited<ReturnType<typeof stockLevels>> } | undefined)?.result;
      expect(Object.keys(result ?? {})).toEqual(['zeta', 'alpha', 'mid']);
      expect(Object.keys(result?.alpha ?? {})).toEqual(['y', 'x']);
      expect(Object.keys(result?.mid[0] ?? {})).toEqual(['b', 'a']);
    });

    it('replays a run from its stored history to the same result it reached live', async () => {
      async function shortages() {
        return { widget: 2, bolt: 5 };
      }
      async function reorder(sku: string, qty: number) {
        return `reordered ${qty} x ${sku}`;
      }
      // Plain workflow code: one activity per key of an activity's result, in the order the result lists them.
      async function restock(ctx: WorkflowContext) {
        const missing = await ctx.activity(shortages);
        const done: Record<string, string> = {};
        for (const [sku, qty] of Object.entries(missing)) done[sku] = await ctx.activity(reorder, sku, qty);
        return done;
      }
      const { live, workflowId, runId, type } = await runLive(restock, { shortages, reorder }, null);
      expect(live.outcome).toEqual({
        type: 'workflow_completed',
        result: { widget: 'reordered 2 x widget', bolt: 'reordered 5 x bolt' },
      });

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

    // A string assertJson lets through must be storable, or the run fails at its next commit with a raw
    // Postgres error and is retried forever; either the codec rejects it with its path or the store keeps it.
    it.each([
      ['quotes, backslashes and braces', 'quotes " and \\ backslash {a,b} NULL'],
      ['non-ASCII text and control characters', 'ünïcödé 🎉 \n\t'],
      ['a NUL character', 'nul \u0000 inside'],
      ['a lone surrogate', 'lone surrogate \ud800'],
    ])('stores a string with %s, or assertJson rejects it up front', async (_, text) => {
      const payload = { text };
      try {
        assertJson(payload, 'The payload');
      } catch (err) {
        expect(err).toBeInstanceOf(ReelError);
        expect((err as ReelError).code).toBe('REEL_NOT_SERIALIZABLE');
        expect((err as ReelError).message).toContain('The payload.text');
        return;
      }
      const type = await freshType();
      const { runId } = await startRun(type);
      const [lease] = await store.claim('w', [type], 1, at(0), at(LEASE));
      const events = [event(1, 1, { type: 'signal_received', name: 'note', payload })];
      await expect(
        store.commit({ ...(lease as ClaimedRun), now: at(1), events, consumedInbox: [] }),
      ).resolves.toBe('ok');
      expect((await store.loadHistory(runId))[1]).toEqual(events[0]);
    });
  });

  describe('time', () => {
    it('claims a run only once its ready_at has passed by the now given, never by the database clock', async () => {
      const type = await freshType();
      const future = new Date('2100-01-01T00:00:00.000Z');
      const { runId } = await startRun(type, future);
      expect(
        await store.claim('w', [type], 1, new Date(future.getTime() - 1), new Date(future.getTime() + LEASE)),
      ).toEqual([]);
      const claimed = await store.claim('w', [type], 1, future, new Date(future.getTime() + LEASE));
      expect(claimed.map((c) => c.runId)).toEqual([runId]);
      expect((await row(runId)).ready_at).toEqual(new Date(future.getTime() + LEASE));

      const pastType = await freshType();
      const past = new Date('2001-01-01T00:00:00.000Z');
      await startRun(pastType, past);
      expect(await store.claim('w', [pastType], 1, new Date(past.getTime() - 1), past)).toEqual([]);
    });

    it('makes an orphaned run claimable exactly when its lease expires', async () => {
      const type = await freshType();
      const { runId } = await startRun(type);
      await store.claim('crashed', [type], 1, at(0), at(LEASE));
      expect(await store.claim('w', [type], 1, at(LEASE - 1), at(2 * LEASE))).toEqual([]);
      expect((await store.claim('w', [type], 1, at(LEASE), at(2 * LEASE))).map((c) => c.runId)).toEqual([
        runId,
      ]);
    });

    it('wakes a run waiting only for input at the now of the enqueue', async () => {
      const type = await freshType();
      const { workflowId, runId } = await startRun(type);
      const [lease] = await store.claim('w', [type], 1, at(0), at(LEASE));
      const { version } = await store.readInbox(runId);
      await store.commit({
        runId,
        fencingToken: lease?.fencingToken as number,
        now: at(1),
        events: [],
        consumedInbox: [],
        release: { readyAt: null, inboxVersion: version },
      });
      expect(await store.claim('w', [type], 1, at(1000 * LEASE), at(1001 * LEASE))).toEqual([]);

      const signalAt = at(5 * LEASE);
      expect(await store.enqueue(workflowId, { kind: 'signal', name: 'go', payload: null }, signalAt)).toBe(
        true,
      );
      expect((await row(runId)).updated_at).toEqual(signalAt);
      expect(await store.claim('w', [type], 1, new Date(signalAt.getTime() - 1), at(6 * LEASE))).toEqual([]);
      expect(await store.claim('w', [type], 1, signalAt, at(6 * LEASE))).toHaveLength(1);
    });
  });
});
