import type pg from 'pg';
import { Gauge, type Registry } from 'prom-client';

/**
 * One statement for the three gauges read from Postgres: open runs by status, runs claimable now by
 * type, task-queue tasks claimable now by queue. By the database's clock, as claims are. Each part
 * reads an index (`workflows_open_id`, `workflows_ready_by_type`, `tasks_ready`).
 */
const SAMPLE_SQL = `
  select 'open' as kind, status as key, count(*)::int as n
    from reel.workflows where status in ('running', 'parked') group by status
  union all
  select 'ready', type, count(*)::int from reel.workflows where ready_at <= now() group by type
  union all
  select 'tasks', queue, count(*)::int from reel.tasks where ready_at <= now() group by queue`;

/** How long a sample serves: the three gauges of one scrape share it. */
const SAMPLE_TTL_MS = 1000;
/** A scrape answers within this even when Postgres does not; the gauges are then left out. */
const SAMPLE_TIMEOUT_MS = 2000;

type Sample = { kind: 'open' | 'ready' | 'tasks'; key: string; n: number }[];

/**
 * The gauges read from Postgres on a scrape, from the pool last given to `watch` (none: no samples).
 * Every process that watches a pool reports the same figures: aggregate them with `max`, not `sum`.
 */
export class DatabaseGauges {
  private readonly pools = new Set<pg.Pool>();
  private sample: { at: number; rows: Promise<Sample | undefined> } | undefined;

  constructor(registers: Registry[]) {
    const gauge = (name: string, help: string, label: string, kind: Sample[number]['kind']) => {
      const sampler = this;
      new Gauge({
        name,
        help,
        labelNames: [label],
        registers,
        async collect() {
          const rows = await sampler.read();
          this.reset();
          for (const r of rows ?? []) if (r.kind === kind) this.set({ [label]: r.key }, r.n);
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
