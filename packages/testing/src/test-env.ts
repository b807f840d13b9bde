import {
  type ActivityFn,
  activityOptions,
  Client,
  type Duration,
  defaultLogger,
  type ErrorCode,
  ErrorCodes,
  type GuardMode,
  type Logger,
  PostgresStore,
  ReelError,
  replaceActivity,
  type Store,
  toMs,
  type UpdateOptions,
  type WorkflowFn,
} from '@reel/sdk';
import { Worker } from '@reel/worker';
import { MemoryStore } from './memory-store.ts';
import { createTestDatabase } from './postgres.ts';
import { memoryProbe, postgresProbe, type StoreProbe } from './store-probe.ts';
import { testPostgres } from './test-postgres.ts';

export interface TestEnvOptions {
  workflows: Record<string, WorkflowFn>;
  activities?: Record<string, ActivityFn>;
  /**
   * Stand-ins for activities, keyed by registered name (`{ chargeCard: fake }`) or by the activity
   * function itself (`[[chargeCard, fake]]`, pairs or a Map). A mock of an activity that is not in
   * `activities` registers it.
   */
  mocks?:
    | Record<string, ActivityFn>
    | Map<ActivityFn | string, ActivityFn>
    | [ActivityFn | string, ActivityFn][];
  /** `memory` (default): no database at all. `postgres`: a fresh database (DATABASE_URL, else embedded). */
  store?: 'memory' | 'postgres';
  /** Server to make the test database on, for `store: 'postgres'`. Default DATABASE_URL, else an embedded Postgres. */
  connectionString?: string;
  /** Where the virtual clock starts. Default: the real time when the env is created. */
  startTime?: Date | string;
  /**
   * The worker's logger (`recordingLogger()` keeps its lines for assertions). Default: prints
   * nothing, unless `REEL_LOG_LEVEL` names a level (pino to stdout, as a worker's default).
   */
  logger?: Logger;
  /** Default `throw`: workflow code that starts I/O or a real timer fails the test. */
  determinismGuard?: GuardMode;
}

/** A running engine on a virtual clock, for unit tests. */
export interface TestEnv extends AsyncDisposable {
  /** A client whose `result()` skips time: while it waits and nothing runs, the clock jumps to the next timer. */
  readonly client: Client;
  readonly worker: Worker;
  readonly store: Store;
  /** The virtual clock's time. */
  now(): Date;
  /** Moves the virtual clock forward, running every timer that falls due on the way, in order. */
  sleep(duration: Duration): Promise<void>;
  close(): Promise<void>;
}

/**
 * Runs the real engine — replayer, worker, client — on an in-memory store with a virtual clock: no
 * database, no Docker, no download. A workflow that sleeps 30 days returns from `result()` at once.
 * @example
 * const env = await createTestEnv({ workflows: { orderWorkflow }, mocks: { chargeCard: async () => ({ id: 'p1' }) } });
 * const handle = await env.client.start(orderWorkflow, order);
 * expect(await handle.result()).toEqual({ status: 'rejected' }); // 3 days of waiting, skipped
 * await env.close();
 */
export async function createTestEnv(options: TestEnvOptions): Promise<TestEnv> {
  let time = options.startTime === undefined ? Date.now() : new Date(options.startTime).getTime();
  if (Number.isNaN(time))
    throw new ReelError(
      ErrorCodes.INVALID_ARGUMENT,
      `startTime is not a valid date: ${String(options.startTime)}`,
    );
  const clock = () => new Date(time);
  const logger = options.logger ?? defaultLogger(process.env.REEL_LOG_LEVEL || 'silent');

  let store: Store;
  let probe: StoreProbe;
  let dropDatabase = async () => {};
  if ((options.store ?? 'memory') === 'memory') {
    const memory = new MemoryStore();
    store = memory;
    probe = memoryProbe(memory);
  } else {
    const database = await createTestDatabase(
      options.connectionString ?? process.env.DATABASE_URL ?? (await sharedTestPostgres()),
    );
    // Leases and claims timed by the virtual clock, not the database's, so that time can skip.
    const postgres = new PostgresStore({
      connectionString: database.connectionString,
      claimClock: 'engine',
      logger,
    });
    store = postgres;
    probe = postgresProbe(postgres.pool);
    dropDatabase = database.drop;
  }

  const activities = withMocks(options.activities ?? {}, options.mocks);
  // The env's one worker also serves every task queue its activities name, so they run as deployed.
  const taskQueues = [
    ...new Set(Object.values(activities).flatMap((fn) => activityOptions(fn).taskQueue ?? [])),
  ];
  const worker = await Worker.create({
    store,
    workflows: options.workflows,
    activities,
    ...(taskQueues.length > 0 ? { taskQueues } : {}),
    clock,
    stickyMs: 0, // every wait suspends, so the store alone tells whether the engine is busy
    pollIntervalMs: 20,
    leaseMs: 60_000,
    handleSignals: false,
    determinismGuard: options.determinismGuard ?? 'throw',
    logger,
  });
  const running = worker.run();

  let closed = false;
  /** The `result()` calls under way: while there are any, time skips; a parked run rejects its own. */
  const waiting = new Set<{ workflowId: string; reject(err: Error): void }>();
  let skipping = false;

  /** Moves the virtual clock and wakes the engine; the worker's heartbeat moves too, so queries still find it. */
  const jump = async (to: number) => {
    time = Math.max(time, to);
    await store.heartbeat(worker.identity, Object.keys(options.workflows), clock());
    await probe.kick();
  };

  /** While some `result()` waits: whenever nothing runs, jump to the next wake time. */
  const skip = async () => {
    if (skipping) return;
    skipping = true;
    try {
      while (waiting.size > 0 && !closed) {
        await pause(1);
        if (await probe.busy(clock())) continue;
        for (const { workflowId, reject } of waiting) {
          const run = await store.describe(workflowId);
          if (run?.parked)
            reject(
              new ReelError(
                run.parked.error.code as ErrorCode,
                `Workflow ${workflowId} is parked: ${run.parked.error.message}`,
              ),
            );
        }
        const next = await probe.nextWake();
        // The last wait may have ended meanwhile (a rejected update): then time must stay where it is.
        if (waiting.size === 0 || closed) break;
        if (next && next.getTime() > time) {
          await jump(next.getTime());
        } else {
          await pause(5);
        }
      }
    } catch (err) {
      if (!closed) for (const { reject } of waiting) reject(err as Error);
    } finally {
      skipping = false;
    }
  };

  /** Skips time while `wait` runs; a parked run of `workflowId` rejects it. */
  const whileSkipping = async <R>(workflowId: string, wait: Promise<R>): Promise<R> => {
    let reject!: (err: Error) => void;
    const parked = new Promise<never>((_, r) => (reject = r));
    const waiter = { workflowId, reject };
    waiting.add(waiter);
    void skip();
    try {
      return await Promise.race([wait, parked]);
    } finally {
      waiting.delete(waiter);
    }
  };

  class SkippingClient extends Client {
    override result<R>(workflowId: string, opts: { runId?: string; timeout?: Duration } = {}): Promise<R> {
      return whileSkipping(workflowId, super.result<R>(workflowId, opts));
    }

    override update<R>(
      workflowId: string,
      name: string,
      arg?: unknown,
      opts: UpdateOptions = {},
    ): Promise<R> {
      return whileSkipping(workflowId, super.update<R>(workflowId, name, arg, opts));
    }
  }
  const client = new SkippingClient({ store, clock });

  const untilIdle = async () => {
    while (await probe.busy(clock())) await pause(1);
  };

  const env: TestEnv = {
    client,
    worker,
    store,
    now: clock,
    async sleep(duration) {
      const target = time + toMs(duration, 'env.sleep duration');
      for (;;) {
        await untilIdle();
        const next = await probe.nextWake();
        if (!next || next.getTime() > target) break;
        await jump(next.getTime());
        await pause(1);
      }
      await jump(target);
      await pause(1);
      await untilIdle();
    },
    async close() {
      if (closed) return;
      closed = true;
      await worker.shutdown();
      await running;
      await client.close();
      await store.close();
      await dropDatabase();
    },
    [Symbol.asyncDispose]() {
      return env.close();
    },
  };
  return env;
}

/** The activity registry with mocks swapped in, keeping each original function's name and options. */
function withMocks(
  activities: Record<string, ActivityFn>,
  mocks: TestEnvOptions['mocks'],
): Record<string, ActivityFn> {
  const merged = { ...activities };
  const entries = mocks instanceof Map || Array.isArray(mocks) ? [...mocks] : Object.entries(mocks ?? {});
  for (const [key, mock] of entries) {
    if (typeof key === 'string') {
      merged[key] = activities[key] ? replaceActivity(activities[key], mock) : mock;
    } else {
      const name =
        Object.keys(activities).find((k) => activities[k] === key) || activityOptions(key).name || key.name;
      if (!name) {
        throw new ReelError(
          ErrorCodes.INVALID_ARGUMENT,
          'A mocked activity has no name: mock it by name, list it in activities, or name it with defineActivity(fn, { name }).',
        );
      }
      merged[name] = replaceActivity(key, mock);
    }
  }
  return merged;
}

let shared: Promise<string> | undefined;

/** One Postgres per process (embedded, else a container), for `store: 'postgres'` without DATABASE_URL. */
function sharedTestPostgres(): Promise<string> {
  shared ??= testPostgres();
  return shared;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
