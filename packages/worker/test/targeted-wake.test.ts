import { Client, PostgresStore, type WorkflowContext } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Worker, type WorkerOptions } from '../src/index.ts';
import { leaseOf, listenToWakesOf, until } from './helpers.ts';

const db = useTestDatabase();

/**
 * The real Postgres store, counting the claims its worker sends and those that took no run, and
 * whether a claim, or the question an empty claim asks next (when to look again), is under way.
 */
class CountingStore extends PostgresStore {
  sent = 0;
  empty = 0;
  busy = 0;

  override async claim(...args: Parameters<PostgresStore['claim']>) {
    const claimed = await this.underWay(() => super.claim(...args));
    this.sent++;
    if (claimed.length === 0) this.empty++;
    return claimed;
  }

  override nextReadyIn(...args: Parameters<PostgresStore['nextReadyIn']>) {
    return this.underWay(() => super.nextReadyIn(...args));
  }

  private async underWay<T>(call: () => Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await call();
    } finally {
      this.busy--;
    }
  }
}

export async function step(n: number): Promise<number> {
  return n;
}

export async function quick(ctx: WorkflowContext, n: number) {
  return ctx.activity(step, n);
}

let open!: () => void;
const gate = new Promise<void>((resolve) => (open = resolve));
/** Runs until the test ends: its run stays held by its worker meanwhile. */
export async function held(): Promise<string> {
  await gate;
  return 'held';
}

export async function blocked(ctx: WorkflowContext, _n: number) {
  return ctx.activity(held);
}

const TYPES = ['quick', 'blocked'];
/** Far longer than any wait below: a run claimed within one was not claimed by a poll. */
const NO_POLL = 60_000;

let client: Client;
let pool: pg.Pool;
let listener: pg.Client;
/** The payloads of the wakes heard, on `reel_wake` or a worker's channel, newest last. */
const wakes: string[] = [];
/** The channel of each of `wakes`. */
const channels: string[] = [];
/** The worker each wake channel listened on belongs to. */
const owners = new Map<string, string>();
let workers: { worker: Worker; store: CountingStore; waits: number[] }[] = [];

beforeAll(async () => {
  client = new Client({ connectionString: db.connectionString });
  pool = new pg.Pool({ connectionString: db.connectionString });
  listener = new pg.Client({ connectionString: db.connectionString });
  await listener.connect();
  listener.on('notification', (n) => {
    wakes.push(n.payload ?? '');
    channels.push(n.channel);
  });
  await listener.query('listen reel_wake');
});
afterEach(async () => {
  await Promise.all(workers.map(({ worker, store }) => worker.shutdown().then(() => store.close())));
  workers = [];
  await pool.query(`delete from reel.workers where id like 'ghost%'`);
});
afterAll(async () => {
  open();
  await client?.close();
  await pool?.end();
  await listener?.end();
});

/**
 * Starts `count` workers, each on a store of its own, and waits until each is in the ring and its
 * loop's first turn, which any worker makes on starting, is behind it: the claim, and after an empty
 * one the question of when to look again, which would see a run started meanwhile as ready now.
 */
async function startWorkers(count: number, options: Partial<WorkerOptions> = {}) {
  const started = await Promise.all(
    Array.from({ length: count }, async () => {
      const store = new CountingStore({ connectionString: db.connectionString });
      const waits: number[] = []; // how long each run it claimed had been ready
      const worker = await Worker.create({
        store,
        workflows: { quick, blocked },
        activities: { step, held },
        pollIntervalMs: NO_POLL,
        shutdownGraceMs: 100, // hand the held runs back at once
        handleSignals: false,
        metrics: { runClaimed: (_type, ms) => waits.push(ms) },
        ...options,
      });
      void worker.run();
      return { worker, store, waits };
    }),
  );
  workers.push(...started);
  await until(async () => {
    const { rows } = await pool.query('select id from reel.workers');
    return started.every(
      (w) => w.store.sent > 0 && w.store.busy === 0 && rows.some((r) => r.id === w.worker.identity),
    );
  }, 'every worker to send its first heartbeat, claim and look ahead');
  for (const { worker } of started) await hearWakesOf(worker.identity);
  return started;
}

/** Listens on `worker`'s own wake channel too, and notes whose it is. */
async function hearWakesOf(worker: string): Promise<void> {
  owners.set(await listenToWakesOf(listener, worker), worker);
}

/**
 * Records a live worker that never claims (one that died without leaving the ring), ranked for `quick`
 * before every worker in the ring: its wakes name it first.
 */
async function ghost(): Promise<string> {
  for (let i = 0; ; i++) {
    const id = `ghost-${i}`;
    const { rows } = await pool.query(
      `select md5($1 || 'quick') < all (select md5(id || 'quick') from reel.workers) as first`,
      [id],
    );
    if (!rows[0].first) continue;
    await pool.query('insert into reel.workers (id, types, heartbeat_at) values ($1, $2, now())', [
      id,
      TYPES,
    ]);
    await hearWakesOf(id);
    return id;
  }
}

/** The workers the start's wake named, first to last, once it is heard. */
async function namedBy(runId: string | undefined): Promise<string[]> {
  await until(() => wakes.some((p) => p.startsWith(`${runId}`)), `the wake of ${runId}`);
  return (wakes.find((p) => p.startsWith(`${runId}`)) as string).split(' ').slice(1);
}

/** The fallback's 250 ms, less the slack of two clocks read apart. */
const FALLBACK_AT_LEAST = 200;

describe('targeted wake-ups', () => {
  it('a start makes its owner claim, not every worker', async () => {
    const fleet = await startWorkers(4);
    for (const { store } of fleet) store.sent = store.empty = 0;
    const starts = 12;
    for (let i = 0; i < starts; i++) expect(await (await client.start(quick, i)).result()).toBe(i);
    const sent = fleet.reduce((n, { store }) => n + store.sent, 0);
    const empty = fleet.reduce((n, { store }) => n + store.empty, 0);
    // One claim by the owner, at most one by the backup after the fallback. Before, each of the
    // four claimed at every start, three of them in vain: 48 claims, 36 empty.
    expect(sent).toBeLessThanOrEqual(2 * starts);
    expect(empty).toBeLessThanOrEqual(starts);
  });

  it('a fleet fills one worker before it wakes the next', async () => {
    const fleet = await startWorkers(4);
    for (let i = 0; i < 12; i++) expect(await (await client.start(quick, i)).result()).toBe(i);
    // Every run went to the worker ranked first for the type; ranked by run, they spread over all four.
    expect(fleet.map(({ waits }) => waits.length).sort((a, b) => b - a)).toEqual([12, 0, 0, 0]);
  });

  it('a worker too full to claim a run passes its wake on, and the next claims it at once', async () => {
    const fleet = await startWorkers(2, { concurrency: 1 });
    const filling = await client.start(blocked, 0); // the first ranked takes it, and is then full
    await until(async () => (await leaseOf(pool, filling.runId)).owner !== null, 'the first worker full');
    const full = (await leaseOf(pool, filling.runId)).owner;
    const next = fleet.find(({ worker }) => worker.identity !== full);
    const handle = await client.start(blocked, 1);
    expect(await namedBy(handle.runId)).toEqual([full, next?.worker.identity]);
    await until(async () => (await leaseOf(pool, handle.runId)).owner !== null, 'the run claimed');
    expect((await leaseOf(pool, handle.runId)).owner).toBe(next?.worker.identity);
    // Passed on at once (a second wake naming only `next`), not claimed by its fallback.
    expect(wakes).toContain(`${handle.runId} ${next?.worker.identity}`);
    expect(next?.waits.at(-1)).toBeLessThan(FALLBACK_AT_LEAST);
  });

  it('a burst of starts beyond the room of the first worker is passed on to the next, which claims at once', async () => {
    // The held runs of earlier tests, handed back as their workers stopped, would take the slots.
    const { items } = await client.list({ type: 'blocked', status: 'running' });
    for (const run of items) await client.terminate(run.workflowId);
    const fleet = await startWorkers(2, { concurrency: 2 });
    const handles = await Promise.all([0, 1, 2, 3].map((i) => client.start(blocked, i)));
    const owners = async () => Promise.all(handles.map(async (h) => (await leaseOf(pool, h.runId)).owner));
    await until(async () => (await owners()).every((o) => o !== null), 'all four runs claimed');
    // A worker counts its claim once the claim's statement has returned to it, after the lease is visible.
    await until(
      () => fleet.reduce((n, { waits }) => n + waits.length, 0) >= 4,
      'the workers to count the claims',
    );
    // Two each: the first worker ranked took what it had room for and passed the rest on.
    expect(fleet.map(({ waits }) => waits.length)).toEqual([2, 2]);
    expect(fleet.every(({ waits }) => waits.every((ms) => ms < FALLBACK_AT_LEAST))).toBe(true);
  });

  it('a run whose first worker died without leaving the ring is claimed by the next within the fallback, and the next run at once', async () => {
    const [w] = await startWorkers(1);
    const dead = await ghost();
    const handle = await client.start(quick, 0);
    expect(await namedBy(handle.runId)).toEqual([dead, w?.worker.identity]);
    expect(await handle.result({ timeout: '10s' })).toBe(0);
    expect(w?.waits.at(-1)).toBeGreaterThanOrEqual(FALLBACK_AT_LEAST);
    expect(w?.waits.at(-1)).toBeLessThan(NO_POLL / 10);
    // Having had to claim the dead worker's run, `w` passes over it for a while: no other start waits.
    for (let i = 1; i <= 3; i++) {
      const next = await client.start(quick, i);
      expect(await namedBy(next.runId)).toEqual([dead, w?.worker.identity]);
      expect(await next.result({ timeout: '10s' })).toBe(i);
      expect(w?.waits.at(-1)).toBeLessThan(FALLBACK_AT_LEAST);
    }
  });

  it('a run whose first two workers both died is claimed at the next poll', async () => {
    const [w] = await startWorkers(1, { pollIntervalMs: 1000 });
    const dead = [await ghost(), await ghost()].reverse(); // the second ranks before the first
    const handle = await client.start(quick, 0);
    expect(await namedBy(handle.runId)).toEqual([...dead, w?.worker.identity]);
    expect(await handle.result({ timeout: '10s' })).toBe(0);
    expect(w?.waits.at(-1)).toBeLessThan(2 * 1000);
  });

  it('input for a held run wakes only its holder, naming no worker', async () => {
    await startWorkers(2);
    const handle = await client.start(blocked, 0);
    await until(async () => (await leaseOf(pool, handle.runId)).owner !== null, 'the run held');
    const holder = (await leaseOf(pool, handle.runId)).owner;
    const heard = wakes.length;
    await handle.signal('nudge');
    await until(() => wakes.length > heard, 'the signal heard');
    expect(wakes.slice(heard)).toEqual([handle.runId]);
    expect(channels.slice(heard).map((c) => owners.get(c))).toEqual([holder]);
  });

  it("a start's wake reaches the first two workers it names, on their own channels, and no one else", async () => {
    await startWorkers(4);
    const heard = wakes.length;
    const handle = await client.start(quick, 1);
    const named = await namedBy(handle.runId);
    expect(named).toHaveLength(4);
    await handle.result();
    const about = wakes.flatMap((p, i) =>
      i >= heard && p.startsWith(`${handle.runId}`) ? [channels[i]] : [],
    );
    expect(about.map((c) => owners.get(c as string))).toEqual(named.slice(0, 2));
  });
});
