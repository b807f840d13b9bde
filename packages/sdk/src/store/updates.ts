import type { Json } from '../codec.ts';
import type { ErrorInfo } from '../errors.ts';
import { OPEN_STATUSES } from './runs.ts';

// The store port's side of updates: sending one (deduplicated by its id), and reading where it stands.

/** An update as `client.update` sends it; it reaches the run's inbox as an item of kind `update`. */
export interface NewUpdate {
  updateId: string;
  name: string;
  arg: Json | undefined;
}

/**
 * `sent`: in the latest run's inbox; `known`: an update of this id was sent before (nothing is sent,
 * its outcome is the answer); `not_found`: no run has this workflow id; `closed`: the latest run is closed.
 */
export type SendUpdateOutcome = 'sent' | 'known' | 'not_found' | 'closed';

/**
 * Where an update stands: its handler's outcome (`completed`, `failed`), rejected by its validator,
 * `closed` (the run it was sent or accepted in closed without its outcome, `runStatus` saying how), or
 * still `pending`.
 */
export type UpdateState =
  | { status: 'pending' }
  | { status: 'completed'; result: Json | undefined }
  | { status: 'failed'; error: ErrorInfo }
  | { status: 'rejected'; error: ErrorInfo }
  | { status: 'closed'; runStatus: string };

/** What a store reads of an update, for `updateState`. */
export interface UpdateFacts {
  /** The validator's rejection, if it rejected the update. */
  rejection: ErrorInfo | null;
  /** The `update_completed` event's data, if recorded. */
  completed: { result?: Json; error?: ErrorInfo } | null;
  /**
   * The status of the newest run that recorded `update_accepted`, if one did: a reset to a point after
   * the acceptance copies it into the new run, which runs the handler.
   */
  acceptedIn: string | null;
  /** The status of the workflow id's latest run. */
  latestStatus: string;
}

/** Where an update stands, from what a store read of it (both stores decide alike). */
export function updateState(facts: UpdateFacts): UpdateState {
  const { rejection, completed, acceptedIn, latestStatus } = facts;
  if (rejection) return { status: 'rejected', error: rejection };
  if (completed?.error) return { status: 'failed', error: completed.error };
  if (completed) return { status: 'completed', result: completed.result };
  const runStatus = acceptedIn ?? latestStatus;
  return (OPEN_STATUSES as readonly string[]).includes(runStatus)
    ? { status: 'pending' }
    : { status: 'closed', runStatus };
}
