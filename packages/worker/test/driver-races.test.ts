import { Client, type RecordedEvent, type WorkflowContext } from '@reel/sdk';
import { MemoryStore } from '@reel/testing';
import { expect, it } from 'vitest';
import { Worker } from '../src/index.ts';

async function awaitsNote(ctx: WorkflowContext) {
  return ctx.signal<string>('note');
}

/** A store whose history loads wait until the test lets them go. */
class SlowLoadStore extends MemoryStore {
  loading: (() => void) | undefined;
  override async loadHistory(runId: string): Promise<RecordedEvent[]> {
    await new Promise<void>((resolve) => (this.loading = resolve));
    return super.loadHistory(runId);
  }
}

it('a signal that wakes a run while its history is still loading is not lost', async () => {
  const store = new SlowLoadStore();
  const logs: string[] = [];
  const worker = await Worker.create({
    store,
    workflows: { awaitsNote },
    handleSignals: false,
    logger: (_l, m) => logs.push(m),
  });
  void worker.run();
  const client = new Client({ store });
  const handle = await client.start(awaitsNote, undefined);
  while (!store.loading) await new Promise((r) => setTimeout(r, 5));
  await handle.signal('note', 'hello'); // wakes the driver before it has its history
  await new Promise((r) => setTimeout(r, 20));
  store.loading();
  expect(await handle.result({ timeout: '5s' })).toBe('hello');
  expect(logs).toEqual([]);
  await worker.shutdown();
});

let running = false;
async function slowStep(): Promise<string> {
  running = true;
  await new Promise((r) => setTimeout(r, 60));
  return 'done';
}

async function stepThenReturn(ctx: WorkflowContext) {
  ctx.onSignal('ping', () => undefined);
  return ctx.activity(slowStep);
}

/** A store whose commits can be made slow, so an activity finishes while one is in flight. */
class SlowCommitStore extends MemoryStore {
  slow = false;
  override async commit(req: Parameters<MemoryStore['commit']>[0]) {
    if (this.slow) await new Promise((r) => setTimeout(r, 150));
    return super.commit(req);
  }
}

it('an activity that finishes during a flush is delivered before the run may suspend', async () => {
  const store = new SlowCommitStore();
  const worker = await Worker.create({
    store,
    workflows: { stepThenReturn },
    activities: { slowStep },
    handleSignals: false,
    stickyMs: 0,
  });
  void worker.run();
  const client = new Client({ store });
  const handle = await client.start(stepThenReturn, undefined);
  while (!running) await new Promise((r) => setTimeout(r, 5));
  store.slow = true; // the flush of the 'ping' signal outlasts the activity
  await handle.signal('ping');
  expect(await handle.result({ timeout: '5s' })).toBe('done');
  await worker.shutdown();
});

let attempts = 0;
async function slowOnce(): Promise<string> {
  attempts++;
  if (attempts === 1) await new Promise((r) => setTimeout(r, 5_000)); // outlasts the first worker's grace
  return `attempt ${attempts}`;
}
async function oneSlowStep(ctx: WorkflowContext) {
  return ctx.activity(slowOnce);
}

it('a worker shutting down past its grace period hands its runs back at once, not after their leases', async () => {
  const store = new MemoryStore();
  const options = {
    store,
    workflows: { oneSlowStep },
    activities: { slowOnce },
    handleSignals: false,
    leaseMs: 60_000,
  };
  const first = await Worker.create({ ...options, shutdownGraceMs: 100 });
  void first.run();
  const client = new Client({ store });
  const handle = await client.start(oneSlowStep, undefined);
  while (attempts === 0) await new Promise((r) => setTimeout(r, 5));
  await first.shutdown();
  const second = await Worker.create(options);
  void second.run();
  expect(await handle.result({ timeout: '3s' })).toBe('attempt 2'); // well before the 60 s lease
  await second.shutdown();
});
