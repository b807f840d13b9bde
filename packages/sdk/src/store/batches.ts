import type { Json } from '../codec.ts';
import type { ListFilter } from './store.ts';

/** What a batch does to each run it matches: the same operation as `client.cancel`, `terminate` or `signal`. */
export type BatchOperation =
  | { kind: 'cancel'; reason?: string }
  | { kind: 'terminate'; reason?: string }
  | { kind: 'signal'; name: string; payload: Json };

/** `running` until its last page is done (`completed`) or it is stopped (`cancelled`). */
export type BatchStatus = 'running' | 'completed' | 'cancelled';

/** The runs a batch acts on: `list`'s filter, without the paging. */
export type BatchFilter = Omit<ListFilter, 'limit' | 'cursor'>;

/** A batch as it is created. */
export interface NewBatch {
  id: string;
  operation: BatchOperation;
  filter: BatchFilter;
  /** Runs per page, 1–1000. */
  pageSize: number;
  /** How many runs matched the filter when the batch was created. */
  matched: number;
}

/** A batch and its progress. */
export interface BatchDescription extends NewBatch {
  status: BatchStatus;
  /** Runs the operation reached, once each: counted as it reaches them. */
  done: number;
  /** Runs listed that had closed before the operation reached them. */
  skipped: number;
  /** The list cursor after the last page done; absent before the first. */
  cursor?: string;
  /** While running: the runner that claimed it last and when its lease ends (a runner that died lets it lapse). */
  runner?: { owner: string; leaseExpiresAt: Date };
  createdAt: Date;
  updatedAt: Date;
  closedAt?: Date;
}

/** A batch claimed by one runner: every cursor move presents the fencing token. */
export interface BatchLease {
  batchId: string;
  fencingToken: number;
}

/**
 * `claimed`: the lease is the caller's; `held`: another runner's lease lasts `heldForMs` more (store
 * clock); `closed`: the batch is no longer running. Undefined when no batch has this id.
 */
export type BatchClaim =
  | { claimed: BatchLease; batch: BatchDescription }
  | { held: true; heldForMs: number }
  | { closed: BatchDescription };

/**
 * What `applyBatch` did to one workflow: `applied` now; `already` by this batch before (a page
 * done again after a crash); `closed`: its latest run had closed; `missing`: no such workflow;
 * `stopped`: the batch is no longer running, nothing was done.
 */
export type BatchRunOutcome = 'applied' | 'already' | 'closed' | 'missing' | 'stopped';

/** One page done: the cursor after it and how many of its runs were skipped; `last` completes the batch. */
export interface BatchStep {
  cursor: string | undefined;
  skipped: number;
  last: boolean;
}
