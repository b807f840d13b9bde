import { randomUUID } from 'node:crypto';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { PostgresStore } from '../src/index.ts';

// A claim brings a run's history and inbox as its snapshot holds them (CLAIM). Here a signal commits
// after a claim's snapshot and before the claim locks the run, which Postgres makes it lock in its
// newer version: the claim must leave the reading to the worker, not bring an inbox without the signal.

const db = useTestDatabase();
const at = (ms: number) => new Date(Date.parse('2026-03-01T09:00:00.000Z') + ms);
const GATE = 7_070_707;
let admin: pg.Pool;
let store: PostgresStore;

beforeAll(async () => {
  admin = new pg.Pool({ connectionString: db.connectionString });
  store = new PostgresStore({ connectionString: db.connectionString, claimClock: 'engine' });
  await store.migrate();
  // This database's claims call reel.claim_order for each run they scan (its index is gone), and a
  // session with reel.test_gate on waits there while the test holds the gate.
  await admin.query('drop index reel.workflows_claim_order_by_type');
  await admin.query(`
    create or replace function reel.claim_order(ready_at timestamptz, held boolean, priority smallint)
      returns timestamptz language plpgsql immutable as $$
    begin
      if current_setting('reel.test_gate', true) = 'on' then
        perform pg_advisory_lock_shared(${GATE});
        perform pg_advisory_unlock_shared(${GATE});
      end if;
      return ready_at - case when held then 0 else priority end * interval '1 minute';
    end $$`);
});
afterAll(async () => {
  await store?.close();
  await admin?.end();
});

it('a signal committed while a claim runs is read by the worker, not left out of what the claim brings', async () => {
  const type = `type_${randomUUID().slice(0, 8)}`;
  await store.registerTypes([type], at(0));
  const workflowId = `wf-${randomUUID()}`;
  const { runId } = await store.start({ workflowId, runId: randomUUID(), type, input: null, now: at(0) });

  const gate = await admin.connect();
  const gatedPool = new pg.Pool({ connectionString: db.connectionString, options: '-c reel.test_gate=on' });
  const gated = new PostgresStore({ pool: gatedPool, claimClock: 'engine' });
  try {
    await gate.query('select pg_advisory_lock($1)', [GATE]);
    const claiming = gated.claim('worker-1', [type], 1, at(10), 30_000);
    // The claim has taken its snapshot and waits at the gate, before it locks the run.
    await vi.waitFor(async () => {
      const { rows } = await admin.query(
        `select 1 from pg_locks where locktype = 'advisory' and objid = $1 and not granted`,
        [GATE],
      );
      expect(rows).toHaveLength(1);
    }, 10_000);
    expect(await store.enqueue(workflowId, { kind: 'signal', name: 'go', payload: 1 }, at(5))).toBe(true);
    await gate.query('select pg_advisory_unlock($1)', [GATE]);

    const [claimed] = await claiming;
    expect(claimed?.runId).toBe(runId);
    expect((await store.readInbox(runId)).items).toMatchObject([{ kind: 'signal', name: 'go' }]);
    expect(claimed?.loaded).toBeUndefined();
  } finally {
    gate.release();
    await gatedPool.end();
  }
});
