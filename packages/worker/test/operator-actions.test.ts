import {
  activityContext,
  Client,
  defineActivity,
  PostgresStore,
  type ReelError,
  type WorkflowContext,
} from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { deferred, eventsOf, leaseOf, until, untilRecorded } from './helpers.ts';

const db = useTestDatabase();

/** Calls of each activity, by workflow id. */
const calls = new Map<string, number>();
const count = (key: string) => calls.set(key, (calls.get(key) ?? 0) + 1);
/** The deploy that fixes `ship` for a workflow id. */
const fixed = new Set<string>();

async function reserve(id: string) {
  count(`reserve:${id}`);
  return `reserved ${id}`;
}
async function charge(id: string) {
  count(`charge:${id}`);
  return `charged ${id}`;
}
/** Fails until fixed, retrying every hour without end: a crash loop that only a deploy ends. */
const ship = defineActivity(
  async function ship(id: string) {
    count(`ship:${id}`);
    if (!fixed.has(id)) throw new Error('carrier down');
    return `shipped ${id}`;
  },
  { retry: { maxAttempts: Number.POSITIVE_INFINITY, initialInterval: '1h' } },
);
/** Fails twice quickly, then gives up: the run fails. */
const shipOnce = defineActivity(
  async function shipOnce(id: string) {
    count(`ship:${id}`);
    if (!fixed.has(id)) throw new Error('carrier down');
    return `shipped ${id}`;
  },
  { retry: { maxAttempts: 2, initialInterval: 10 } },
);

/** The attempt numbers `shipByCarrier` ran, by workflow id. */
const carrierAttempts = new Map<string, number[]>();
/** `ship` on a task queue: a worker serving the queue runs it. */
const shipByCarrier = defineActivity(
  async function shipByCarrier(id: string) {
    carrierAttempts.set(id, [...(carrierAttempts.get(id) ?? []), activityContext().attempt]);
    if (!fixed.has(id)) throw new Error('carrier down');
    return `shipped ${id}`;
  },
  { taskQueue: 'carrier', retry: { maxAttempts: Number.POSITIVE_INFINITY, initialInterval: '1h' } },
);

/** Attempts of `pack` wait here until the test lets them go. */
const gates: (() => void)[] = [];
async function pack(id: string) {
  count(`pack:${id}`);
  await new Promise<void>((resolve) => gates.push(resolve));
  return `packed ${id}`;
}

const workflows = {
  packThenShip: async function packThenShip(ctx: WorkflowContext, id: string) {
    const reserved = await ctx.activity(reserve, id);
    return [reserved, await ctx.activity(pack, id)];
  },
  orderByCarrier: async function orderByCarrier(ctx: WorkflowContext, id: string) {
    return ctx.activity(shipByCarrier, id);
  },
  order: async function order(ctx: WorkflowContext, id: string) {
    const reserved = await ctx.activity(reserve, id);
    const charged = await ctx.activity(charge, id);
    return [reserved, charged, await ctx.activity(ship, id)];
  },
  orderOnce: async function orderOnce(ctx: WorkflowContext, id: string) {
    const reserved = await ctx.activity(reserve, id);
    const charged = await ctx.activity(charge, id);
    return [reserved, charged, await ctx.activity(shipOnce, id)];
  },
};

let client: Client;
const workers: Worker[] = [];
async function startWorker(options: { stickyMs?: number } = {}) {
  const worker = await Worker.create({
    connectionString: db.connectionString,
    workflows,
    activities: { reserve, charge, ship, shipOnce, shipByCarrier, pack },
    taskQueues: ['carrier'],
    pollIntervalMs: 100,
    ...options,
  });
  void worker.run();
  workers.push(worker);
  return worker;
}
beforeAll(() => {
  client = new Client({ connectionString: db.connectionString });
});
afterAll(async () => {
  for (const w of workers) await w.shutdown();
  await client.close();
});

/** The seq of the event that completed activity `name`. */
async function completedSeq(workflowId: string, cmd: number): Promise<number> {
  const done = await eventsOf(client, workflowId, 'activity_completed');
  const event = done.find((e) => e.cmd === cmd);
  if (!event) throw new Error(`activity ${cmd} of ${workflowId} has not completed`);
  return event.seq;
}

describe('describe', () => {
  it('says what a retrying activity waits for: attempt, last error, next attempt time', async () => {
    const worker = await startWorker();
    await client.start(workflows.order, 'd-1', { id: 'd-1' });
    await untilRecorded(client, 'd-1', 'activity_retrying');
    const [retrying] = await eventsOf(client, 'd-1', 'activity_retrying');
    const run = await client.describe('d-1');
    expect(run.status).toBe('running');
    expect(run.pending?.activities).toEqual([
      {
        cmd: 2,
        name: 'ship',
        attempt: 2,
        lastError: expect.objectContaining({ message: 'carrier down' }),
        nextAttemptAt: new Date(retrying?.retryAt as string),
      },
    ]);
    expect(run.pending?.timers).toEqual([]);
    await client.terminate('d-1');
    expect((await client.describe('d-1')).pending).toBeUndefined();
    await worker.shutdown();
  });
});

describe('retry now', () => {
  for (const [how, stickyMs] of [
    ['released', undefined],
    ['held by its worker in a backoff timer', 3 * 3_600_000],
  ] as const) {
    it(`skips an activity's backoff of a run ${how}`, async () => {
      const id = `retry-${stickyMs ?? 0}`;
      const worker = await startWorker({ ...(stickyMs === undefined ? {} : { stickyMs }) });
      const handle = await client.start(workflows.order, id, { id });
      await untilRecorded(client, id, 'activity_retrying');
      const { runId } = await client.describe(id);
      await until(
        async () =>
          ((await leaseOf((client.store as PostgresStore).pool, runId)).owner === null) ===
          (stickyMs === undefined),
        `${id} ${how}`,
      );
      fixed.add(id);
      await client.retryNow(id);
      // the backoff was an hour: only retry now gets the run to its next attempt within the test
      expect(await handle.result({ timeout: '15s' })).toEqual([
        `reserved ${id}`,
        `charged ${id}`,
        `shipped ${id}`,
      ]);
      expect(calls.get(`ship:${id}`)).toBe(2);
      expect(await eventsOf(client, id, 'retry_requested')).toHaveLength(1);
      await worker.shutdown();
    });
  }

  it('skips the backoff of a task-queue attempt: the queued task is claimable now', async () => {
    const id = 'retry-queue';
    const worker = await startWorker();
    const handle = await client.start(workflows.orderByCarrier, id, { id });
    await untilRecorded(client, id, 'activity_retrying');
    expect((await client.describe(id)).pending?.activities).toMatchObject([
      { name: 'shipByCarrier', attempt: 2, taskQueue: 'carrier' },
    ]);
    fixed.add(id);
    await client.retryNow(id);
    expect(await handle.result({ timeout: '15s' })).toBe(`shipped ${id}`);
    expect(carrierAttempts.get(id)).toEqual([1, 2]);
    await worker.shutdown();
  });

  it('skips the backoff of a task-queue attempt whose task is queued only after the retry now came', async () => {
    const id = 'retry-queue-late';
    // The real store, but the run's enqueue of attempt 2 waits until the operator has retried.
    const retried = deferred();
    const real = new PostgresStore({ connectionString: db.connectionString });
    const store = new Proxy(real, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'enqueueTask') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<PostgresStore['enqueueTask']>) => {
          if (args[1].attempt === 2) await retried.promise;
          return target.enqueueTask(...args);
        };
      },
    });
    const worker = await Worker.create({
      store,
      workflows,
      activities: { shipByCarrier },
      taskQueues: ['carrier'],
      pollIntervalMs: 100,
    });
    void worker.run();
    const handle = await client.start(workflows.orderByCarrier, id, { id });
    await untilRecorded(client, id, 'activity_retrying');
    fixed.add(id);
    await client.retryNow(id);
    retried.resolve();
    expect(await handle.result({ timeout: '15s' })).toBe(`shipped ${id}`);
    expect(carrierAttempts.get(id)).toEqual([1, 2]);
    await worker.shutdown();
    await real.close();
  });

  it('refuses a closed workflow and an unknown one', async () => {
    await client.start(workflows.order, 'retry-closed', { id: 'retry-closed' });
    await client.terminate('retry-closed');
    await expect(client.retryNow('retry-closed')).rejects.toMatchObject({ code: 'REEL_WORKFLOW_CLOSED' });
    await expect(client.retryNow('retry-nobody')).rejects.toMatchObject({ code: 'REEL_WORKFLOW_NOT_FOUND' });
  });
});

describe('reset', () => {
  it('a run crash-looping on an activity, reset after a fix, completes from the point without re-running earlier activities', async () => {
    await startWorker();
    const id = 'reset-open';
    await client.start(workflows.order, id, { id });
    await untilRecorded(client, id, 'activity_retrying');
    const old = await client.describe(id);
    fixed.add(id);
    const point = await completedSeq(id, 1); // after `charge` completed, before `ship` was scheduled
    const handle = await client.reset(id, { toEvent: point, reason: 'carrier fixed' });

    expect(await handle.result({ timeout: '15s' })).toEqual([
      `reserved ${id}`,
      `charged ${id}`,
      `shipped ${id}`,
    ]);
    expect(calls.get(`reserve:${id}`)).toBe(1);
    expect(calls.get(`charge:${id}`)).toBe(1);
    const closed = await client.describe(id, { runId: old.runId });
    expect(closed).toMatchObject({ status: 'reset', resetTo: handle.runId });
    const oldEvents = (await client.history(id, { runId: old.runId })).events;
    expect(oldEvents.at(-1)).toMatchObject({
      type: 'workflow_reset',
      newRunId: handle.runId,
      toEvent: point,
    });
    const newEvents = (await client.history(id)).events;
    expect(newEvents.slice(0, point + 1)).toEqual(oldEvents.slice(0, point + 1));
    expect(newEvents[point + 1]).toMatchObject({
      type: 'reset_point',
      fromRunId: old.runId,
      reason: 'carrier fixed',
    });
    // the workflow id's result follows the chain from the old run
    expect(await client.result(id, { runId: old.runId, timeout: '5s' })).toEqual([
      `reserved ${id}`,
      `charged ${id}`,
      `shipped ${id}`,
    ]);
  });

  it('fences out the worker of an open run reset mid-attempt: that attempt is never recorded, and the new run runs it again', async () => {
    await startWorker();
    const id = 'reset-held';
    await client.start(workflows.packThenShip, id, { id });
    await until(() => gates.length === 1, 'the first pack attempt to start');
    const old = await client.describe(id);
    const handle = await client.reset(id, { toEvent: await completedSeq(id, 0) });
    await until(() => gates.length === 2, 'the new run to start pack again');
    for (const open of gates.splice(0)) open();
    expect(await handle.result({ timeout: '15s' })).toEqual([`reserved ${id}`, `packed ${id}`]);
    expect(calls.get(`reserve:${id}`)).toBe(1);
    const oldEvents = (await client.history(id, { runId: old.runId })).events;
    expect(oldEvents.filter((e) => e.type === 'activity_completed' && e.cmd === 1)).toEqual([]);
    expect(oldEvents.at(-1)?.type).toBe('workflow_reset');
  });

  it('a reset run keeps the execution timeout of the run it copies, counted from the first start', async () => {
    await startWorker();
    const id = 'reset-after-deadline';
    const first = await client.start(workflows.order, id, { id, executionTimeout: '1s' });
    await expect(first.result({ timeout: '15s' })).rejects.toMatchObject({
      failure: { code: 'REEL_WORKFLOW_TIMEOUT' },
    });
    fixed.add(id);
    const shipped = calls.get(`ship:${id}`);
    const handle = await client.reset(id, { toEvent: await completedSeq(id, 1) });
    await expect(handle.result({ timeout: '15s' })).rejects.toMatchObject({
      failure: { code: 'REEL_WORKFLOW_TIMEOUT' },
    });
    expect(calls.get(`ship:${id}`)).toBe(shipped); // it timed out before starting anything
  });

  it('resets a failed run: it keeps its status and names the run that took over', async () => {
    await startWorker();
    const id = 'reset-failed';
    const first = await client.start(workflows.orderOnce, id, { id });
    await expect(first.result({ timeout: '15s' })).rejects.toThrow(/carrier down/);
    fixed.add(id);
    const point = await completedSeq(id, 0); // redo `charge` too
    const handle = await client.reset(id, { toEvent: point });
    expect(await handle.result({ timeout: '15s' })).toEqual([
      `reserved ${id}`,
      `charged ${id}`,
      `shipped ${id}`,
    ]);
    expect(calls.get(`reserve:${id}`)).toBe(1);
    expect(calls.get(`charge:${id}`)).toBe(2);
    expect(await client.describe(id, { runId: first.runId })).toMatchObject({
      status: 'failed',
      resetTo: handle.runId,
    });
  });

  it('refuses a point between an activity scheduling and its outcome, and the closing event', async () => {
    await startWorker();
    const id = 'reset-split';
    await client.start(workflows.order, id, { id });
    await untilRecorded(client, id, 'activity_retrying');
    const scheduled = (await eventsOf(client, id, 'activity_scheduled')).find((e) => e.cmd === 2);
    const err = (await client.reset(id, { toEvent: scheduled?.seq as number }).catch((e) => e)) as ReelError;
    expect(err.code).toBe('REEL_INVALID_RESET_POINT');
    expect(err.message).toMatch(/activity 'ship'/);
    await client.terminate(id);
    const { events } = await client.history(id);
    await expect(client.reset(id, { toEvent: events.length - 1 })).rejects.toMatchObject({
      code: 'REEL_INVALID_RESET_POINT',
    });
  });
});
