import { ErrorCodes } from '@reel/sdk';
import type { WorkerMetrics } from '@reel/worker';
import type pg from 'pg';
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  register as globalRegistry,
  Histogram,
  Registry,
} from 'prom-client';

/** Worker hooks plus what the server and the scrape add. */
export interface PrometheusMetrics extends WorkerMetrics {
  readonly registry: Registry;
  /** A workflow run was created (the server's start route calls this; call it from your own start paths too). */
  workflowStarted(type: string): void;
  /** Report `reel_task_backlog` from this pool on every scrape; returns the function that stops it. */
  watchBacklog(pool: pg.Pool): () => void;
}

// Runnable runs that no worker holds. Parameterized on the scrape's clock like every engine query.
const BACKLOG_SQL =
  'select count(*)::int as n from reel.workflows where ready_at <= $1 and lease_owner is null';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const FAST_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

// One set per registry: a server and a worker in one process share it, and prom-client refuses a name twice.
const byRegistry = new WeakMap<Registry, PrometheusMetrics>();

/**
 * Prometheus metrics for Reel, registered once per registry (default: prom-client's global one),
 * with prom-client's default process metrics. Pass the result to `Worker.create({ metrics })`
 * and the same registry to `buildServer({ metrics })`.
 * @example
 * const metrics = prometheusMetrics(registry);
 * const worker = await Worker.create({ connectionString, workflows, activities, metrics });
 * const app = buildServer({ client, metrics: registry });
 */
export function prometheusMetrics(registry: Registry = globalRegistry): PrometheusMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  if (!registry.getSingleMetric('process_cpu_user_seconds_total'))
    collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const started = new Counter({
    name: 'reel_workflows_started_total',
    help: 'Workflow runs created.',
    labelNames: ['type'],
    registers,
  });
  const closed = new Counter({
    name: 'reel_workflows_closed_total',
    help: 'Workflow runs closed by a worker.',
    labelNames: ['type', 'status'],
    registers,
  });
  const activity = new Histogram({
    name: 'reel_activity_duration_seconds',
    help: 'Activity attempt duration; outcome is completed, retrying or failed.',
    labelNames: ['activity', 'outcome'],
    buckets: SECONDS,
    registers,
  });
  const activityFailures = new Counter({
    name: 'reel_activity_failures_total',
    help: 'Activity attempts that threw (retried or not).',
    labelNames: ['activity'],
    registers,
  });
  const scheduleToStart = new Histogram({
    name: 'reel_schedule_to_start_seconds',
    help: 'Time from a run becoming ready to a worker claiming it.',
    labelNames: ['type'],
    buckets: SECONDS,
    registers,
  });
  const replay = new Histogram({
    name: 'reel_replay_duration_seconds',
    help: 'Time to replay a claimed run.',
    labelNames: ['type'],
    buckets: FAST_SECONDS,
    registers,
  });
  const nondeterminism = new Counter({
    name: 'reel_nondeterminism_errors_total',
    help: 'Runs parked because their code no longer replays their history.',
    labelNames: ['type'],
    registers,
  });
  const parked = new Counter({
    name: 'reel_runs_parked_total',
    help: 'Runs parked, by error code.',
    labelNames: ['type', 'code'],
    registers,
  });
  const leasesLost = new Counter({
    name: 'reel_leases_lost_total',
    help: 'Leases lost to another worker.',
    labelNames: ['type'],
    registers,
  });
  const pools = new Set<pg.Pool>();
  new Gauge({
    name: 'reel_task_backlog',
    help: 'Runnable workflow runs no worker has claimed yet (read from Postgres on scrape).',
    registers,
    async collect() {
      const pool = [...pools].at(-1);
      if (!pool) return;
      try {
        const { rows } = await pool.query(BACKLOG_SQL, [new Date()]);
        this.set(rows[0].n);
      } catch {
        this.set(Number.NaN); // the scrape still answers while Postgres is down
      }
    },
  });

  const metrics: PrometheusMetrics = {
    registry,
    workflowStarted: (type) => started.inc({ type }),
    watchBacklog(pool) {
      pools.add(pool);
      return () => void pools.delete(pool);
    },
    runClaimed: (type, waitedMs) => scheduleToStart.observe({ type }, waitedMs / 1000),
    replayed: (type, _events, ms) => replay.observe({ type }, ms / 1000),
    activityFinished(name, ms, outcome) {
      activity.observe({ activity: name, outcome }, ms / 1000);
      if (outcome !== 'completed') activityFailures.inc({ activity: name });
    },
    workflowClosed: (type, status) => closed.inc({ type, status }),
    parked(type, code) {
      parked.inc({ type, code });
      if (code === ErrorCodes.NONDETERMINISM) nondeterminism.inc({ type });
    },
    leaseLost: (type) => leasesLost.inc({ type }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}

export { Registry };
