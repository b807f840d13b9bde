import {
  type ActivityFn,
  activityOptions,
  boundLogger,
  type ClaimedTask,
  ErrorCodes,
  errorFields,
  type Json,
  type Logger,
  ReelError,
  runParentContext,
  type Store,
  type TaskOutcome,
} from '@reel/sdk';
import { attemptSettings, logFailedAttempt } from './activity-outcome.ts';
import { AttemptControl, runAttempt } from './activity-runner.ts';
import { tracedAttempt } from './activity-span.ts';
import { Doorbell } from './doorbell.ts';
import { LoopLog } from './loop-log.ts';
import type { WorkerMetrics } from './metrics.ts';
import { retryDelay } from './retry.ts';

/** The shortest wait after a pass that claimed nothing: a claimable task may be locked by another claim. */
const MIN_WAIT_MS = 10;

export interface TaskWorkerOptions {
  store: Store;
  clock: () => Date;
  /** Recorded as `claimed_by` on the tasks this worker takes. */
  identity: string;
  /** The task queues served. */
  queues: string[];
  /** The activities it can run; it claims only tasks of these. */
  activities: Map<string, ActivityFn>;
  /** Tasks run at once. */
  concurrency: number;
  /** How long a claim hides a task from other workers; renewed every third of it while the task runs. */
  claimMs: number;
  /** The longest the loop waits before it looks for tasks again. */
  pollMs: number;
  /** How long `stop()` lets running tasks finish before it lets go of them. */
  graceMs: number;
  logger: Logger;
  metrics: WorkerMetrics;
}

interface Running {
  task: ClaimedTask;
  control: AttemptControl;
  /** The latest heartbeat details, and whether they were stored yet. */
  details?: { value: Json; stored: boolean };
  /** Let go at shutdown: its outcome is not reported, and its claim lapses for another worker. */
  abandoned: boolean;
  done: Promise<void>;
}

/**
 * A worker's task-queue loop: claims tasks on the queues it serves (woken by NOTIFY, polling as a
 * fallback), runs each attempt with the activity's timeouts, renews its claims meanwhile (storing
 * the latest heartbeat details), and reports each outcome, which deletes the task and puts the
 * outcome in the run's inbox in one transaction. A claim that lapses (the worker crashed) makes the
 * task claimable again, so another worker runs that attempt again.
 */
export class TaskWorker {
  private readonly running = new Map<string, Running>();
  private stopped = false;
  /** Rung by notifications, finished work and wake times: the loop looks for work again. */
  private readonly bell = new Doorbell();
  private loop: Promise<void> | undefined;
  private renewal: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private stopping: Promise<void> | undefined;
  private readonly claims: LoopLog;
  private readonly renewals: LoopLog;

  constructor(private readonly options: TaskWorkerOptions) {
    this.claims = new LoopLog(options.logger, 'claiming tasks');
    this.renewals = new LoopLog(options.logger, 'renewing task claims');
  }

  async start(): Promise<void> {
    const { store, queues } = this.options;
    this.unlisten = await store.listen({
      onTask: (queue) => {
        if (queues.includes(queue)) this.bell.ring();
      },
      onTaskCancelled: (taskId) => {
        this.running
          .get(taskId)
          ?.control.stop(
            new ReelError(ErrorCodes.CANCELLED, 'The workflow no longer waits for this activity.'),
          );
      },
      onWake: (runId) => {
        if (runId === '') this.bell.ring(); // anything may have changed (the listener reconnected)
      },
    });
    this.renewal = setInterval(() => void this.renew(), Math.min(this.options.claimMs / 3, 10_000));
    this.loop = this.run();
  }

  /** Stops claiming, lets running tasks finish (up to the grace period), then lets go of the rest. */
  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  private async drain(): Promise<void> {
    this.stopped = true;
    this.bell.ring();
    await this.loop;
    const all = Promise.all([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), this.options.graceMs)));
    if ((await Promise.race([all, grace])) === 'late') {
      for (const r of this.running.values()) {
        r.abandoned = true;
        r.control.stop(
          new ReelError(ErrorCodes.LEASE_LOST, 'The worker shut down before this activity finished.'),
        );
      }
      await all;
    }
    clearTimeout(timer);
    clearInterval(this.renewal);
    await this.unlisten?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let wait = this.options.pollMs;
      try {
        wait = Math.min(wait, await this.claim());
      } catch (err) {
        this.claims.failed(err);
      }
      await this.bell.wait(wait);
    }
  }

  /** Claims what fits; returns how long the loop may wait before it should look again. */
  private async claim(): Promise<number> {
    const { store, clock, identity, queues, activities, concurrency, claimMs } = this.options;
    const free = concurrency - this.running.size;
    if (free <= 0) return Infinity; // a finishing task kicks the loop
    const names = [...activities.keys()];
    const sentAt = performance.now();
    const tasks = await store.claimTasks(identity, queues, names, free, clock(), claimMs);
    this.claims.succeeded();
    for (const task of await this.held(tasks, sentAt)) this.execute(task);
    if (tasks.length === free) return 0;
    const next = await store.nextTaskIn(queues, names, clock());
    if (next === undefined) return Infinity;
    return Math.max(tasks.length > 0 ? 0 : MIN_WAIT_MS, next);
  }

  /**
   * The claimed tasks whose claims still hold, renewed first when the claim took so long (the process
   * paused) that they may have lapsed: an attempt starts only on a claim known to outlast a third of
   * `claimMs`, as a run's driver proves its lease, so a worker paused past its claims does not start
   * an attempt that another worker has taken over, or finished.
   */
  private async held(tasks: ClaimedTask[], sentAt: number): Promise<ClaimedTask[]> {
    const { store, clock, claimMs } = this.options;
    let since = sentAt;
    let held = tasks;
    while (held.length > 0 && performance.now() >= since + (claimMs * 2) / 3) {
      since = performance.now();
      const lost = new Set(
        await store.renewTasks(
          held.map(({ id, claim }) => ({ id, claim })),
          clock(),
          claimMs,
        ),
      );
      held = held.filter((t) => !lost.has(t.id));
    }
    return held;
  }

  private execute(task: ClaimedTask): void {
    const { store, clock, activities, metrics } = this.options;
    const logger = boundLogger(this.options.logger, {
      workflowId: task.workflowId,
      runId: task.runId,
      taskQueue: task.queue,
    });
    const fn = activities.get(task.name) as ActivityFn;
    const options = activityOptions(fn);
    const { timeoutMs, heartbeat } = attemptSettings(options, task.lastHeartbeat);
    const entry = { task, control: new AttemptControl(), abandoned: false } as Running;
    this.running.set(task.id, entry);
    const context = {
      workflowId: task.workflowId,
      runId: task.runId,
      activity: task.name,
      attempt: task.attempt,
    };
    const startedAt = performance.now();
    metrics.activityStarted?.(task.name);
    entry.done = (async () => {
      const parent = runParentContext(task.trace && { parent: task.trace });
      const result = await tracedAttempt(parent, { ...context, taskQueue: task.queue }, () =>
        runAttempt(fn, task.args, context, timeoutMs, entry.control, {
          ...heartbeat,
          onDetails: (value) => (entry.details = { value, stored: false }),
        }),
      );
      if (entry.abandoned) return;
      const outcome: TaskOutcome = result.ok
        ? { ok: true, result: result.value }
        : { ok: false, error: result.error };
      const reported = await store.completeTask(task, outcome, clock());
      if (!reported) return; // the claim was lost: another worker or a newer attempt has the task
      const retryInMs = result.ok ? undefined : retryDelay(options.retry, task.attempt, result.error);
      if (!result.ok)
        logFailedAttempt(logger, { name: task.name, attempt: task.attempt }, result.error, retryInMs);
      metrics.activityFinished?.(
        task.name,
        performance.now() - startedAt,
        result.ok ? 'completed' : retryInMs !== undefined ? 'retrying' : 'failed',
      );
    })()
      .catch((err) => {
        logger.error(
          { activity: task.name, attempt: task.attempt, taskId: task.id, err },
          `running a task failed; it runs again once its claim lapses: ${errorFields(err).message}`,
        );
      })
      .finally(() => {
        this.running.delete(task.id);
        this.bell.ring();
      });
  }

  /** Extends the claims of running tasks, storing new heartbeat details; stops tasks whose claim is lost. */
  private async renew(): Promise<void> {
    const { store, clock, claimMs } = this.options;
    const entries = [...this.running.values()].filter((r) => !r.abandoned);
    if (entries.length === 0) return;
    const sent = new Map(entries.map((r) => [r, r.details]));
    const claims = entries.map((r) => ({
      id: r.task.id,
      claim: r.task.claim,
      ...(r.details && !r.details.stored ? { heartbeat: r.details.value } : {}),
    }));
    try {
      const lost = new Set(await store.renewTasks(claims, clock(), claimMs));
      this.renewals.succeeded();
      for (const r of entries) {
        if (lost.has(r.task.id)) {
          r.control.stop(
            new ReelError(
              ErrorCodes.LEASE_LOST,
              'This task was taken over by another worker, or its workflow no longer waits for it.',
            ),
          );
        } else if (r.details && r.details === sent.get(r)) r.details.stored = true;
      }
    } catch (err) {
      this.renewals.failed(err);
    }
  }
}
