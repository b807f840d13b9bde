import type pg from 'pg';
import { Gauge, type Registry } from 'prom-client';

/** The keys of `reel_concurrency_waiting_by_key`: those with the most waiting runs, so series stay few. */
const TOP_KEYS = 10;

/**
 * One statement for the gauges read from Postgres: open runs by status, runs claimable now by type,
 * task-queue tasks claimable now by queue, runs waiting for a concurrency slot (all, and by key for
 * the keys with the most). By the database's clock, as claims are. Each part reads an index
 * (`workflows_open_id`, `workflows_ready_by_type`, `tasks_ready`, `workflows_slot_waiters`).
 */
const SAMPLE_SQL = `
  select 'open' as kind, status as key, count(*)::int as n
    from reel.workflows where status in ('running', 'parked') group by status
  union all
  select 'ready', type, count(*)::int from reel.workflows where ready_at <= now() group by type
  union all
  select 'tasks', queue, count(*)::int from reel.tasks where ready_at <= now() group by queue
  union all
  select 'waiting', '', count(*)::int from reel.workflows where slot = 'waiting'
  union all
  (select 'waitingByKey', concurrency_key, count(*)::int from reel.workflows where slot = 'waiting'
    group by concurrency_key order by count(*) desc, concurrency_key limit ${TOP_KEYS})`;

/** How long a sample serves: the three gauges of one scrape share it. */
const SAMPLE_TTL_MS = 1000;
/** A scrape answers within this even when Postgres does not; the gauges are then left out. */
const SAMPLE_TIMEOUT_MS = 2000;

type Sample = { kind: 'open' | 'ready' | 'tasks' | 'waiting' | 'waitingByKey'; key: string; n: number }[];

/**
 * The gauges read from Postgres on a scrape, from the pool last given to `watch` (none: no samples).
 * Every process that watches a pool reports the same figures: aggregate them with `max`, not `sum`.
 */
export class DatabaseGauges {
  private readonly pools = new Set<pg.Pool>();
  private sample: { at: number; rows: Promise<Sample | undefined> } | undefined;

  constructor(registers: Registry[]) {
    /** A gauge of the sample's rows of `kind`, by `label` (none: one figure). */
    const gauge = (name: string, help: string, label: string | undefined, kind: Sample[number]['kind']) => {
      const sampler = this;
      new Gauge({
        name,
        help,
        labelNames: label ? [label] : [],
        registers,
        async collect() {
          const rows = await sampler.read();
          this.reset();
          for (const r of rows ?? []) {
            if (r.kind !== kind) continue;
            if (label) this.set({ [label]: r.key }, r.n);
            else this.set(r.n);
          }
        },
      });
    };
    gauge('reel_open_runs', 'Open runs by status (running, parked), read from Postgres.', 'status', 'open');
    gauge(
      'reel_workflow_backlog',
      'Runs claimable now that no worker has claimed, by workflow type, read from Postgres.',
      'type',
      'ready',
    );
    gauge(
      'reel_task_backlog',
      'Task-queue activity attempts claimable now that no worker has claimed, by queue, read from Postgres.',
      'queue',
      'tasks',
    );
    gauge(
      'reel_concurrency_waiting',
      'Runs waiting for a slot of their concurrency key, read from Postgres.',
      undefined,
      'waiting',
    );
    gauge(
      'reel_concurrency_waiting_by_key',
      `Runs waiting for a slot, by concurrency key, for the ${TOP_KEYS} keys with the most, read from Postgres.`,
      'key',
      'waitingByKey',
    );
  }

  watch(pool: pg.Pool): () => void {
    this.pools.add(pool);
    return () => void this.pools.delete(pool);
  }

  private read(): Promise<Sample | undefined> {
    const pool = [...this.pools].at(-1);
    if (!pool) return Promise.resolve(undefined);
    if (this.sample && performance.now() - this.sample.at < SAMPLE_TTL_MS) return this.sample.rows;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>(
      (resolve) => (timer = setTimeout(() => resolve(undefined), SAMPLE_TIMEOUT_MS)),
    );
    const rows = Promise.race([pool.query<Sample[number]>(SAMPLE_SQL).then((r) => r.rows), late])
      // The scrape still answers while Postgres is down, without these gauges.
      .catch(() => undefined)
      .finally(() => clearTimeout(timer));
    this.sample = { at: performance.now(), rows };
    return rows;
  }
}
