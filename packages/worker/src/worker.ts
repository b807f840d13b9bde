import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  type ActivityFn,
  type ClaimedRun,
  type ClosedRun,
  defaultLogger,
  describeConnectionError,
  errorFields,
  LIMITED_QUEUE,
  type LoadedRun,
  type LocalWorker,
  type Logger,
  PostgresStore,
  replacedActivity,
  type StartRequest,
  type StartResult,
  type Store,
  startedData,
  toMs,
  untilReachable,
  wallClock,
} from '@reel/sdk';
import { batchLoop } from './batch-loop.ts';
import { Doorbell } from './doorbell.ts';
import type { DriverHost } from './driver-host.ts';
import { InputNotes } from './input-notes.ts';
import { LoopLog } from './loop-log.ts';
import type { Periodic } from './periodic.ts';
import { retentionLoop } from './retention.ts';
import { RunDriver } from './run-driver.ts';
import { Scheduler } from './scheduler.ts';
import { TaskWorker } from './task-worker.ts';
import { Wakes } from './wakes.ts';
import { HealthTracker, type WorkerHealth } from './worker-health.ts';
import { hasLimitedActivity, validateOptions, type WorkerOptions } from './worker-options.ts';
import { QueryAnswers } from './worker-queries.ts';

export type { WorkerHealth, WorkerOptions };

/**
 * Claims runnable workflow runs from Postgres, replays and advances them, and runs their activities.
 * Run as many as you like, on as many machines; they coordinate through leases. A `Client` created
 * with `{ worker }` hands the runs it starts straight to this worker (`LocalWorker`).
 * @example
 * const worker = await Worker.create({ connectionString, workflows: { orderWorkflow }, activities });
 * await worker.run(); // until SIGTERM or SIGINT, then drains
 */
export class Worker implements LocalWorker {
  private readonly drivers = new Map<string, RunDriver>();
  /** Runs being started by a local client, counted against the concurrency until they are held. */
  private starting = 0;
  /** True while `run()` serves: listening, renewing leases, claiming. */
  private serving = false;
  /** The last claim filled every free slot (or found none): a run that ends must look for more. */
  private starved = false;
  private readonly host: DriverHost;
  private readonly types: string[];
  private readonly queries: QueryAnswers;
  private stopping = false;
  /** Rung by notifications, finished work and wake times: the loop looks for work again. */
  private readonly bell = new Doorbell();
  private readonly wakes: Wakes;
  private readonly inputs: InputNotes;
  private running: Promise<void> | undefined;
  /** The claim loop, for `health()`; a loop still for twice a lease (or ten polls) is stalled. */
  private readonly tracker: HealthTracker;
  private readonly claims: LoopLog;
  private readonly beats: LoopLog;
  private readonly renewals: LoopLog;

  private constructor(
    private readonly store: Store,
    private readonly ownsStore: boolean,
    private readonly options: WorkerOptions,
    /** `<hostname>:<pid>:<random>`: the lease owner recorded on the runs this worker holds. */
    readonly identity: string,
    /** Names the worker (`worker`: its identity) on every line. */
    private readonly logger: Logger,
  ) {
    const activityNames = new Map<ActivityFn, string>();
    for (const [name, fn] of Object.entries(options.activities ?? {})) {
      for (const f of [fn, replacedActivity(fn)]) if (f && !activityNames.has(f)) activityNames.set(f, name);
    }
    const worker = this;
    this.tracker = new HealthTracker(
      Math.max(2 * (options.leaseMs ?? 30_000), 10 * (options.pollIntervalMs ?? 1000)),
    );
    this.claims = new LoopLog(this.logger, 'claiming runs');
    this.beats = new LoopLog(this.logger, "recording this worker's heartbeat");
    this.renewals = new LoopLog(this.logger, 'renewing leases');
    this.host = {
      store,
      clock: options.clock ?? wallClock,
      workflows: new Map(Object.entries(options.workflows ?? {})),
      activities: new Map(Object.entries(options.activities ?? {})),
      activityName: (fn) => activityNames.get(fn) ?? fn.name,
      stickyMs: options.stickyMs ?? 1000,
      leaseMs: options.leaseMs ?? 30_000,
      renew: async (lease) => {
        const lost = await store.renew([lease], this.host.clock(), this.host.leaseMs);
        return lost.length === 0;
      },
      guard: options.determinismGuard ?? (process.env.NODE_ENV === 'production' ? 'warn' : 'throw'),
      get draining() {
        return worker.stopping;
      },
      wakeAt: (at) => this.wakes.at(at),
      metrics: options.metrics ?? {},
      logger: this.logger,
    };
    this.types = [...this.host.workflows.keys()];
    this.queries = new QueryAnswers(this.host, this.identity, this.types, this.drivers);
    const room = () => (this.stopping ? 0 : this.free());
    this.wakes = new Wakes({ identity, store, bell: this.bell, clock: this.host.clock, room, logger });
    this.inputs = new InputNotes(this.host.leaseMs);
  }

  /** Validates the options, applies migrations and registers the workflow types. */
  static async create(options: WorkerOptions): Promise<Worker> {
    validateOptions(options);
    const ownsStore = options.store === undefined;
    const identity = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const logger = (options.logger ?? defaultLogger()).child({ worker: identity });
    const onCommitBatch = (runs: number) => options.metrics?.commitBatch?.(runs);
    const onStartBatch = (starts: number) => options.metrics?.startBatch?.(starts);
    const store = options.store ?? new PostgresStore({ ...options, logger, onCommitBatch, onStartBatch });
    const worker = new Worker(store, ownsStore, options, identity, logger);
    try {
      await untilReachable(
        async () => {
          if (options.migrate !== false) await store.migrate();
          await store.registerTypes(worker.types, worker.host.clock());
        },
        {
          timeoutMs: toMs(options.waitForDatabase ?? '2 minutes', 'waitForDatabase'),
          onWait: (err, ms) =>
            worker.logger.warn(
              { err: errorFields(err), retryInMs: ms },
              `Postgres is not reachable (${describeConnectionError(err)}); next try in ${(ms / 1000).toFixed(1)} s`,
            ),
          hint: 'or raise waitForDatabase',
        },
      );
    } catch (err) {
      if (ownsStore) await store.close();
      throw err;
    }
    return worker;
  }

  /** Runs until `shutdown()` (or SIGTERM/SIGINT), then resolves once drained. */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** Stops claiming, lets in-flight runs reach their next wait (up to the grace period), and closes. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.tracker.phase === 'running') this.tracker.phase = 'stopping';
    this.bell.ring();
    if (this.running) await this.running;
    else if (this.ownsStore) await this.store.close();
  }

  private async loop(): Promise<void> {
    const onSignal = () => void this.shutdown();
    const handleSignals = this.options.handleSignals !== false;
    if (handleSignals) {
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    }
    let unlisten = async () => {};
    let renewal: NodeJS.Timeout | undefined;
    let scheduler: Scheduler | undefined;
    let retention: Periodic | undefined;
    let batches: Periodic | undefined;
    let tasks: TaskWorker | undefined;
    try {
      unlisten = await this.store.listen({
        worker: this.identity,
        onWake: (runId, to, runs) => {
          // '' means "anything may have changed" (e.g. the listener reconnected).
          if (runId === '') {
            for (const d of this.drivers.values()) d.inboxChanged();
            void this.queries.missed();
            this.inputs.note('');
          }
          const driver = this.drivers.get(runId);
          if (driver) driver.inboxChanged();
          // A passed wake may stand for other runs besides the latest, which this worker may hold.
          if (!driver || (runs ?? 1) > 1) this.wakes.heard(runId, to, runs);
        },
        onInput: (runId) => {
          const driver = this.drivers.get(runId);
          if (driver) driver.inboxChanged();
          else this.inputs.note(runId);
        },
        onQuery: (runId, queryId) => this.queries.heard(runId, queryId),
      });
      const leaseMs = this.options.leaseMs ?? 30_000;
      await this.store.heartbeat(this.identity, this.types, this.host.clock()).then(
        () => this.beats.succeeded(),
        (err) => this.beats.failed(err),
      );
      this.serving = true;
      if (!this.stopping) this.tracker.phase = 'running';
      renewal = setInterval(() => void this.renew(leaseMs), Math.min(leaseMs / 3, 10_000));
      const { metrics } = this.host;
      const background = { store: this.store, clock: this.host.clock, logger: this.logger, metrics };
      scheduler = new Scheduler({ ...background, pollMs: this.options.pollIntervalMs ?? 1000 });
      await scheduler.start();
      if (this.options.retention !== false) {
        const retentionMs = toMs(this.options.retention ?? '30 days', 'retention');
        retention = retentionLoop({ ...background, retentionMs });
        retention.start();
      }
      batches = batchLoop({ ...background, pollMs: this.options.pollIntervalMs ?? 1000, leaseMs });
      batches.start();
      const queues = [
        ...(this.options.taskQueues ?? []),
        ...(hasLimitedActivity(this.options.activities ?? {}) ? [LIMITED_QUEUE] : []),
      ];
      if (queues.length > 0) {
        tasks = new TaskWorker({
          ...background,
          identity: this.identity,
          queues,
          activities: this.host.activities,
          concurrency: this.options.taskConcurrency ?? 10,
          claimMs: leaseMs,
          pollMs: this.options.pollIntervalMs ?? 1000,
          graceMs: this.options.shutdownGraceMs ?? 30_000,
        });
        await tasks.start();
      }
      while (!this.stopping) {
        this.tracker.turn();
        let next = this.options.pollIntervalMs ?? 1000;
        try {
          next = Math.min(next, await this.claim(leaseMs));
        } catch (err) {
          this.claims.failed(err);
          this.tracker.claimFailed(err);
        }
        await this.bell.wait(next);
      }
      await Promise.all([this.drain(), tasks?.stop()]);
    } finally {
      this.serving = false;
      this.tracker.phase = 'stopped';
      await tasks?.stop();
      clearInterval(renewal);
      await scheduler?.stop();
      await retention?.stop();
      await batches?.stop();
      this.wakes.stop();
      await unlisten();
      await this.store.removeWorker(this.identity).catch(() => undefined);
      if (handleSignals) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      if (this.ownsStore) await this.store.close();
    }
  }

  /** For a liveness probe: whether the claim loop turns, and when a claim last reached Postgres. */
  health(): WorkerHealth {
    return this.tracker.report(this.drivers.size);
  }

  /** Claims what fits; returns how long the loop may wait before it should look again. */
  private async claim(leaseMs: number): Promise<number> {
    const free = this.free();
    this.starved = free <= 0;
    // A finishing run kicks the loop; it still turns every poll interval, for `health()`.
    if (free <= 0 || this.types.length === 0) return Infinity;
    const now = this.host.clock();
    const sentAt = performance.now();
    this.wakes.claiming();
    const claimed = await this.store.claim(this.identity, this.types, free, now, leaseMs);
    this.host.metrics.claimAnswered?.(performance.now() - sentAt);
    this.claims.succeeded();
    this.tracker.claimed();
    this.wakes.claimed(claimed.map((r) => r.runId));
    for (const { loaded, ...run } of claimed) {
      this.host.metrics.runClaimed?.(run.type, Math.max(0, now.getTime() - run.readySince.getTime()));
      this.hold(run, sentAt, loaded);
    }
    this.starved = claimed.length === free;
    if (claimed.length === free) return 0;
    // Busy: notifications and this worker's own wake times drive the next claim; look again soon.
    if (claimed.length > 0) return this.options.pollIntervalMs ?? 1000;
    // Measured by the store's clock: a ready_at is a time on it, not on this worker's clock.
    return (await this.store.nextReadyIn(this.types, this.host.clock())) ?? Infinity;
  }

  private free(): number {
    return (this.options.concurrency ?? 10) - this.drivers.size - this.starting;
  }

  /**
   * Runs `run`, claimed or started by a statement sent at `performance.now()` time `sentAt`, from its
   * history and inbox `loaded` with it, if they were; but input for the run heard of since `sentAt`,
   * before this worker knew it held the run, may have come after them: the driver reads the inbox.
   */
  private hold(run: ClaimedRun, sentAt: number, loaded?: LoadedRun): void {
    const driver = new RunDriver(this.host, run, sentAt + this.host.leaseMs);
    this.drivers.set(run.runId, driver);
    void driver.done.then(() => {
      this.drivers.delete(run.runId);
      if (this.starved) this.bell.ring();
    });
    void driver.start(loaded);
    if (loaded && this.inputs.since(run.runId, sentAt)) driver.inboxChanged();
  }

  /**
   * For a `Client` created with `{ worker }`: creates the run already claimed by this worker and runs
   * it, skipping the notification, the claim and the history read. Undefined (the client then starts
   * it the usual way) when this worker is not serving, is full, lacks the type, or the start is delayed.
   */
  async startLocally(req: StartRequest): Promise<StartResult | undefined> {
    if (!this.serving || this.stopping || req.readyAt || !this.host.workflows.has(req.type)) return undefined;
    if (this.free() <= 0) return undefined;
    this.starting++;
    try {
      const sentAt = performance.now();
      const lease = { owner: this.identity, ms: this.host.leaseMs };
      const started = await this.store.start({ ...req, lease });
      if (started.created) {
        const { workflowId, type, now } = req;
        this.host.metrics.runClaimed?.(type, 0);
        this.hold(
          { workflowId, runId: started.runId, type, fencingToken: 1, parkAttempts: 0, readySince: now },
          sentAt,
          {
            history: [{ type: 'workflow_started', ...startedData(req), seq: 0, at: now.toISOString() }],
            inbox: { items: [], version: 0 },
          },
        );
      }
      return started;
    } finally {
      this.starting--;
    }
  }

  /** For a local `Client`'s `result()`: the run's outcome once closed here, if this worker holds it. */
  closing(runId: string): Promise<ClosedRun | undefined> | undefined {
    return this.drivers.get(runId)?.done;
  }

  /** Renews every held lease, and records this worker as alive; neither waits on the other. */
  private async renew(leaseMs: number): Promise<void> {
    const drivers = [...this.drivers.values()];
    const now = this.host.clock();
    const sentAt = performance.now();
    const leases = drivers.map((d) => ({ runId: d.run.runId, fencingToken: d.run.fencingToken }));
    const [beat, renewal] = await Promise.allSettled([
      this.store.heartbeat(this.identity, this.types, now),
      this.store.renew(leases, now, leaseMs),
    ]);
    if (beat.status === 'rejected') this.beats.failed(beat.reason);
    else this.beats.succeeded();
    if (renewal.status === 'rejected') {
      this.renewals.failed(renewal.reason);
      return;
    }
    this.renewals.succeeded();
    const lost = new Set(renewal.value);
    for (const driver of drivers) {
      if (!lost.has(driver.run.runId)) driver.renewed(sentAt);
      else driver.leaseLost();
    }
  }

  /** Waits for in-flight runs to suspend or close; after the grace period lets go of the rest. */
  private async drain(): Promise<void> {
    for (const d of this.drivers.values()) d.poke(); // sticky runs suspend now that the worker drains
    const all = Promise.all([...this.drivers.values()].map((d) => d.done));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>(
      (r) => (timer = setTimeout(() => r('late'), this.options.shutdownGraceMs ?? 30_000)),
    );
    if ((await Promise.race([all, grace])) === 'late') {
      // Hand the runs back, runnable now, so another worker need not wait for their leases to lapse.
      await Promise.all(
        [...this.drivers.values()].map((d) => d.handBack('worker shut down before its activities finished')),
      );
    }
    clearTimeout(timer);
  }
}
