import {
  activityContext,
  Client,
  type CommitRequest,
  defineActivity,
  type Lease,
  PostgresStore,
  type WorkflowContext,
} from '@reel/sdk';
import { recordingLogger } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { until } from './helpers.ts';

/**
 * The promises of docs/guarantees.md at their edges: input that lands while a run closes, a worker
 * that cannot reach the database for longer than its lease, a query while a step is not yet durable,
 * a child the code never awaited. Each store here is a real PostgresStore with a hook in front of one
 * call, standing for a slow network, a partition or a crash at that point.
 */
const db = useTestDatabase();

class HookedStore extends PostgresStore {
  beforeCommit: ((req: CommitRequest) => Promise<void>) | undefined;
  beforeHeartbeat: (() => Promise<void>) | undefined;
  queryClaimed: (() => void) | undefined;
  /** Cut off from the database: claims, renewals and heartbeats fail. */
  cutOff = false;
  renewals = 0;
  constructor() {
    super({ connectionString: db.connectionString });
  }
  override async commit(req: CommitRequest) {
    await this.beforeCommit?.(req);
    return super.commit(req);
  }
  override async claim(...args: Parameters<PostgresStore['claim']>) {
    if (this.cutOff) throw new Error('connection lost');
    return super.claim(...args);
  }
  override async renew(leases: Lease[], now: Date, leaseMs: number) {
    if (this.cutOff) throw new Error('connection lost');
    const lost = await super.renew(leases, now, leaseMs);
    this.renewals++;
    return lost;
  }
  override async heartbeat(workerId: string, types: string[], now: Date) {
    if (this.cutOff) throw new Error('connection lost');
    await this.beforeHeartbeat?.();
    return super.heartbeat(workerId, types, now);
  }
  override async claimQuery(queryId: string, workerId: string, types: string[]) {
    const claimed = await super.claimQuery(queryId, workerId, types);
    if (claimed) this.queryClaimed?.();
    return claimed;
  }
}

const stores: HookedStore[] = [];
const workers: Worker[] = [];
let client: Client;
beforeAll(() => {
  client = new Client({ connectionString: db.connectionString });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.shutdown()));
  await Promise.all(stores.map((s) => s.close()));
  await client.close();
});

async function start(options: Omit<Parameters<typeof Worker.create>[0], 'store'>) {
  const logger = recordingLogger();
  const store = new HookedStore();
  stores.push(store);
  const worker = await Worker.create({
    store,
    handleSignals: false,
    pollIntervalMs: 50,
    shutdownGraceMs: 0,
    logger,
    ...options,
  });
  workers.push(worker);
  void worker.run();
  return { store, worker, logger };
}

async function step(item: string) {
  return `done ${item}`;
}

async function oneStep(ctx: WorkflowContext, item: string) {
  return ctx.activity(step, item);
}

it('a signal that lands while the closing commit is in flight is recorded before the close', async () => {
  const { store } = await start({ workflows: { oneStep }, activities: { step } });
  let signalled = false;
  store.beforeCommit = async (req) => {
    if (!req.close || signalled) return;
    signalled = true;
    await client.signal('closing-1', 'late', { n: 1 }); // accepted: the run is still open
  };
  const handle = await client.start(oneStep, 'a', { id: 'closing-1' });
  expect(await handle.result()).toBe('done a');
  expect(signalled).toBe(true);
  const types = (await client.history('closing-1')).events.map((e) => e.type);
  expect(types.slice(-2)).toEqual(['signal_received', 'workflow_completed']);
  const { rows } = await store.pool.query('select count(*)::int as n from reel.inbox');
  expect(rows[0].n).toBe(0);
});

async function child(ctx: WorkflowContext, n: number) {
  await ctx.signal('go'); // ends when the test says, once its parent has returned
  return n * 2;
}

async function leavesChild(ctx: WorkflowContext, n: number) {
  void ctx.startChild(child, n, { id: `child-of-${ctx.info.workflowId}`, parentClosePolicy: 'abandon' });
  return 1;
}

it('a child the code started and never awaited still runs once the parent has returned', async () => {
  await start({ workflows: { leavesChild, child } });
  expect(await (await client.start(leavesChild, 21, { id: 'leaves-1' })).result()).toBe(1);
  const types = (await client.history('leaves-1')).events.map((e) => e.type);
  expect(types).toEqual(['workflow_started', 'child_scheduled', 'child_started', 'workflow_completed']);
  expect((await client.describe('child-of-leaves-1')).status).toBe('running');
  await client.signal('child-of-leaves-1', 'go');
  expect(await client.result('child-of-leaves-1')).toBe(42);
});

const counted: string[] = [];
async function tick(n: number) {
  counted.push(`tick ${n}`);
  return n;
}

async function counter(ctx: WorkflowContext) {
  let done = 0;
  ctx.onQuery('done', () => done);
  done += await ctx.activity(tick, 1);
  return ctx.signal('stop');
}

it('a query never shows a step whose result a crash before its commit would undo', async () => {
  const { store } = await start({ workflows: { counter }, activities: { tick } });
  let claimed!: () => void;
  const queryClaimed = new Promise<void>((r) => (claimed = r));
  store.queryClaimed = claimed;
  let crash!: () => void;
  const crashed = new Promise<void>((r) => (crash = r));
  store.beforeCommit = async (req) => {
    if (!req.events.some((e) => e.type === 'activity_completed')) return;
    store.beforeCommit = undefined;
    await crashed;
    throw new Error('the database went away before this commit'); // nothing of it is durable
  };
  await client.start(counter, undefined, { id: 'counter-1' });
  await until(() => counted.length === 1, 'the step to run');
  const answer = client.query('counter-1', 'done');
  await queryClaimed; // the worker holding the run has the query, while the step is not durable
  crash();
  // The holder lets the run go; the answer comes from the durable history, where the step never ended.
  expect(await answer).toBe(0);
});

let attempts: string[] = [];
const flaky = (who: string) =>
  defineActivity(
    async function flaky(item: string) {
      const { attempt } = activityContext();
      attempts.push(`${who}:${attempt}`);
      if (attempt === 1) throw new Error('first attempt fails');
      return `flaky ${item}`;
    },
    { retry: { initialInterval: '1500ms', maxAttempts: 3 } },
  );

async function retries(ctx: WorkflowContext, item: string) {
  return ctx.activity(flaky('any'), item);
}

it('a worker cut off from the database past its lease never starts the retry another worker ran', async () => {
  attempts = [];
  const a = await start({
    workflows: { retries },
    activities: { flaky: flaky('A') },
    leaseMs: 900,
    stickyMs: 60_000, // A keeps the run in memory through the retry backoff
  });
  const handle = await client.start(retries, 'x', { id: 'zombie-1' });
  await until(
    async () => (await client.history('zombie-1')).events.some((e) => e.type === 'activity_retrying'),
    'the first attempt to fail',
  );
  // A is cut off: its renewals fail, so its lease lapses while its retry timer is still pending.
  a.store.cutOff = true;
  await start({ workflows: { retries }, activities: { flaky: flaky('B') }, leaseMs: 900 });
  expect(await handle.result()).toBe('flaky x');
  // A's retry timer fires at the same retry time B used; wait until A has given the run up.
  await until(
    () =>
      a.logger.messages().some((m) => m.includes('run stopped') || m.includes('lost the lease')) ||
      attempts.includes('A:2'),
    'worker A to give the run up',
  );
  expect(attempts).toEqual(['A:1', 'B:2']);
});

async function slow(item: string) {
  attempts.push(`slow ${item}`);
  const { signal } = activityContext();
  await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  return item;
}

async function slowStep(ctx: WorkflowContext) {
  return ctx.activity(slow, 'once');
}

it('leases are renewed while the worker cannot record its heartbeat', async () => {
  attempts = [];
  const broken = Promise.reject(new Error('heartbeat write failed'));
  broken.catch(() => undefined);
  const a = await start({ workflows: { slowStep }, activities: { slow }, leaseMs: 600 });
  await client.start(slowStep, undefined, { id: 'beat-1' });
  await until(() => attempts.length === 1, 'the activity to start');
  a.store.beforeHeartbeat = () => broken;
  const renewed = a.store.renewals;
  await start({ workflows: { slowStep }, activities: { slow }, leaseMs: 600 });
  // Four renewals at leaseMs / 3 span more than a lease: had they stopped, the other worker would
  // have claimed the run and started the activity again by now.
  await until(() => a.store.renewals >= renewed + 4 || attempts.length > 1, 'four renewals');
  expect(attempts).toEqual(['slow once']);
});
