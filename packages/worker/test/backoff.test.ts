import {
  ActivityFailure,
  activityContext,
  Client,
  defineActivity,
  type RecordedEvent,
  type WorkflowContext,
} from '@reel/sdk';
import { recordingLogger } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { untilRecorded } from './helpers.ts';

const db = useTestDatabase();
/** When each attempt started (wall clock), by workflow id. */
const started = new Map<string, number[]>();

function attemptFails(failures: number): number {
  const { workflowId, attempt } = activityContext();
  started.set(workflowId, [...(started.get(workflowId) ?? []), Date.now()]);
  if (attempt <= failures) throw new Error(`failure ${attempt}`);
  return attempt;
}

const linearly = defineActivity(async (failures: number) => attemptFails(failures), {
  retry: { backoff: 'linear', initialInterval: '100ms', maxAttempts: 4 },
});
const constantly = defineActivity(async (failures: number) => attemptFails(failures), {
  retry: { backoff: 'constant', initialInterval: '150ms', maxAttempts: 3 },
});
const slowly = defineActivity(async (failures: number) => attemptFails(failures), {
  retry: { backoff: 'constant', initialInterval: '1500ms', maxAttempts: 2 },
});

async function linear(ctx: WorkflowContext, failures: number) {
  return ctx.activity(linearly, failures);
}
async function constant(ctx: WorkflowContext, failures: number) {
  try {
    return await ctx.activity(constantly, failures);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return { attempts: err.attempts, message: err.failure.message };
  }
}
async function slow(ctx: WorkflowContext, failures: number) {
  return ctx.activity(slowly, failures);
}

let client: Client;
const startWorker = async () => {
  const worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { linear, constant, slow },
    activities: { linearly, constantly, slowly },
    handleSignals: false,
    pollIntervalMs: 50,
    logger: recordingLogger(),
  });
  void worker.run();
  return worker;
};

/** retryAt − at of each `activity_retrying` event: the delay the policy chose. */
const recordedDelays = (events: RecordedEvent[]) =>
  events.flatMap((e) => (e.type === 'activity_retrying' ? [Date.parse(e.retryAt) - Date.parse(e.at)] : []));
const gaps = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] as number));

beforeAll(() => {
  client = new Client({ connectionString: db.connectionString });
});
afterAll(async () => {
  await client.close();
});

describe('backoff strategies on Postgres', () => {
  it('linear: waits initialInterval × n before attempt n + 1 and records each retry', async () => {
    const worker = await startWorker();
    const handle = await client.start(linear, 3, { id: 'linear-1' });
    expect(await handle.result()).toBe(4);
    const { events } = await client.history('linear-1');
    expect(
      events.filter((e) => e.type === 'activity_retrying').map((e) => 'attempt' in e && e.attempt),
    ).toEqual([1, 2, 3]);
    const recorded = recordedDelays(events);
    for (const [i, delay] of [100, 200, 300].entries())
      expect(Math.abs((recorded[i] as number) - delay)).toBeLessThan(20);
    for (const [i, gap] of gaps(started.get('linear-1') ?? []).entries())
      expect(gap).toBeGreaterThanOrEqual(100 * (i + 1) - 5);
    await worker.shutdown();
  });

  it('constant: the failure path — the same delay each time, then ActivityFailure when attempts run out', async () => {
    const worker = await startWorker();
    const handle = await client.start(constant, 5, { id: 'constant-1' });
    expect(await handle.result()).toEqual({ attempts: 3, message: 'failure 3' });
    const { events } = await client.history('constant-1');
    const recorded = recordedDelays(events);
    expect(recorded).toHaveLength(2);
    for (const delay of recorded) expect(Math.abs(delay - 150)).toBeLessThan(20);
    expect(events.filter((e) => e.type === 'activity_failed')).toMatchObject([{ attempts: 3 }]);
    for (const gap of gaps(started.get('constant-1') ?? [])) expect(gap).toBeGreaterThanOrEqual(145);
    await worker.shutdown();
  });

  it('a retry backoff outlives a worker restart: the next worker replays and runs the retry at its time', async () => {
    const first = await startWorker();
    const handle = await client.start(slow, 1, { id: 'slow-1' });
    await untilRecorded(client, 'slow-1', 'activity_retrying');
    await first.shutdown(); // the run is suspended until its retry time

    const second = await startWorker();
    expect(await handle.result()).toBe(2);
    const { events } = await client.history('slow-1');
    const retrying = events.find((e) => e.type === 'activity_retrying');
    const [attempt1, attempt2] = started.get('slow-1') ?? [];
    expect(Math.abs((recordedDelays(events)[0] as number) - 1500)).toBeLessThan(20);
    expect(attempt2 as number).toBeGreaterThanOrEqual(
      Date.parse((retrying as { retryAt: string }).retryAt) - 5,
    );
    expect((attempt2 as number) - (attempt1 as number)).toBeGreaterThanOrEqual(1495);
    expect(events.map((e) => e.type)).toEqual([
      'workflow_started',
      'activity_scheduled',
      'activity_retrying',
      'activity_completed',
      'workflow_completed',
    ]);
    await second.shutdown();
  });
});
