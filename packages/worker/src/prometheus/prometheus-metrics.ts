import { type ClientMetrics, ErrorCodes } from '@reel/sdk';
import type pg from 'pg';
import { Counter, collectDefaultMetrics, register as globalRegistry, Histogram, Registry } from 'prom-client';
import type { WorkerMetrics } from '../metrics.ts';
import { DatabaseGauges } from './database-gauges.ts';

/** The `WorkerMetrics` and `ClientMetrics` hooks with prom-client behind them, and the database gauges. */
export interface PrometheusMetrics extends WorkerMetrics, ClientMetrics {
  readonly registry: Registry;
  /** A run was created; a `Client` given these metrics calls it, and so does a worker. */
  workflowStarted(type: string): void;
  /** A run was terminated (closed without a worker); a `Client` given these metrics calls it. */
  workflowTerminated(type: string): void;
  /**
   * Reports the gauges read from Postgres (open runs by status, the backlogs) from this pool on every
   * scrape; returns the function that stops it.
   */
  watchDatabase(pool: pg.Pool): () => void;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const FAST_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const STEP_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
/** From a run's start to its close: milliseconds to a week. */
const RUN_SECONDS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14_400, 86_400, 604_800];
const BATCH_RUNS = [1, 2, 4, 8, 16, 32, 64, 100];

// One set per registry: a server and a worker in one process share it, and prom-client refuses a name twice.
const byRegistry = new WeakMap<Registry, PrometheusMetrics>();

/**
 * Prometheus metrics for Reel, registered once per registry (default: prom-client's global one),
 * with prom-client's default process metrics. Pass the result to `Worker.create({ metrics })` and
 * `new Client({ metrics })`, and serve the registry: `serveMetrics`, `buildServer({ metrics: registry })`,
 * or a route of your own. docs/operations.md lists every metric.
 * @example
 * const metrics = prometheusMetrics(registry);
 * const worker = await Worker.create({ connectionString, workflows, activities, metrics });
 * await serveMetrics({ registry, port: 9464, health: () => worker.health() });
 */
export function prometheusMetrics(registry: Registry = globalRegistry): PrometheusMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  if (!registry.getSingleMetric('process_cpu_user_seconds_total'))
    collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const counter = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name, help, labelNames, registers });
  const histogram = (name: string, help: string, labelNames: string[], buckets: number[]) =>
    new Histogram({ name, help, labelNames, buckets, registers });

  const started = counter('reel_workflows_started_total', 'Workflow runs created.', ['type']);
  const closed = counter(
    'reel_workflows_closed_total',
    'Workflow runs closed: completed, failed, cancelled, continued (as new) or terminated.',
    ['type', 'status'],
  );
  const runDuration = histogram(
    'reel_workflow_duration_seconds',
    'End to end: from a run being created to its close, by the engine clock.',
    ['type', 'status'],
    RUN_SECONDS,
  );
  const step = histogram(
    'reel_step_duration_seconds',
    'One step of a run: read its inbox, advance its code, commit, start what follows.',
    ['type'],
    STEP_SECONDS,
  );
  const attempts = counter('reel_activity_attempts_total', 'Activity attempts started.', ['activity']);
  const activity = histogram(
    'reel_activity_duration_seconds',
    'Activity attempt duration; outcome is completed, retrying or failed.',
    ['activity', 'outcome'],
    SECONDS,
  );
  const activityFailures = counter(
    'reel_activity_failures_total',
    'Activity attempts that threw (retried or not).',
    ['activity'],
  );
  const scheduleToStart = histogram(
    'reel_schedule_to_start_seconds',
    'Time from a run becoming ready to a worker claiming it.',
    ['type'],
    SECONDS,
  );
  const replay = histogram(
    'reel_replay_duration_seconds',
    'Time to replay a claimed run.',
    ['type'],
    FAST_SECONDS,
  );
  const claim = histogram(
    'reel_claim_duration_seconds',
    "Round trip of a worker's claim statement.",
    [],
    FAST_SECONDS,
  );
  const commit = histogram(
    'reel_commit_duration_seconds',
    "Time for a run's events to become durable, from the flush to its answer (group-commit wait included).",
    [],
    FAST_SECONDS,
  );
  const batch = histogram(
    'reel_commit_batch_size',
    'Runs whose flushes one group-commit statement carried.',
    [],
    BATCH_RUNS,
  );
  const startBatch = histogram(
    'reel_start_batch_size',
    'Starts one grouped start statement carried (starts made at once go together).',
    [],
    BATCH_RUNS,
  );
  const nondeterminism = counter(
    'reel_nondeterminism_errors_total',
    'Runs parked because their code no longer replays their history.',
    ['type'],
  );
  const parked = counter('reel_runs_parked_total', 'Runs parked, by error code.', ['type', 'code']);
  const leasesLost = counter('reel_leases_lost_total', 'Leases lost to another worker.', ['type']);
  const database = new DatabaseGauges(registers);

  const metrics: PrometheusMetrics = {
    registry,
    workflowStarted: (type) => started.inc({ type }),
    workflowTerminated: (type) => closed.inc({ type, status: 'terminated' }),
    watchDatabase: (pool) => database.watch(pool),
    claimAnswered: (ms) => claim.observe(ms / 1000),
    runClaimed: (type, waitedMs) => scheduleToStart.observe({ type }, waitedMs / 1000),
    replayed: (type, _events, ms) => replay.observe({ type }, ms / 1000),
    stepped: (type, ms) => step.observe({ type }, ms / 1000),
    committed: (ms) => commit.observe(ms / 1000),
    commitBatch: (runs) => batch.observe(runs),
    startBatch: (starts) => startBatch.observe(starts),
    activityStarted: (name) => attempts.inc({ activity: name }),
    activityFinished(name, ms, outcome) {
      activity.observe({ activity: name, outcome }, ms / 1000);
      if (outcome !== 'completed') activityFailures.inc({ activity: name });
    },
    workflowClosed(type, status, ms) {
      closed.inc({ type, status });
      runDuration.observe({ type, status }, ms / 1000);
    },
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
