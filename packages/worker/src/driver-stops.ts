import { type ClaimedRun, errorFields, isConnectionError, type Logger, type ReelError } from '@reel/sdk';
import type { RunWrites } from './driver-writes.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { RunSpan } from './run-span.ts';

/** What the ways a driver stops short of closing its run need from it. */
export interface StopHost {
  run: ClaimedRun;
  log: Logger;
  metrics: WorkerMetrics;
  writes: RunWrites;
  span: RunSpan | undefined;
  wakeAt(at: Date): void;
  /** Stops the driver at once, writing nothing more. */
  abandon(reason: string): void;
}

/** The run cannot go on (e.g. non-determinism): parked, and retried after a backoff. */
export async function park(h: StopHost, err: ReelError): Promise<void> {
  const parkAttempts = h.run.parkAttempts + 1;
  const retryAt = await h.writes.park(err, h.run.parkAttempts);
  h.log.error(
    { code: err.code, parkAttempts, retryAt: retryAt.toISOString() },
    `run parked (attempt ${parkAttempts}), next try at ${retryAt.toISOString()}: ${err.message}`,
  );
  h.metrics.parked?.(h.run.type, err.code);
  h.span?.parked(err);
  h.wakeAt(retryAt);
  h.abandon('parked');
}

/** Another worker has the run, or it was terminated or reset (a fenced write or a renewal found its token moved on). */
export function leaseLost(h: StopHost): void {
  h.log.warn(
    { fencingToken: h.run.fencingToken },
    'lost the lease of a run: another worker has it, or it was terminated or reset',
  );
  h.metrics.leaseLost?.(h.run.type);
  h.abandon('lease lost');
}

/**
 * A step failed. Unless Postgres could not be reached, the run resumes once its lease expires. If it
 * could not, what reached Postgres is unknown: the run replays from what is durable, here or
 * elsewhere, as soon as it is handed back, rather than when its lease runs out.
 */
export function fail(h: StopHost, err: unknown): void {
  const { message } = errorFields(err);
  if (!isConnectionError(err)) {
    h.log.error(
      { err },
      `run stopped on an unexpected error; it resumes after its lease expires: ${message}`,
    );
    h.abandon('unexpected error');
    return;
  }
  h.log.warn(
    { err: errorFields(err) },
    `run stopped: Postgres could not be reached; it resumes once Postgres answers: ${message}`,
  );
  h.abandon('database unreachable');
  void h.writes.handBack(true);
}
