import { Client, type RecordedEvent, type StoreListener, type WorkflowContext } from '@reel/sdk';
import { MemoryStore, recordingLogger } from '@reel/testing';
import { expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { until } from './helpers.ts';

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function awaitsNote(ctx: WorkflowContext) {
  return ctx.signal<string>('note');
}

async function awaitsNoteAWhile(ctx: WorkflowContext) {
  return ctx.signal<string>('note', { timeout: '5m' });
}

/** A memory store that counts the notices of input its workers' listeners have been given. */
class InputCountingStore extends MemoryStore {
  inputsHeard = 0;

  override async listen(listener: StoreListener) {
    const onInput = listener.onInput?.bind(listener);
    if (!onInput) return super.listen(listener);
    return super.listen({
      ...listener,
      onInput: (runId) => {
        onInput(runId);
        this.inputsHeard++;
      },
    });
  }
}

/**
 * A store whose claims bring no history (as for a long one) and whose history loads wait until the
 * test lets them go. It records what each inbox read found.
 */
class SlowLoadStore extends InputCountingStore {
  private readonly loads = signal();
  loading = false;
  readonly inboxReads: number[] = [];

  finishLoading(): void {
    this.loads.resolve();
  }
  override async claim(...args: Parameters<MemoryStore['claim']>) {
    return (await super.claim(...args)).map(({ loaded: _, ...run }) => run);
  }
  override async loadHistory(runId: string): Promise<RecordedEvent[]> {
    this.loading = true;
    await this.loads.promise;
    return super.loadHistory(runId);
  }
  override async readInbox(runId: string) {
    const read = await super.readInbox(runId);
    this.inboxReads.push(read.items.length);
    return read;
  }
}

it('a signal that wakes a run while its history is still loading is not lost', async () => {
  const store = new SlowLoadStore();
  const logger = recordingLogger();
  const worker = await Worker.create({
    store,
    workflows: { awaitsNote },
    handleSignals: false,
    logger,
  });
  void worker.run();
  const client = new Client({ store });
  const handle = await client.start(awaitsNote, undefined);
  await until(() => store.loading && store.inboxReads.length === 1, 'the driver to load the run');
  expect(store.inboxReads).toEqual([0]); // the inbox the driver starts with has no signal
  const heard = store.inputsHeard;
  await handle.signal('note', 'hello');
  // The signal's wake reaches the driver before it has its history.
  await until(() => store.inputsHeard === heard + 1, 'the wake to reach the worker');
  expect(store.loading).toBe(true);
  store.finishLoading();
  expect(await handle.result({ timeout: '5s' })).toBe('hello');
  expect(store.inboxReads).toEqual([0, 1]); // the signal came after the first read, and is in the next
  expect(logger.messages('info')).toEqual([]);
  await worker.shutdown();
});

/** A store whose claims, and starts with a lease, answer when the test lets them once they took a run. */
class HeldAnswerStore extends InputCountingStore {
  /** What took a run, once one did. */
  took: 'claim' | 'local start' | undefined;
  readonly answer = signal();

  override async claim(...args: Parameters<MemoryStore['claim']>) {
    const runs = await super.claim(...args);
    if (runs.length > 0) await this.hold('claim');
    return runs;
  }
  override async start(...args: Parameters<MemoryStore['start']>) {
    const started = await super.start(...args);
    if (args[0].lease) await this.hold('local start');
    return started;
  }
  private async hold(by: 'claim' | 'local start') {
    this.took = by;
    await this.answer.promise;
  }
}

it.each(['claim', 'local start'] as const)(
  'a signal whose wake comes before the %s of its run answers is read, not left for later',
  async (how) => {
    const store = new HeldAnswerStore();
    // Kept in memory while it waits: only a wake, not a suspension, makes the worker read its inbox.
    const worker = await Worker.create({
      store,
      workflows: { awaitsNoteAWhile },
      handleSignals: false,
      stickyMs: 600_000,
    });
    void worker.run();
    await until(() => worker.health().status === 'ok', 'the worker to serve');
    const client = new Client({ store, ...(how === 'local start' ? { worker } : {}) });
    const id = `held-${how}`;
    const starting = client.start(awaitsNoteAWhile, undefined, { id });
    await until(() => store.took !== undefined, 'a run to be taken');
    expect(store.took).toBe(how);
    const heard = store.inputsHeard;
    await new Client({ store }).signal(id, 'note', 'hello');
    await until(() => store.inputsHeard === heard + 1, 'the wake to reach the worker');
    const { runId } = await client.describe(id);
    expect((await store.readInbox(runId)).items).toHaveLength(1); // not in what the run starts from
    store.answer.resolve();
    expect(await (await starting).result({ timeout: '5s' })).toBe('hello');
    await worker.shutdown();
  },
);

const stepStarted = signal();
const stepMayEnd = signal();
async function slowStep(): Promise<string> {
  stepStarted.resolve();
  await stepMayEnd.promise;
  return 'done';
}

async function stepThenReturn(ctx: WorkflowContext) {
  ctx.onSignal('ping', () => undefined);
  return ctx.activity(slowStep);
}

/** A store that runs `duringFlush` while it commits a flush of a signal, before the commit goes in. */
class FlushHookStore extends MemoryStore {
  duringFlush: (() => Promise<void>) | undefined;
  override async commit(req: Parameters<MemoryStore['commit']>[0]) {
    const hook = this.duringFlush;
    if (hook && req.events.some((e) => e.type === 'signal_received')) {
      this.duringFlush = undefined;
      await hook();
    }
    return super.commit(req);
  }
}

it('an activity that finishes during a flush is delivered before the run may suspend', async () => {
  const store = new FlushHookStore();
  const finished = signal();
  const worker = await Worker.create({
    store,
    workflows: { stepThenReturn },
    activities: { slowStep },
    handleSignals: false,
    stickyMs: 0,
    metrics: { activityFinished: () => finished.resolve() }, // called as the result is appended
  });
  void worker.run();
  const client = new Client({ store });
  const handle = await client.start(stepThenReturn, undefined);
  await stepStarted.promise;
  let raced = false;
  store.duringFlush = async () => {
    stepMayEnd.resolve();
    await finished.promise; // the activity's result is in the run's log while the flush is in flight
    raced = true;
  };
  await handle.signal('ping');
  expect(await handle.result({ timeout: '5s' })).toBe('done');
  expect(raced).toBe(true);
  expect((await client.history(handle.id)).events.map((e) => e.type)).toEqual([
    'workflow_started',
    'activity_scheduled',
    'signal_received',
    'activity_completed',
    'workflow_completed',
  ]);
  await worker.shutdown();
});

let attempts = 0;
const firstAttempt = signal();
const firstMayEnd = signal();
let firstEnded = false;
async function slowOnce(): Promise<string> {
  const attempt = ++attempts;
  if (attempt === 1) {
    firstAttempt.resolve();
    await firstMayEnd.promise; // outlasts the first worker's grace
    firstEnded = true;
  }
  return `attempt ${attempt}`;
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
  await firstAttempt.promise;
  await first.shutdown();
  expect(firstEnded).toBe(false); // shut down past its grace: the attempt still runs
  expect(store.peek(handle.runId as string)).toMatchObject({ status: 'running', leaseOwner: null });
  const second = await Worker.create(options);
  void second.run();
  expect(await handle.result({ timeout: '3s' })).toBe('attempt 2'); // well before the 60 s lease
  await second.shutdown();
  firstMayEnd.resolve();
});
