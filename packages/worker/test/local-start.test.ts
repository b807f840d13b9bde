import { Client, PostgresStore, type Store, type WorkflowContext } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';

const db = useTestDatabase();

/** The real Postgres store, counting the calls made to it, and the runs claimed (as `claimed`). */
function countingStore(): { store: Store; calls: Map<string, number>; close(): Promise<void> } {
  const real = new PostgresStore({ connectionString: db.connectionString });
  const calls = new Map<string, number>();
  const count = (key: string, n = 1) => calls.set(key, (calls.get(key) ?? 0) + n);
  const store = new Proxy(real, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        count(String(key));
        const answer = value.apply(target, args);
        if (key === 'claim') void answer.then((runs: unknown[]) => count('claimed', runs.length));
        return answer;
      };
    },
  });
  return { store, calls, close: () => real.close() };
}

export async function where(tag: string): Promise<string> {
  return tag;
}

export async function tagged(ctx: WorkflowContext, tag: string) {
  return { ran: await ctx.activity(where, tag), twice: await ctx.activity(where, tag), dropped: undefined };
}

let open!: () => void;
let gate = new Promise<void>((resolve) => (open = resolve));
/** Runs until the test opens the gate: its run stays held by the worker meanwhile. */
export async function held(tag: string): Promise<string> {
  await gate;
  return tag;
}
function openGate() {
  open();
  gate = new Promise<void>((resolve) => (open = resolve));
}

export async function blocked(ctx: WorkflowContext, tag: string) {
  return ctx.activity(held, tag);
}

export async function napping(ctx: WorkflowContext) {
  await ctx.sleep(300);
  return 'rested';
}

export async function failing(ctx: WorkflowContext) {
  await ctx.activity(where, 'x');
  throw new Error('out of stock');
}

/** Served only by the other worker. */
export async function elsewhere(ctx: WorkflowContext) {
  return ctx.activity(where, 'elsewhere');
}

let counted: ReturnType<typeof countingStore>;
let local: Worker;
let other: Worker;
let client: Client;

beforeAll(async () => {
  counted = countingStore();
  local = await Worker.create({
    store: counted.store,
    workflows: { tagged, blocked, napping, failing },
    activities: { where, held },
    concurrency: 2,
    stickyMs: 100,
    handleSignals: false,
  });
  void local.run();
  other = await Worker.create({
    connectionString: db.connectionString,
    workflows: { elsewhere },
    activities: { where },
    handleSignals: false,
  });
  void other.run();
  client = new Client({ connectionString: db.connectionString, worker: local });
  // The worker takes runs once it serves (listening, renewing leases): until then they go the usual way.
  for (let handedOver = false; !handedOver; ) {
    const before = usualWay();
    await (await client.start(tagged, 'warm-up')).result();
    handedOver = usualWay() === before;
  }
});
afterAll(async () => {
  await local?.shutdown();
  await other?.shutdown();
  await client?.close();
  await counted?.close();
});

/** Runs taken the usual way: claimed, or their history or inbox read. */
function usualWay() {
  const { calls } = counted;
  return (calls.get('claimed') ?? 0) + (calls.get('loadHistory') ?? 0) + (calls.get('readInbox') ?? 0);
}
describe('a client with { worker }', () => {
  it('hands the run to that worker, which runs it without reading its history, and gets the result from it', async () => {
    const before = usualWay();
    const handle = await client.start(tagged, 'here', { id: 'local-1' });
    // The outcome as read back from Postgres: a JSON copy, `dropped: undefined` gone.
    expect(await handle.result()).toStrictEqual({ ran: 'here', twice: 'here' });
    expect(usualWay()).toBe(before);
    const history = await client.history('local-1');
    expect(history.events.map((e) => e.type)).toEqual([
      'workflow_started',
      'activity_scheduled',
      'activity_completed',
      'activity_scheduled',
      'activity_completed',
      'workflow_completed',
    ]);
    expect(history.events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await client.describe('local-1')).toMatchObject({ status: 'completed', historyLength: 6 });
  });

  it('a failure comes through the hand-off as WorkflowFailedError', async () => {
    const handle = await client.start(failing, undefined);
    await expect(handle.result()).rejects.toMatchObject({
      name: 'WorkflowFailedError',
      message: expect.stringContaining('out of stock'),
    });
  });

  it('takes the usual path when the worker is full, and the run still completes', async () => {
    const full = [await client.start(blocked, 'one'), await client.start(blocked, 'two')];
    const before = usualWay();
    const queued = await client.start(tagged, 'queued');
    openGate();
    expect(await Promise.all(full.map((h) => h.result()))).toEqual(['one', 'two']);
    expect(await queued.result()).toEqual({ ran: 'queued', twice: 'queued' });
    expect(usualWay()).toBeGreaterThan(before); // claimed
  });

  it('takes the usual path for a type the worker does not serve, and for a delayed start', async () => {
    expect(await (await client.start(elsewhere, undefined)).result()).toBe('elsewhere');
    const before = usualWay();
    const delayed = await client.start(tagged, 'later', { startDelay: '50ms' });
    expect(await delayed.result()).toEqual({ ran: 'later', twice: 'later' });
    expect(usualWay()).toBeGreaterThan(before);
  });

  it('starting an existing id returns that run and takes no room on the worker', async () => {
    const first = await client.start(blocked, 'first', { id: 'local-existing' });
    for (let i = 0; i < 3; i++) {
      const again = await client.start(blocked, 'again', { id: 'local-existing' });
      expect(again).toMatchObject({ runId: first.runId, created: false });
    }
    const before = usualWay();
    // One slot of two is held by 'local-existing': this one is still handed over.
    expect(await (await client.start(tagged, 'room')).result()).toEqual({ ran: 'room', twice: 'room' });
    expect(usualWay()).toBe(before);
    openGate();
    expect(await first.result()).toBe('first');
  });

  it('result() of a run the worker lets go (a long sleep) comes through Postgres', async () => {
    const before = usualWay();
    const handle = await client.start(napping, undefined);
    expect(await handle.result()).toBe('rested');
    expect(usualWay()).toBeGreaterThan(before); // suspended, then claimed again
  });

  it('result({ timeout }) of a held run times out with REEL_TIMEOUT', async () => {
    const handle = await client.start(blocked, 'late');
    await expect(handle.result({ timeout: '100ms' })).rejects.toMatchObject({ code: 'REEL_TIMEOUT' });
    openGate();
    expect(await handle.result()).toBe('late');
  });
});
