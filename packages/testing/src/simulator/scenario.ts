import { PostgresStore, type Store } from '@reel/sdk';
import { MemoryStore } from '../memory-store.ts';
import { createTestDatabase } from '../postgres.ts';
import { checkInvariants } from './invariants.ts';
import type { Violation } from './ledger.ts';
import { type Plan, planScenario } from './plan.ts';
import { Prng } from './prng.ts';
import { seedRandomUUID } from './seeded-uuid.ts';
import type { StoreSnapshot } from './snapshot.ts';
import { memoryRows, postgresRows, type RowReader, runsOfOrphanHistory } from './store-rows.ts';
import { RealTime, type SimTime, VirtualTime } from './time.ts';
import { ProcessTimers, routeGlobalTimers } from './timers.ts';
import { World } from './world.ts';

/** Where the simulated clock starts on the memory store (any fixed time would do). */
const START_MS = Date.parse('2030-01-01T00:00:00Z');
/** Events one scenario may fire before it counts as making no progress. */
const EVENT_BUDGET = 1_500_000;

export interface ScenarioOptions {
  store: 'memory' | 'postgres';
  /** For `postgres`: the server on which each scenario gets a database of its own. */
  adminUrl?: string;
  /**
   * For `postgres`, when the simulation owns the server (no `DATABASE_URL`): restarts it (fast
   * shutdown, then start on the same data and port), at the plan's `databaseRestarts`.
   */
  restartDatabase?: () => Promise<void>;
  /** Keep the whole trace in the result, not only its end. */
  fullTrace?: boolean;
  /** Lets a test break what the store left before the checks run, to see them fail. */
  tamper?: (snapshot: StoreSnapshot) => void;
}

export interface ScenarioResult {
  seed: number;
  store: 'memory' | 'postgres';
  /** Hash of every store call and answer in order: equal for two runs of a seed on the memory store. */
  digest: string;
  violations: Violation[];
  stopReason: World['stopReason'];
  /** The end of the trace, to explain a failure. */
  trace: string[];
  notes: string[];
  stats: { events: number; traceLines: number; simulatedMs: number } & World['ledger']['counts'];
}

/** Runs the scenario of `seed` and checks the invariants on what it left. */
export async function runScenario(seed: number, options: ScenarioOptions): Promise<ScenarioResult> {
  const plan = planScenario(seed);
  return options.store === 'memory' ? onMemory(plan, options) : onPostgres(plan, options);
}

/** On fake time, with seeded ids: the run follows from the seed alone. */
async function onMemory(plan: Plan, options: ScenarioOptions): Promise<ScenarioResult> {
  // The store's clock is the database's: the simulation's own time (Date is faked), which no worker's
  // skew moves; leases and claims are timed by it, as Postgres's now() times them in production.
  const store = new MemoryStore({ clock: () => new Date() });
  const time = new VirtualTime(START_MS);
  const unroute = routeGlobalTimers();
  const ids = new Prng(plan.seed).fork(2);
  const restoreIds = seedRandomUUID(() => ids.uuid());
  let world: World;
  try {
    world = await play(plan, store, memoryRows(store), time, START_MS, options);
  } finally {
    unroute();
    time.dispose();
    restoreIds();
  }
  return finish(plan, world, store, time, options);
}

/** On a fresh database, in real time; runs of a seed differ, but the checks are the same. */
async function onPostgres(plan: Plan, options: ScenarioOptions): Promise<ScenarioResult> {
  if (!options.adminUrl) throw new Error('the Postgres simulation needs a server (adminUrl)');
  const database = await createTestDatabase(options.adminUrl);
  const store = new PostgresStore({ connectionString: database.connectionString });
  try {
    await store.migrate();
    const time = new RealTime();
    const unroute = routeGlobalTimers();
    let world: World;
    try {
      world = await play(plan, store, postgresRows(store.pool), time, Date.now(), options);
    } finally {
      unroute();
    }
    for (const runId of await runsOfOrphanHistory(store.pool))
      world.ledger.violation(7, 'history-without-run', `run ${runId} is gone and its history is not`);
    return await finish(plan, world, store, time, options);
  } finally {
    await store.close();
    await database.drop();
  }
}

async function play(
  plan: Plan,
  store: Store,
  rows: RowReader,
  time: SimTime,
  startMs: number,
  options: ScenarioOptions,
): Promise<World> {
  const world = new World(plan, store, rows, new ProcessTimers(time.base), startMs, options.fullTrace);
  world.start();
  // Real restarts of a Postgres the simulation owns, while the faults last: every process must
  // outlive them. The checks wait for the last one to be over.
  let restarting = Promise.resolve();
  const { restartDatabase } = options;
  for (const at of restartDatabase ? plan.databaseRestarts : [])
    world.timers.after(undefined, at, () => {
      if (!world.faults.active || !restartDatabase) return;
      world.trace.record('the database restarts');
      world.ledger.counts.restarts++;
      restarting = restarting.then(restartDatabase).catch((err) => world.broken(err));
    });
  if ((await time.run(() => world.finished, EVENT_BUDGET)) === 'budget') world.stopReason = 'budget';
  world.end();
  await restarting;
  return world;
}

async function finish(
  plan: Plan,
  world: World,
  store: Store,
  time: SimTime,
  options: ScenarioOptions,
): Promise<ScenarioResult> {
  const violations = await checkInvariants(world, store, options.tamper);
  for (const err of world.errors)
    violations.push({ invariant: 0, kind: 'simulator-error', message: (err as Error)?.stack ?? String(err) });
  return {
    seed: plan.seed,
    store: options.store,
    digest: world.trace.digest(),
    violations,
    stopReason: world.stopReason,
    trace: options.fullTrace ? world.trace.all() : world.trace.tail(),
    notes: world.notes,
    stats: {
      events: time.events,
      traceLines: world.trace.lines,
      simulatedMs: world.endedAt - world.startMs,
      ...world.ledger.counts,
    },
  };
}
