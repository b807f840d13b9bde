import type { Json } from '../codec.ts';
import type { ErrorInfo } from '../errors.ts';
import type { RecordedEvent, RunTrace } from '../workflow/events.ts';

// The store port's writes to a claimed run: its lease, its inbox, commits, continue-as-new, reset.

/** A run a worker has just claimed, with its lease's fencing token. */
export interface ClaimedRun {
  workflowId: string;
  runId: string;
  type: string;
  fencingToken: number;
  parkAttempts: number;
  /** When the run became claimable (for schedule-to-start latency). */
  readySince: Date;
  /**
   * The run's history and inbox, read by the claim itself when the history holds at most
   * `CLAIM_LOADS_EVENTS` events and nothing was written to the run while the claim ran; else the
   * worker reads them (`loadHistory`, `readInbox`).
   */
  loaded?: LoadedRun;
}

/** A run's history and its inbox with the inbox's version, as one snapshot holds them. */
export interface LoadedRun {
  history: RecordedEvent[];
  inbox: { items: InboxItem[]; version: number };
}

/** The longest history, in events, that a claim brings with the run it claims. */
export const CLAIM_LOADS_EVENTS = 100;

export interface InboxItem {
  id: string;
  /**
   * `retry`: an operator's retry now, recorded as `retry_requested`; `update`: `client.update`, recorded
   * as `update_accepted` once its validator accepts it.
   */
  kind: 'signal' | 'cancel' | 'child' | 'activity_result' | 'retry' | 'update';
  name: string | null;
  payload: Json;
}

/** A lease: the run and the fencing token every write must present. */
export interface Lease {
  runId: string;
  fencingToken: number;
}

export interface CommitRequest extends Lease {
  now: Date;
  /** New history events, in order, continuing the durable history. */
  events: RecordedEvent[];
  /** Inbox items these events consumed; deleted in the same transaction. */
  consumedInbox: string[];
  /**
   * Set when the last event closes the run. The close is conditional on `inboxVersion`, the version of
   * the inbox the events were computed from: if input arrived since, nothing is written (`unread`), and
   * the run, which cannot close over input it never read, reads its inbox again.
   */
  close?: {
    status: 'completed' | 'failed' | 'cancelled';
    result?: Json;
    error?: ErrorInfo;
    inboxVersion: number;
  };
  /**
   * Give the lease up, making the run claimable again at `readyAt` (null: only input wakes it) —
   * unless the inbox moved past `inboxVersion`, in which case the lease is kept.
   */
  release?: { readyAt: Date | null; inboxVersion: number };
  /** Otherwise, extend the lease to this many ms from now, by the store's clock. */
  leaseMs?: number;
}

/** What `continueAsNew` writes: the run's last events, and its successor's id and input. */
export interface ContinueRequest extends Lease {
  now: Date;
  /** The run's last events, the last one `workflow_continued_as_new`. */
  events: RecordedEvent[];
  /** Inbox items these events consumed; the successor inherits the signals and cancels among the rest. */
  consumedInbox: string[];
  /**
   * The inbox version the events were computed from: if input arrived since, nothing is written
   * (`unread`), so that the hand-off to the successor covers it.
   */
  inboxVersion: number;
  /**
   * Signals the run received and its code never took (no handler, no `ctx.signal` waiting): handed to
   * the successor first, in order, before the unread ones of the inbox.
   */
  carriedSignals?: { name: string; payload: Json }[];
  newRunId: string;
  input: Json | undefined;
  /** Recorded in the successor's `workflow_started`: the trace its spans join. */
  trace?: RunTrace;
}

/**
 * `ok`; `kept`: asked to release, but new input arrived so the lease was kept (the events are written);
 * `unread`: asked to close, but new input arrived, so nothing was written; `lost`: fenced out.
 */
export type CommitOutcome = 'ok' | 'kept' | 'unread' | 'lost';

/**
 * What `reset` writes: run `newRunId` of the same workflow id, whose history is `runId`'s events up to
 * `toEvent` followed by a `reset_point`. The caller checked the point against the history it read, of
 * `historyLength` events: the store writes nothing (`changed`) if the run has moved on since.
 */
export interface ResetRequest {
  workflowId: string;
  runId: string;
  historyLength: number;
  toEvent: number;
  newRunId: string;
  /** `ctx.random()`'s seed, kept across the chain (the `reset_point`'s `seed`). */
  seed: string;
  reason?: string;
  now: Date;
}

/**
 * `ok`; `not_found`: no such run of this workflow id; `changed`: its history grew since it was read;
 * `open_elsewhere`: another run of the workflow id is open.
 */
export type ResetOutcome = 'ok' | 'not_found' | 'changed' | 'open_elsewhere';
