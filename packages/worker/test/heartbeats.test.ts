import {
  activityContext,
  CancelledError,
  Client,
  defineActivity,
  type Json,
  type ReelError,
  type WorkflowContext,
} from '@reel/sdk';
import { recordingLogger } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { until, untilRecorded } from './helpers.ts';

const db = useTestDatabase();

/** What each attempt saw, by workflow id. */
interface Seen {
  attempt: number;
  lastHeartbeat?: Json;
  aborted?: { code: string; message: string };
}
const seen = new Map<string, Seen[]>();
const record = (entry: Seen) => {
  const { workflowId } = activityContext();
  seen.set(workflowId, [...(seen.get(workflowId) ?? []), entry]);
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Resolves with the abort reason once the attempt's signal fires (or after `ms`). */
const aborted = (signal: AbortSignal, ms = 10_000) =>
  new Promise<ReelError | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(signal.reason);
    });
  });

/** Works for `ms`, heartbeating its progress every 40 ms: well inside its 200 ms heartbeat timeout. */
const render = defineActivity(
  async (ms: number) => {
    const { heartbeat, signal } = activityContext();
    const end = Date.now() + ms;
    let frames = 0;
    while (Date.now() < end) {
      heartbeat({ frames: ++frames });
      await pause(40);
      if (signal.aborted) throw signal.reason;
    }
    return frames;
  },
  { heartbeatTimeout: '200ms', retry: { maxAttempts: 1 } },
);

/** The first attempt reports progress twice, then hangs; later attempts resume from the last progress. */
const importRows = defineActivity(
  async () => {
    const { heartbeat, signal, attempt, lastHeartbeat } = activityContext();
    if (attempt > 1) {
      record({ attempt, lastHeartbeat });
      return { resumedFrom: lastHeartbeat ?? null };
    }
    heartbeat({ row: 100 });
    heartbeat({ row: 200 });
    const reason = await aborted(signal);
    record({ attempt, aborted: { code: reason?.code ?? 'none', message: reason?.message ?? '' } });
    throw reason;
  },
  { heartbeatTimeout: '150ms', retry: { backoff: 'constant', initialInterval: '50ms', maxAttempts: 3 } },
);
/** As `importRows`, with a retry delay long enough for the run to be suspended and resumed elsewhere. */
const importSlowly = defineActivity(async () => importRows(), {
  heartbeatTimeout: '150ms',
  retry: { backoff: 'constant', initialInterval: '1500ms', maxAttempts: 2 },
});

/** Waits until the workflow is cancelled, recording how its signal fired. */
const waitForever = async () => {
  const { signal, attempt } = activityContext();
  record({ attempt });
  const reason = await aborted(signal);
  record({ attempt, aborted: { code: reason?.code ?? 'none', message: reason?.message ?? '' } });
  throw reason; // it stops: had it returned, the code would see its result before the cancellation
};

async function renderMovie(ctx: WorkflowContext, ms: number) {
  return ctx.activity(render, ms);
}
async function importAll(ctx: WorkflowContext) {
  return ctx.activity(importRows);
}
async function importAcrossRestart(ctx: WorkflowContext) {
  return ctx.activity(importSlowly);
}
async function waitThenCancel(ctx: WorkflowContext) {
  return ctx.activity(waitForever);
}

let client: Client;
const startWorker = async () => {
  const worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { renderMovie, importAll, importAcrossRestart, waitThenCancel },
    activities: { render, importRows, importSlowly, waitForever },
    handleSignals: false,
    pollIntervalMs: 50,
    logger: recordingLogger(),
  });
  void worker.run();
  return worker;
};

beforeAll(() => {
  client = new Client({ connectionString: db.connectionString });
});
afterAll(async () => {
  await client.close();
});

describe('heartbeats on Postgres', () => {
  let worker: Worker;
  beforeAll(async () => {
    worker = await startWorker();
  });
  afterAll(async () => {
    await worker.shutdown();
  });

  it('an activity that heartbeats runs well past its heartbeat timeout', async () => {
    const handle = await client.start(renderMovie, 700, { id: 'render-1' });
    expect(await handle.result()).toBeGreaterThanOrEqual(10);
    const types = (await client.history('render-1')).events.map((e) => e.type);
    expect(types).not.toContain('activity_retrying');
  });

  it('one that stops heartbeating is aborted with REEL_ACTIVITY_TIMEOUT, retried, and resumes from its last details', async () => {
    const handle = await client.start(importAll, undefined, { id: 'import-1' });
    expect(await handle.result()).toEqual({ resumedFrom: { row: 200 } });
    expect(seen.get('import-1')).toEqual([
      {
        attempt: 1,
        aborted: {
          code: 'REEL_ACTIVITY_TIMEOUT',
          message: expect.stringContaining('did not heartbeat within'),
        },
      },
      { attempt: 2, lastHeartbeat: { row: 200 } },
    ]);
    const { events } = await client.history('import-1');
    expect(events.filter((e) => e.type === 'activity_retrying')).toMatchObject([
      {
        attempt: 1,
        error: {
          code: 'REEL_ACTIVITY_TIMEOUT',
          message: expect.stringContaining('heartbeat timeout of 150 ms'),
          details: { lastHeartbeat: { row: 200 } },
        },
      },
    ]);
  });

  it('cancelling the workflow fires the running activity’s AbortSignal', async () => {
    const handle = await client.start(waitThenCancel, undefined, { id: 'cancel-1' });
    await until(() => (seen.get('cancel-1')?.length ?? 0) > 0, 'the activity to start');
    await handle.cancel('no longer needed');
    await expect(handle.result()).rejects.toBeInstanceOf(CancelledError);
    await until(() => (seen.get('cancel-1')?.length ?? 0) > 1, 'the activity to see its abort');
    expect(seen.get('cancel-1')?.[1]).toEqual({
      attempt: 1,
      aborted: { code: 'REEL_CANCELLED', message: expect.any(String) },
    });
    const types = (await client.history('cancel-1')).events.map((e) => e.type);
    expect(types).not.toContain('activity_completed');
  });
});

it('the last heartbeat details reach the next attempt through history, on a worker started after a restart', async () => {
  const first = await startWorker();
  const handle = await client.start(importAcrossRestart, undefined, { id: 'import-restart' });
  await untilRecorded(client, 'import-restart', 'activity_retrying');
  await first.shutdown(); // suspended until the retry, 1.5 s away; nothing of it stays in memory

  const second = await startWorker();
  expect(await handle.result()).toEqual({ resumedFrom: { row: 200 } });
  expect(seen.get('import-restart')?.map((s) => s.attempt)).toEqual([1, 2]);
  expect(seen.get('import-restart')?.[1]?.lastHeartbeat).toEqual({ row: 200 });
  await second.shutdown();
});
