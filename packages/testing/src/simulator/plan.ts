import { type ClockSpec, clientClock, workerClock } from './clocks.ts';
import type { FaultRates } from './faults.ts';
import { Prng } from './prng.ts';
import { RETRY, type SimWorkflowType } from './workflows.ts';

export interface WorkerSpec {
  pollMs: number;
  stickyMs: number;
  concurrency: number;
  clock: ClockSpec;
}

/** A top-level workflow of the scenario and how a client starts it. */
export interface WorkflowSpec {
  id: string;
  type: Exclude<SimWorkflowType, 'kid' | 'notify'>;
  input: unknown;
  /** Its starts' concurrency limit: at most `limit` open runs of `key` have started. */
  concurrency?: { key: string; limit: number };
}

export type Op =
  | { kind: 'start'; wf: WorkflowSpec }
  | { kind: 'signalWithStart'; wf: WorkflowSpec; sigId: string; n: number }
  | { kind: 'signal'; workflowId: string; name: 'deposit' | 'go'; sigId: string; n: number }
  | { kind: 'cancel'; workflowId: string }
  | { kind: 'terminate'; workflowId: string }
  | { kind: 'query'; workflowId: string }
  | { kind: 'result'; workflowId: string; timeoutMs: number }
  | { kind: 'describe'; workflowId: string }
  | { kind: 'retryNow'; workflowId: string }
  /** Reset to the valid point at this fraction of the run's valid points (drawn before the run exists). */
  | { kind: 'reset'; workflowId: string; point: number }
  /** An `audit` update (refused by its validator when `n` is negative); an id may be sent twice. */
  | { kind: 'update'; workflowId: string; updateId: string; n: number };

export interface TimedOp {
  at: number;
  client: number;
  op: Op;
}

/** Everything a scenario does, drawn from its seed before it starts. */
export interface Plan {
  seed: number;
  leaseMs: number;
  /** Faults strike until then (simulated ms from the start); then the simulation runs on without. */
  faultMs: number;
  /** The latest the simulation runs; runs still open then are stranded. */
  horizonMs: number;
  workers: WorkerSpec[];
  clients: ClockSpec[];
  rates: FaultRates;
  /** Freezes at set times, besides those at store calls. */
  freezes: { at: number; worker: number }[];
  /** How long a freeze lasts. */
  freezeMs: [number, number];
  /** How long a crashed process takes to be replaced. */
  restartMs: [number, number];
  /** On a Postgres the simulation owns: when the database restarts (fast shutdown, then start). */
  databaseRestarts: number[];
  ops: TimedOp[];
}

const LEASE_MS = 1000;
const FAULT_MS = 8000;

/** The scenario of `seed`. */
export function planScenario(seed: number): Plan {
  const rng = new Prng(seed);
  const stormy = rng.chance(0.75);
  const level = <T>(calm: T, mild: T, heavy: T): T => (stormy ? rng.pick([mild, heavy]) : calm);
  const rates: FaultRates = {
    crashBefore: level(0, 0.003, 0.01),
    crashAfter: level(0, 0.003, 0.01),
    freezeBefore: level(0, 0.002, 0.006),
    freezeAfter: level(0, 0.004, 0.012),
    freezeChildStart: level(0, 0.2, 0.5),
    renewFail: level(0, 0.1, 0.5),
    loseNotification: level(0, 0.1, 0.4),
    slowAnswer: level(0, 0.01, 0.04),
    maxCrashes: rng.int(1, 4),
  };
  const workers = Array.from({ length: rng.int(2, 3) }, () => ({
    pollMs: rng.int(100, 400),
    stickyMs: rng.pick([0, 200, 1000, 1000]),
    concurrency: rng.int(3, 10),
    clock: workerClock(rng, LEASE_MS, FAULT_MS),
  }));
  const clients = Array.from({ length: rng.int(1, 2) }, () => clientClock(rng));
  const freezes = stormy
    ? Array.from({ length: rng.int(0, 2) }, () => ({ at: rng.int(500, FAULT_MS), worker: rng.int(0, 9) }))
    : [];
  return {
    seed,
    leaseMs: LEASE_MS,
    faultMs: FAULT_MS,
    horizonMs: FAULT_MS + 60_000,
    workers,
    clients,
    rates,
    freezes,
    freezeMs: [LEASE_MS * 1.2, LEASE_MS * 4],
    restartMs: [200, 2000],
    databaseRestarts: databaseRestarts(seed),
    ops: withConcurrencyKeys(
      seed,
      withUpdates(
        seed,
        withOperatorActions(seed, planOps(rng, clients.length), clients.length),
        clients.length,
      ),
    ),
  };
}

/**
 * Retry now and reset aimed at some of the workflows, while they may wait out a backoff, hold a lease
 * or have closed: drawn apart from the rest of the plan, so that each seed's scenario otherwise stays as it was.
 */
function withOperatorActions(seed: number, ops: TimedOp[], clients: number): TimedOp[] {
  const rng = new Prng(seed).fork(4);
  const aimed = new Set<string>();
  const added: TimedOp[] = [];
  for (const { at, op } of ops) {
    if ((op.kind !== 'start' && op.kind !== 'signalWithStart') || aimed.has(op.wf.id)) continue;
    aimed.add(op.wf.id);
    for (let k = rng.chance(0.4) ? rng.int(1, 3) : 0; k > 0; k--)
      added.push({
        at: at + rng.int(1, 3000),
        client: rng.int(0, clients - 1),
        op: { kind: 'retryNow', workflowId: op.wf.id },
      });
    if (rng.chance(0.2))
      added.push({
        at: at + rng.int(200, 6000),
        client: rng.int(0, clients - 1),
        op: { kind: 'reset', workflowId: op.wf.id, point: rng.next() },
      });
  }
  return [...ops, ...added].sort((a, b) => a.at - b.at);
}

/**
 * `audit` updates aimed at some of the accounts, a few refused, a few sent again under the same id by
 * another call: drawn apart from the rest of the plan, as operator actions are.
 */
function withUpdates(seed: number, ops: TimedOp[], clients: number): TimedOp[] {
  const rng = new Prng(seed).fork(5);
  const added: TimedOp[] = [];
  let updates = 0;
  for (const { at, op } of ops) {
    if (op.kind !== 'start' && op.kind !== 'signalWithStart') continue;
    if (op.wf.type !== 'account' || !rng.chance(0.6)) continue;
    for (let k = rng.int(1, 3); k > 0; k--) {
      const update = {
        kind: 'update' as const,
        workflowId: op.wf.id,
        updateId: `upd-${++updates}`,
        n: rng.chance(0.15) ? -1 : rng.int(0, 5),
      };
      const t = at + rng.int(1, 4000);
      added.push({ at: t, client: rng.int(0, clients - 1), op: update });
      if (rng.chance(0.3))
        added.push({ at: t + rng.int(0, 50), client: rng.int(0, clients - 1), op: update });
    }
  }
  return [...ops, ...added].sort((a, b) => a.at - b.at);
}

/**
 * In half the scenarios, concurrency limits on some of the workflows: one or two keys, each with a
 * limit of 1 or 2 that all its starts give, so that runs of a key wait for each other's close. Drawn
 * apart from the rest of the plan, as operator actions are.
 */
function withConcurrencyKeys(seed: number, ops: TimedOp[]): TimedOp[] {
  const rng = new Prng(seed).fork(6);
  if (!rng.chance(0.5)) return ops;
  const keys = Array.from({ length: rng.int(1, 2) }, (_, i) => ({ key: `key-${i}`, limit: rng.int(1, 2) }));
  const drawn = new Set<string>();
  for (const { op } of ops) {
    if ((op.kind !== 'start' && op.kind !== 'signalWithStart') || drawn.has(op.wf.id)) continue;
    drawn.add(op.wf.id);
    if (rng.chance(0.6)) op.wf.concurrency = rng.pick(keys);
  }
  return ops;
}

/**
 * One or two restarts of the database during the faults, drawn apart from the rest of the plan so
 * that the memory scenarios, which have no database to restart, stay as they were.
 */
function databaseRestarts(seed: number): number[] {
  const rng = new Prng(seed).fork(3);
  const count = rng.int(1, 2);
  const span = (FAULT_MS - 2000) / count;
  return Array.from({ length: count }, (_, i) => rng.int(1000 + i * span, (i + 1) * span));
}

/** Starts of 5 to 9 workflows, each followed by the signals, queries, cancels and waits aimed at it. */
function planOps(rng: Prng, clients: number): TimedOp[] {
  const ops: TimedOp[] = [];
  let signals = 0;
  const add = (at: number, op: Op) => ops.push({ at, client: rng.int(0, clients - 1), op });
  const count = rng.int(5, 9);
  for (let i = 1; i <= count; i++) {
    const type = rng.weighted<WorkflowSpec['type']>([
      ['account', 35],
      ['family', 20],
      ['trip', 20],
      ['waiter', 25],
    ]);
    const wf: WorkflowSpec = { id: `${type}-${i}`, type, input: workflowInput(rng, type) };
    const at = rng.int(0, FAULT_MS * 0.6);
    const sigId = () => `sig-${++signals}`;
    if (type === 'account' && rng.chance(0.4))
      add(at, { kind: 'signalWithStart', wf, sigId: sigId(), n: rng.int(1, 6) });
    else add(at, { kind: 'start', wf });
    const later = () => at + rng.int(1, 3000);
    if (type === 'account') {
      for (let k = rng.int(0, 5); k > 0; k--) {
        const t = later();
        // Deposits often come in bursts, so that one lands while the run is closing.
        for (let b = rng.chance(0.4) ? rng.int(2, 3) : 1; b > 0; b--)
          add(t + rng.int(0, 30), {
            kind: 'signal',
            workflowId: wf.id,
            name: 'deposit',
            sigId: sigId(),
            n: rng.int(1, 6),
          });
      }
      // Queries, some in bursts, so that one comes while a step's result is not yet durable.
      for (let k = rng.int(1, 4); k > 0; k--) {
        const t = later();
        for (let b = rng.chance(0.5) ? 3 : 1; b > 0; b--)
          add(t + rng.int(0, 60), { kind: 'query', workflowId: wf.id });
      }
      if (rng.chance(0.2))
        add(later() + 2000, { kind: 'signalWithStart', wf, sigId: sigId(), n: rng.int(1, 6) });
    }
    if (type === 'waiter')
      for (let k = rng.int(0, 2); k > 0; k--)
        add(later(), { kind: 'signal', workflowId: wf.id, name: 'go', sigId: sigId(), n: 0 });
    if (rng.chance(0.2)) add(later(), { kind: 'cancel', workflowId: wf.id });
    if (rng.chance(0.05)) add(later(), { kind: 'terminate', workflowId: wf.id });
    if (rng.chance(0.7)) add(later(), { kind: 'result', workflowId: wf.id, timeoutMs: rng.int(500, 5000) });
    if (rng.chance(0.5)) add(later(), { kind: 'describe', workflowId: wf.id });
  }
  return ops.sort((a, b) => a.at - b.at);
}

function workflowInput(rng: Prng, type: WorkflowSpec['type']): unknown {
  const failures = () =>
    rng.chance(0.05)
      ? RETRY.maxAttempts
      : rng.weighted([
          [0, 5],
          [1, 3],
          [2, 1],
        ]);
  switch (type) {
    case 'account': {
      const waitMs = rng.int(300, 1500);
      return {
        balance: 0,
        target: rng.int(4, 15),
        fail: Array.from({ length: rng.int(1, 3) }, failures),
        waitMs,
        gen: 0,
        maxGen: rng.int(0, 2),
        notifyMs: rng.chance(0.4) ? waitMs + rng.int(-150, 150) : null,
      };
    }
    case 'family':
      return {
        policy: rng.pick(['terminate', 'requestCancel', 'abandon']),
        childMs: rng.int(100, 600),
        sleepMs: rng.int(100, 800),
        detached: rng.chance(0.5),
      };
    case 'trip': {
      const legs = rng.int(2, 4);
      return {
        legs,
        failAt: rng.chance(0.3) ? rng.int(0, legs - 1) : legs,
        slowAttempts: rng.chance(0.1) ? RETRY.maxAttempts : rng.int(0, 2),
      };
    }
    case 'waiter':
      return { timeoutMs: rng.int(200, 1500), sleepMs: rng.int(50, 500), slowAttempts: rng.int(0, 2) };
  }
}
