import type { RunRow } from './store-rows.ts';

/** An invariant that did not hold, with what is needed to find it again. */
export interface Violation {
  invariant: number;
  kind: string;
  message: string;
}

/** An activity attempt, as it started, with the store's row of its run at that instant. */
export interface Attempt {
  process: string;
  identity: string;
  workflowId: string;
  runId: string;
  activity: string;
  key: string;
  attempt: number;
  /** The database's clock when it started. */
  at: number;
  row: RunRow | undefined;
  /** How far its worker's clock was off then. */
  skewMs: number;
  /** How long before its worker had resumed from a freeze, if it ever froze. */
  resumedAgo: number | undefined;
  /** How far the clock of the worker holding the lease then was off. */
  ownerSkewMs?: number;
}

/** A worker's claim of a task (an attempt of a task-queue activity), as the store made or renewed it. */
export interface TaskClaim {
  identity: string;
  taskId: string;
  claim: number;
  runId: string;
  cmd: number;
  attempt: number;
  /** The database's clock when the claim was made, and when it lapses (moved on by each renewal). */
  at: number;
  until: number;
}

/** A signal a client sent, and where the store put it. */
export interface SentSignal {
  workflowId: string;
  /** The newest run of the workflow id when the store took the signal. */
  target?: string;
  /** The client's send returned. */
  accepted: boolean;
}

/** What a client's `update()` returned or threw: its result, or the code of its error. */
export interface SeenUpdate {
  workflowId: string;
  updateId: string;
  /** The newest run of the workflow id when the call was made. */
  newest: string | undefined;
  outcome: { result: unknown } | { code: string };
}

/** What a client's `result()` returned, for a run. */
export interface SeenResult {
  workflowId: string;
  runId: string | undefined;
  status: 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timeout';
  value?: unknown;
}

/**
 * What the simulation saw happen, filled in as it runs (by the fault-injecting stores, the
 * activities and the clients) and read by the invariant checks afterwards.
 */
export class Ledger {
  /** The runs of each workflow id, in the order the store created them. */
  readonly chains = new Map<string, string[]>();
  /**
   * Runs a start or a continue-as-new in flight may have made: a run exists once its statement
   * commits, before the call returns and `created` records it, and another process may close it then.
   */
  readonly starting = new Set<string>();
  readonly workflowOf = new Map<string, string>();
  /** Continue-as-new: a run's successor. */
  readonly successor = new Map<string, string>();
  /** The concurrency limit of each run started with one (a successor or a reset's run keeps it). */
  readonly limits = new Map<string, { key: string; limit: number }>();
  /**
   * Runs terminated while a worker held them: that worker and its lease's expiry. Terminate does not
   * wait for the holder, which learns of it at its next write; until its lease ends it may start an
   * attempt it had already proven its lease for (docs/guarantees.md).
   */
  readonly terminatedHolders = new Map<string, { identity: string; until: number }>();
  readonly attempts: Attempt[] = [];
  /** Every claim of a task, in the order the store made them. */
  readonly taskClaims: TaskClaim[] = [];
  readonly signals = new Map<string, SentSignal>();
  /** Posted queries: the run they went to and their name. */
  readonly queries = new Map<string, { runId: string; name: string }>();
  readonly results: SeenResult[] = [];
  /** Updates whose call returned or threw, one entry per call. */
  readonly updates: SeenUpdate[] = [];
  /** Violations seen while running (those that need the store's state at an instant). */
  readonly violations: Violation[] = [];
  /** Worker identities by simulated process name. */
  readonly identities = new Map<string, string>();
  /** Counters for the summary. */
  readonly counts = { crashes: 0, freezes: 0, lostNotifications: 0, clientOps: 0, restarts: 0, unchecked: 0 };

  created(workflowId: string, runId: string): void {
    if (this.workflowOf.has(runId)) return;
    this.workflowOf.set(runId, workflowId);
    this.chains.set(workflowId, [...(this.chains.get(workflowId) ?? []), runId]);
  }

  newest(workflowId: string): string | undefined {
    return this.chains.get(workflowId)?.at(-1);
  }

  /** True when `runId` is a run of `workflowId` the store created before `than`. */
  older(workflowId: string, runId: string, than: string | undefined): boolean {
    const chain = this.chains.get(workflowId) ?? [];
    const at = chain.indexOf(runId);
    return than !== undefined && at >= 0 && at < chain.indexOf(than);
  }

  /** `runId` and the runs that continued it as new, in order. */
  continuation(runId: string): string[] {
    const runs = [runId];
    for (let next = this.successor.get(runId); next; next = this.successor.get(next)) runs.push(next);
    return runs;
  }

  /** The simulated process a worker identity belongs to (the identity itself if unknown). */
  nameOf(identity: string | null): string {
    for (const [name, id] of this.identities) if (id === identity) return name;
    return identity ?? 'nobody';
  }

  violation(invariant: number, kind: string, message: string): void {
    this.violations.push({ invariant, kind, message });
  }
}
