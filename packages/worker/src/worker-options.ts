import {
  type ActivityFn,
  activityOptions,
  attemptQueue,
  type Duration,
  ErrorCodes,
  type GuardMode,
  LIMITED_QUEUE,
  type Logger,
  type PostgresOptions,
  ReelError,
  type Store,
  toMs,
  type WorkflowFn,
} from '@reel/sdk';
import type { WorkerMetrics } from './metrics.ts';

/** Where the worker keeps its state (Postgres, or a `Store` such as the test environment's) and what it serves. */
export type WorkerOptions = ((PostgresOptions & { store?: undefined }) | { store: Store }) & {
  /**
   * Workflow functions, each under its own function name: `{ orderWorkflow }`. May be left out when
   * `taskQueues` is given: the worker then only runs activities from those queues.
   */
  workflows?: Record<string, WorkflowFn>;
  /** Activity functions, by the name history records them under: `{ chargeCard, ship }`. */
  activities?: Record<string, ActivityFn>;
  /** Runs held in memory at once. Default 10. */
  concurrency?: number;
  /**
   * Task queues this worker serves: it claims and runs the attempts of activities defined with one
   * of these `taskQueue`s (and registered in `activities`). Default: none. Every worker also runs the
   * attempts of the activities it registers that have a `concurrency` or `rateLimit` and no `taskQueue`.
   */
  taskQueues?: string[];
  /** Task-queue activities (and activities with a limit) run at once. Default 10. */
  taskConcurrency?: number;
  /**
   * Lease length; a crashed worker's runs, and the tasks it claimed, are taken up elsewhere after it.
   * Default 30 s.
   */
  leaseMs?: number;
  /** Fallback poll interval when no notification arrives. Default 1 s. */
  pollIntervalMs?: number;
  /** Waits up to this long keep the run in memory; longer ones suspend it. Default 1 s. */
  stickyMs?: number;
  /** How long `shutdown()` lets running activities finish before it lets go of their runs. Default 30 s. */
  shutdownGraceMs?: number;
  /** Apply migrations on create. Default true. */
  migrate?: boolean;
  /**
   * How long `create` waits for Postgres to become reachable (started with it, or restarting),
   * trying again with backoff and logging each wait. Default `'2 minutes'`; 0 fails at once.
   */
  waitForDatabase?: Duration;
  /** Drain gracefully on SIGTERM and SIGINT while `run()` is under way. Default true. */
  handleSignals?: boolean;
  /**
   * Workflow code that starts I/O or a real timer: `throw` parks the run with a
   * DeterminismViolationError, `warn` logs it. Default `warn` when NODE_ENV is production, else `throw`.
   */
  determinismGuard?: GuardMode;
  /** Hooks for metrics; `prometheusMetrics()` implements them with prom-client. */
  metrics?: WorkerMetrics;
  /**
   * How long closed runs (completed, failed, cancelled, terminated) and their history are kept before
   * the worker deletes them, in small batches. Default `'30 days'`; `false` keeps them forever.
   */
  retention?: Duration | false;
  /** The engine clock. Default the system clock. */
  clock?: () => Date;
  /**
   * A pino-compatible logger (pino itself, Fastify's `app.log`). Every line names the worker
   * (`worker`: its identity) and, for a run, `workflowId`, `runId` and `type`. Default: pino to
   * stdout at `REEL_LOG_LEVEL`, else `info`.
   */
  logger?: Logger;
};

/** Whether some activity has a limit and no `taskQueue`: its attempts go through `LIMITED_QUEUE`. */
export function hasLimitedActivity(activities: Record<string, ActivityFn>): boolean {
  return Object.values(activities).some(
    (fn) => typeof fn === 'function' && attemptQueue(activityOptions(fn)) === LIMITED_QUEUE,
  );
}

/** Checks the options `Worker.create` was given; throws `REEL_INVALID_ARGUMENT` saying what to fix. */
export function validateOptions(options: WorkerOptions): void {
  const bad = (message: string) => new ReelError(ErrorCodes.INVALID_ARGUMENT, message);
  if (!options || typeof options !== 'object') throw bad('Worker.create expects an options object.');
  if (options.store === undefined && !options.pool && typeof options.connectionString !== 'string') {
    throw bad('Worker.create needs a connectionString or a pg pool.');
  }
  const workflows = Object.entries(options.workflows ?? {});
  const queues = options.taskQueues;
  if (
    queues !== undefined &&
    !(Array.isArray(queues) && queues.every((q) => typeof q === 'string' && q !== ''))
  )
    throw bad(`taskQueues must be an array of non-empty strings, not ${JSON.stringify(queues)}.`);
  if (workflows.length === 0 && !queues?.length && !hasLimitedActivity(options.activities ?? {}))
    throw bad(
      "Worker.create needs at least one workflow: { workflows: { orderWorkflow } }, task queues to serve: { taskQueues: ['gpu'], activities }, or activities with a concurrency or rateLimit.",
    );
  for (const [name, fn] of workflows) {
    if (typeof fn !== 'function') throw bad(`Workflow '${name}' is not a function.`);
    if (fn.name !== name) {
      throw bad(
        `Workflow function '${fn.name}' is registered as '${name}'. Register it under its own name ({ ${fn.name || name} }) so clients that start it by function find it.`,
      );
    }
  }
  for (const [name, fn] of Object.entries(options.activities ?? {})) {
    if (typeof fn !== 'function') throw bad(`Activity '${name}' is not a function.`);
  }
  for (const key of ['leaseMs', 'pollIntervalMs'] as const) {
    if (options[key] !== undefined && !((options[key] as number) > 0))
      throw bad(`${key} must be greater than 0, not ${options[key]}.`);
  }
  for (const key of [
    'concurrency',
    'taskConcurrency',
    'leaseMs',
    'pollIntervalMs',
    'stickyMs',
    'shutdownGraceMs',
  ] as const) {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && Number.isFinite(v)))
      throw bad(`${key} must be a finite number >= 0, not ${v}.`);
  }
  // These are durations too: past MAX_DURATION_MS, the times computed from them are not dates.
  for (const key of ['leaseMs', 'pollIntervalMs', 'stickyMs', 'shutdownGraceMs'] as const) {
    if (options[key] !== undefined) toMs(options[key], key);
  }
  if (options.concurrency !== undefined && options.concurrency < 1)
    throw bad('concurrency must be at least 1.');
  if (options.taskConcurrency !== undefined && options.taskConcurrency < 1)
    throw bad('taskConcurrency must be at least 1.');
  const logger = options.logger as Partial<Record<string, unknown>> | undefined;
  if (
    logger !== undefined &&
    !['debug', 'info', 'warn', 'error', 'child'].every((m) => typeof logger?.[m] === 'function')
  )
    throw bad(
      'logger must be a pino-compatible logger, with debug, info, warn, error and child methods (a pino logger fits).',
    );
  if (options.waitForDatabase !== undefined) toMs(options.waitForDatabase, 'waitForDatabase');
  if (
    options.retention !== undefined &&
    options.retention !== false &&
    !(toMs(options.retention, 'retention') > 0)
  )
    throw bad('retention must be a duration longer than 0, or false to keep closed runs forever.');
}
