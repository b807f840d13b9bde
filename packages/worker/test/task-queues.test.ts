import {
  ActivityFailure,
  type ActivityOptions,
  activityContext,
  Client,
  defineActivity,
  type Json,
  PostgresStore,
  type WorkflowContext,
} from '@reel/sdk';
import { recordingLogger } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { until } from './helpers.ts';

const db = useTestDatabase();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every attempt that ran, with the label of the worker that ran it. */
interface Ran {
  worker: string;
  workflowId: string;
  attempt: number;
  lastHeartbeat?: Json;
}
const ran: Ran[] = [];
const runsOf = (workflowId: string) => ran.filter((r) => r.workflowId === workflowId);
/** How stalled attempts were stopped: the code of their AbortSignal's reason. */
const aborts = new Map<string, string>();

/**
 * One activity, as each worker registers it under the same name: every worker's copy has the same
 * options (the workflow's worker reads its task queue and retry policy), and records who ran it.
 */
const GPU: ActivityOptions = {
  taskQueue: 'gpu',
  heartbeatTimeout: '300ms',
  retry: { backoff: 'linear', initialInterval: '100ms', maxAttempts: 4 },
};
function renderFrameOn(worker: string) {
  return defineActivity(async (frame: number, plan: Plan = {}) => {
    const { workflowId, attempt, lastHeartbeat, heartbeat, signal } = activityContext();
    ran.push({ worker, workflowId, attempt, ...(lastHeartbeat === undefined ? {} : { lastHeartbeat }) });
    heartbeat({ attempt, progress: 'half' });
    if (plan.stallOn?.includes(attempt) || plan.hangOn?.includes(attempt)) {
      // Stalled, it stops heartbeating (its heartbeat times out); hung, it heartbeats until aborted.
      const beating = plan.hangOn?.includes(attempt) && setInterval(() => heartbeat({ attempt }), 100);
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      if (beating) clearInterval(beating);
      aborts.set(`${workflowId}#${attempt}`, signal.reason?.code);
      throw signal.reason;
    }
    if (plan.failOn?.includes(attempt)) throw new Error(`frame ${frame} failed on attempt ${attempt}`);
    await pause(100);
    return `${worker}:${frame}`;
  }, GPU);
}
/** What the workflow code calls; the workflow's worker registers it, but never runs it. */
const renderFrame = renderFrameOn('workflow-worker');

interface Plan {
  stallOn?: number[];
  hangOn?: number[];
  failOn?: number[];
}
async function render(ctx: WorkflowContext, job: { frame: number; plan?: Plan }) {
  return ctx.activity(renderFrame, job.frame, job.plan ?? {});
}
async function renderOrReport(ctx: WorkflowContext, frame: number) {
  try {
    return await ctx.activity(renderFrame, frame, { failOn: [1, 2, 3, 4] });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return { failedAfter: err.attempts, message: err.failure.message };
  }
}

/** A PostgresStore that counts its task-claim passes (begun and ended) and the outcomes reported through it. */
class TaskCountingStore extends PostgresStore {
  passesBegun = 0;
  passesEnded = 0;
  reports = 0;
  override async claimTasks(...args: Parameters<PostgresStore['claimTasks']>) {
    this.passesBegun++;
    try {
      return await super.claimTasks(...args);
    } finally {
      this.passesEnded++;
    }
  }
  override async completeTask(...args: Parameters<PostgresStore['completeTask']>) {
    const reported = await super.completeTask(...args);
    this.reports++;
    return reported;
  }
}

let client: Client;
let pool: pg.Pool;
const workers: Worker[] = [];
const stores: TaskCountingStore[] = [];
const storeOf = new Map<Worker, TaskCountingStore>();
/** The store `worker` was started with. */
const counts = (worker: Worker) => storeOf.get(worker) as TaskCountingStore;
async function startWorker(options: { label?: string; taskQueues?: string[]; workflows?: boolean }) {
  const store = new TaskCountingStore({ connectionString: db.connectionString });
  stores.push(store);
  const worker = await Worker.create({
    store,
    ...(options.workflows === false ? {} : { workflows: { render, renderOrReport } }),
    activities: { renderFrame: options.label ? renderFrameOn(options.label) : renderFrame },
    ...(options.taskQueues ? { taskQueues: options.taskQueues } : {}),
    handleSignals: false,
    pollIntervalMs: 100,
    leaseMs: 3000,
    logger: recordingLogger(),
  });
  void worker.run();
  workers.push(worker);
  storeOf.set(worker, store);
  return worker;
}
const task = async (workflowId: string) => {
  const { rows } = await pool.query(
    `select t.queue, t.attempt, t.claimed_by, w.lease_owner from reel.tasks t
       join reel.workflows w on w.run_id = t.run_id where w.workflow_id = $1`,
    [workflowId],
  );
  return rows[0] as
    | { queue: string; attempt: number; claimed_by: string | null; lease_owner: string | null }
    | undefined;
};

beforeAll(() => {
  client = new Client({ connectionString: db.connectionString });
  pool = new pg.Pool({ connectionString: db.connectionString });
});
afterAll(async () => {
  for (const w of workers) await w.shutdown();
  for (const s of stores) await s.close();
  await client.close();
  await pool.end();
});

describe('activity task queues on Postgres', () => {
  it('waits, suspended, until a worker serving its queue starts; only that worker runs it', async () => {
    const workflowWorker = await startWorker({});
    const cpuWorker = await startWorker({ label: 'cpu-worker', taskQueues: ['cpu'], workflows: false });
    const handle = await client.start(render, { frame: 7 }, { id: 'render-7' });

    await until(async () => (await task('render-7')) !== undefined, 'the task');
    // The cpu worker looks for tasks again after the task exists, and takes nothing.
    const begun = counts(cpuWorker).passesBegun;
    await until(() => counts(cpuWorker).passesEnded > begun, "the cpu worker's next claim pass");
    await until(async () => (await task('render-7'))?.lease_owner === null, 'the run to suspend');
    expect(await task('render-7')).toEqual({ queue: 'gpu', attempt: 1, claimed_by: null, lease_owner: null });
    expect((await client.history('render-7')).events.map((e) => e.type)).toEqual([
      'workflow_started',
      'activity_scheduled',
    ]);

    const gpuWorker = await startWorker({ label: 'gpu-worker', taskQueues: ['gpu'], workflows: false });
    expect(await handle.result({ timeout: '10s' })).toBe('gpu-worker:7');
    expect(runsOf('render-7')).toEqual([{ worker: 'gpu-worker', workflowId: 'render-7', attempt: 1 }]);
    expect(await task('render-7')).toBeUndefined();
    expect((await client.history('render-7')).events.map((e) => e.type)).toEqual([
      'workflow_started',
      'activity_scheduled',
      'activity_completed',
      'workflow_completed',
    ]);
    await Promise.all([workflowWorker.shutdown(), cpuWorker.shutdown(), gpuWorker.shutdown()]);
  });

  it('the failure path: a task that stalls or fails is retried with backoff, each attempt recorded', async () => {
    await startWorker({});
    await startWorker({ label: 'gpu-worker', taskQueues: ['gpu'], workflows: false });

    // attempt 1 stops heartbeating, attempt 2 throws, attempt 3 succeeds
    const handle = await client.start(
      render,
      { frame: 8, plan: { stallOn: [1], failOn: [2] } },
      { id: 'render-8' },
    );
    expect(await handle.result({ timeout: '10s' })).toBe('gpu-worker:8');
    const { events } = await client.history('render-8');
    const retries = events.filter((e) => e.type === 'activity_retrying');
    expect(retries).toMatchObject([
      { attempt: 1, error: { code: 'REEL_ACTIVITY_TIMEOUT', message: expect.stringContaining('heartbeat') } },
      { attempt: 2, error: { message: 'frame 8 failed on attempt 2' } },
    ]);
    // linear backoff: 100 ms, then 200 ms
    retries.forEach((e, i) => {
      const delay = Date.parse((e as { retryAt: string }).retryAt) - Date.parse(e.at);
      expect(Math.abs(delay - 100 * (i + 1))).toBeLessThan(20);
    });
    expect(aborts.get('render-8#1')).toBe('REEL_ACTIVITY_TIMEOUT');
    expect(runsOf('render-8')).toEqual([
      { worker: 'gpu-worker', workflowId: 'render-8', attempt: 1 },
      {
        worker: 'gpu-worker',
        workflowId: 'render-8',
        attempt: 2,
        lastHeartbeat: { attempt: 1, progress: 'half' },
      },
      {
        worker: 'gpu-worker',
        workflowId: 'render-8',
        attempt: 3,
        lastHeartbeat: { attempt: 2, progress: 'half' },
      },
    ]);

    const failing = await client.start(renderOrReport, 9, { id: 'render-9' });
    expect(await failing.result({ timeout: '10s' })).toEqual({
      failedAfter: 4,
      message: 'frame 9 failed on attempt 4',
    });
    expect(runsOf('render-9').map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
    expect(
      (await client.history('render-9')).events.filter((e) => e.type === 'activity_failed'),
    ).toMatchObject([{ attempts: 4 }]);
    for (const w of workers.splice(0)) await w.shutdown();
  });

  it('a result reported while no workflow worker runs waits in the inbox; a new worker replays and completes', async () => {
    const first = await startWorker({});
    const gpu = await startWorker({ label: 'gpu-worker', taskQueues: ['gpu'], workflows: false });
    const handle = await client.start(render, { frame: 10 }, { id: 'render-10' });
    await until(
      async () => (await task('render-10'))?.claimed_by != null,
      'the gpu worker to claim the task',
    );
    await first.shutdown();
    await until(async () => (await task('render-10')) === undefined, 'the outcome'); // reported into the inbox

    const { rows } = await pool.query(
      `select i.kind, i.payload from reel.inbox i join reel.workflows w on w.run_id = i.run_id
        where w.workflow_id = 'render-10'`,
    );
    expect(rows).toEqual([
      { kind: 'activity_result', payload: { cmd: 0, attempt: 1, ok: true, result: 'gpu-worker:10' } },
    ]);
    expect((await client.describe('render-10')).status).toBe('running');

    const second = await startWorker({});
    expect(await handle.result({ timeout: '10s' })).toBe('gpu-worker:10');
    expect(runsOf('render-10')).toHaveLength(1);
    await Promise.all([second.shutdown(), gpu.shutdown()]);
  });

  it('a cancelled workflow deletes its task, and the task worker’s attempt is aborted', async () => {
    await startWorker({});
    const gpu = await startWorker({ label: 'gpu-worker', taskQueues: ['gpu'], workflows: false });
    // Heartbeating: only the cancellation can abort it, however slowly that arrives.
    const handle = await client.start(render, { frame: 11, plan: { hangOn: [1] } }, { id: 'render-11' });
    await until(() => runsOf('render-11').length > 0, 'the attempt to start');
    const reports = counts(gpu).reports;
    await handle.cancel();
    await expect(handle.result()).rejects.toMatchObject({ code: 'REEL_CANCELLED' });
    await until(async () => (await task('render-11')) === undefined, 'the task to be deleted');
    await until(() => aborts.has('render-11#1'), 'the attempt to be aborted');
    expect(aborts.get('render-11#1')).toBe('REEL_CANCELLED');
    // The aborted attempt's outcome was reported (and refused): nothing is left to retry.
    await until(() => counts(gpu).reports > reports, "the aborted attempt's report");
    expect(await task('render-11')).toBeUndefined();
    expect(runsOf('render-11')).toHaveLength(1); // no retry after the abort
    for (const w of workers.splice(0)) await w.shutdown();
  });
});
