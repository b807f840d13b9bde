import { Client, PostgresStore, type ReelError } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpired, Worker } from '../src/index.ts';
import { scheduledWorkflows } from './fixtures/scheduled.ts';
import { activities, cancellable, threeSteps, workflows } from './fixtures/workflows.ts';
import { until } from './helpers.ts';

const db = useTestDatabase();
const DAY = 86_400_000;
let worker: Worker;
let client: Client;
let pool: pg.Pool;

beforeAll(async () => {
  worker = await Worker.create({
    connectionString: db.connectionString,
    workflows,
    activities,
    handleSignals: false,
    retention: false,
  });
  void worker.run();
  client = new Client({ connectionString: db.connectionString });
  pool = new pg.Pool({ connectionString: db.connectionString });
});
afterAll(async () => {
  await worker?.shutdown();
  await client?.close();
  await pool?.end();
});

const exists = (id: string) =>
  client.describe(id).then(
    () => true,
    (e: ReelError) => (e.code === 'REEL_WORKFLOW_NOT_FOUND' ? false : Promise.reject(e)),
  );
const historyRows = async (runIds: string[]) =>
  Number(
    (await pool.query('select count(*) from reel.history where run_id = any($1)', [runIds])).rows[0].count,
  );

/** A PostgresStore that counts the claims and the purge statements made through it. */
class CountingStore extends PostgresStore {
  claims = 0;
  purges = 0;
  override async claim(...args: Parameters<PostgresStore['claim']>) {
    const claimed = await super.claim(...args);
    this.claims++;
    return claimed;
  }
  override async purgeClosed(closedBefore: Date, limit: number) {
    const deleted = await super.purgeClosed(closedBefore, limit);
    this.purges++;
    return deleted;
  }
}

/** A worker whose engine clock reads `at`, serving a type no run here has: it only does housekeeping. */
async function housekeeper(at: Date, retention?: string | false) {
  const store = new CountingStore({ connectionString: db.connectionString });
  const worker = await Worker.create({
    store,
    workflows: scheduledWorkflows,
    handleSignals: false,
    clock: () => at,
    ...(retention === undefined ? {} : { retention }),
  });
  const running = worker.run();
  return {
    store,
    async stop() {
      await worker.shutdown();
      await running;
      await store.close();
    },
  };
}

/** One retention statement, for what closed or went idle before `cutoff`. */
async function purgeOnce(cutoff: Date): Promise<void> {
  const store = new PostgresStore({ connectionString: db.connectionString });
  try {
    await store.purgeClosed(cutoff, 500);
  } finally {
    await store.close();
  }
}

describe('retention', () => {
  it('deletes closed runs older than the retention period with their history, and keeps the rest', async () => {
    // Old: closed ones of each kind.
    const completed = await client.start(threeSteps, { a: 1, b: 2 }, { id: 'old-completed' });
    await completed.result();
    const terminated = await client.start(cancellable, undefined, { id: 'old-terminated' });
    await terminated.terminate('done with it');
    const old = [completed.runId, terminated.runId] as string[];
    const closedAt = await Promise.all(
      ['old-completed', 'old-terminated'].map(async (id) => (await client.describe(id)).closedAt as Date),
    );
    const cutoff = new Date(Math.max(...closedAt.map((d) => d.getTime())) + 1);
    await until(() => Date.now() > cutoff.getTime(), 'the clock to pass the cutoff');
    // Recent: closed after the cutoff. Open: started before it, still sleeping.
    const recent = await client.start(threeSteps, { a: 3, b: 4 }, { id: 'recent-completed' });
    await recent.result();
    const open = await client.start(cancellable, undefined, { id: 'open-sleeping' });
    expect(await historyRows(old)).toBeGreaterThan(0);

    // Thirty days after the cutoff, by the engine clock, `retention: false` deletes nothing: its
    // worker has claimed (its loops, retention's among them, have started) and stopped, never purging...
    const keeper = await housekeeper(new Date(cutoff.getTime() + 30 * DAY), false);
    await until(() => keeper.store.claims > 0, 'the worker to serve');
    await keeper.stop();
    expect(keeper.store.purges).toBe(0);
    expect(await exists('old-completed')).toBe(true);

    // ...and the default retention (30 days) deletes what closed before the cutoff, at start.
    const purger = await housekeeper(new Date(cutoff.getTime() + 30 * DAY));
    try {
      await until(() => purger.store.purges > 0, 'the first retention pass');
      expect(await exists('old-completed')).toBe(false);
      expect(await exists('old-terminated')).toBe(false);
      expect(await historyRows(old)).toBe(0);
      expect((await client.describe('recent-completed')).status).toBe('completed');
      expect(await historyRows([recent.runId as string])).toBeGreaterThan(0);
      expect((await client.describe('open-sleeping')).status).toBe('running');
    } finally {
      await purger.stop();
      await open.terminate();
    }
  });

  it('deletes in batches, oldest first, skipping nothing', async () => {
    const closedAt = new Date('2020-01-01T00:00:00Z');
    await pool.query(
      `with runs as (
         insert into reel.workflows (run_id, workflow_id, type, status, history_length, created_at, updated_at, closed_at)
         select gen_random_uuid(), 'bulk-' || i, 'threeSteps', 'completed', 2, $1::timestamptz, $1::timestamptz,
                $1::timestamptz + i * interval '1 second'
           from generate_series(1, 1200) as i
         returning run_id
       )
       insert into reel.history (run_id, seq, type, data, at)
       select run_id, seq, 'workflow_started', '{}', $1 from runs, generate_series(0, 1) as seq`,
      [closedAt],
    );
    const store = new PostgresStore({ connectionString: db.connectionString });
    try {
      const cutoff = new Date(closedAt.getTime() + 1000 * 1000.5); // after bulk-1 … bulk-1000
      expect(await store.purgeClosed(cutoff, 300)).toBe(300); // one batch: at most its size
      expect(await exists('bulk-1')).toBe(false);
      expect(await exists('bulk-301')).toBe(true); // oldest first
      expect(await purgeExpired(store, cutoff, { batchSize: 300 })).toBe(700);
      expect(await exists('bulk-1000')).toBe(false);
      expect(await exists('bulk-1001')).toBe(true);
      expect(await purgeExpired(store, new Date('2021-01-01T00:00:00Z'))).toBe(200);
      const { rows } = await pool.query(
        `select count(*) from reel.history h where not exists (select 1 from reel.workflows w where w.run_id = h.run_id)`,
      );
      expect(Number(rows[0].count)).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('deletes the webhook deliveries done before the cutoff, and keeps later and unfinished ones', async () => {
    const cutoff = new Date('2030-01-01T00:00:00Z');
    const day = (days: number) => new Date(cutoff.getTime() + days * DAY);
    await pool.query(
      `insert into reel.hook_deliveries (hook, delivery_id, claimed_at, done_at)
       values ('orders', 'old', $1, $1), ('orders', 'recent', $2, $2), ('orders', 'claimed', $1, null)`,
      [day(-1), day(1)],
    );
    await purgeOnce(cutoff);
    const { rows } = await pool.query('select delivery_id from reel.hook_deliveries order by delivery_id');
    expect(rows.map((r) => r.delivery_id)).toEqual(['claimed', 'recent']);
  });

  it('deletes the rate buckets idle since the cutoff, and keeps the ones in use', async () => {
    const cutoff = new Date('2030-01-01T00:00:00Z');
    await pool.query(`insert into reel.rate_buckets (key, tat) values ('idle', $1), ('busy', $2)`, [
      new Date(cutoff.getTime() - DAY),
      new Date(cutoff.getTime() + 1000),
    ]);
    await purgeOnce(cutoff);
    const { rows } = await pool.query('select key from reel.rate_buckets');
    expect(rows.map((r) => r.key)).toEqual(['busy']);
  });

  it('rejects a retention that is not a duration', async () => {
    const code = (retention: unknown) =>
      Worker.create({
        connectionString: db.connectionString,
        workflows,
        retention: retention as string,
      }).then(
        () => 'resolved',
        (e: ReelError) => e.code,
      );
    expect(await code('a while')).toBe('REEL_INVALID_DURATION');
    expect(await code(0)).toBe('REEL_INVALID_ARGUMENT');
  });
});
