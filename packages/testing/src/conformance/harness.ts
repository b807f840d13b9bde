import { randomUUID } from 'node:crypto';
import type { ClaimedRun, Json, RecordedEvent, StartRequest, Store } from '@reel/sdk';
import { afterEach, beforeEach, expect, it as vitestIt } from 'vitest';

/** Makes a ready (migrated) store for one test; `cleanup` runs after the test. */
export type StoreFactory = () => Promise<{ store: Store; cleanup(): Promise<void> }>;

/** The engine-clock origin every test measures from: the stores never read the wall clock. */
export const T0 = Date.parse('2026-03-01T09:00:00.000Z');
/** The engine clock at `ms` after {@link T0}. */
export const at = (ms: number): Date => new Date(T0 + ms);
/** A lease length, in ms. */
export const LEASE = 30_000;

/** A history event continuing a run, as a worker would commit it. */
export function event(
  seq: number,
  ms: number,
  fields: Record<string, unknown> = { type: 'timer_fired', cmd: seq },
) {
  return { ...fields, seq, at: at(ms).toISOString() } as RecordedEvent;
}

/**
 * What every behaviour file gets: the store under test and helpers that keep tests apart. Each test
 * uses workflow types and ids no other test uses, so the suite is correct on a store that several
 * tests share (one Postgres database per test file) as much as on a fresh one.
 */
export interface Harness {
  readonly store: Store;
  /** Registers a test; titles are unique in the suite. */
  it(title: string, fn: () => Promise<void>): void;
  /** A workflow id no other test uses. */
  id(prefix?: string): string;
  /** A registered workflow type no other test uses. */
  type(): Promise<string>;
  /** Starts a new run of `type` and checks it was created; `options` may add to the start request. */
  start(
    type: string,
    options?: { now?: Date; input?: Json; workflowId?: string } & Partial<StartRequest>,
  ): Promise<{ workflowId: string; runId: string }>;
  /** Claims exactly one run of `type` at `now`, leased for `leaseMs`, and returns its lease. */
  claimOne(type: string, now?: Date, leaseMs?: number, owner?: string): Promise<ClaimedRun>;
  /** Starts a run and claims it. */
  startClaimed(type?: string): Promise<ClaimedRun>;
  /** Run ids of the runs of `types` claimable at `now` (claims them). */
  claimable(types: string[], now: Date, leaseMs?: number): Promise<string[]>;
}

export function createHarness(current: () => Store): Harness {
  const titles = new Set<string>();
  const h: Harness = {
    get store() {
      return current();
    },
    it(title, fn) {
      if (titles.has(title)) throw new Error(`Two conformance tests are titled '${title}'`);
      titles.add(title);
      vitestIt(title, fn);
    },
    id: (prefix = 'wf') => `${prefix}-${randomUUID()}`,
    async type() {
      const type = `type_${randomUUID().replaceAll('-', '')}`;
      await h.store.registerTypes([type], at(0));
      return type;
    },
    async start(type, { now = at(0), input = { n: 1 }, workflowId = h.id(), ...request } = {}) {
      const started = await h.store.start({ workflowId, runId: randomUUID(), type, input, now, ...request });
      expect(started).toMatchObject({ created: true, knownType: true });
      return { workflowId, runId: started.runId };
    },
    async claimOne(type, now = at(0), leaseMs = LEASE, owner = 'worker-1') {
      const claimed = await h.store.claim(owner, [type], 1, now, leaseMs);
      expect(claimed).toHaveLength(1);
      return claimed[0] as ClaimedRun;
    },
    async startClaimed(type) {
      const t = type ?? (await h.type());
      const { runId } = await h.start(t);
      const lease = await h.claimOne(t);
      expect(lease.runId).toBe(runId);
      return lease;
    },
    async claimable(types, now, leaseMs = LEASE) {
      return (await h.store.claim('probe', types, 1000, now, leaseMs)).map((c) => c.runId);
    },
  };
  return h;
}

/** A store made before each test of the enclosing suite and cleaned up after it; its getter. */
export function storePerTest(makeStore: StoreFactory): () => Store {
  let current: { store: Store; cleanup(): Promise<void> } | undefined;
  beforeEach(async () => {
    current = await makeStore();
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('The store under test exists only while a test runs.');
    return current.store;
  };
}
