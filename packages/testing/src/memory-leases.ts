import {
  CLAIM_LOADS_EVENTS,
  type ClaimedRun,
  claimOrder,
  type ErrorInfo,
  type Lease,
  OPEN_STATUSES,
} from '@reel/sdk';
import { copy, type MemoryTables, type Run } from './memory-tables.ts';
import { after, msUntil } from './memory-time.ts';

/**
 * `MemoryStore`'s leases on runs: claiming runnable runs, renewing and parking a held one, and when
 * a run is next claimable, timed by the store's clock as the Postgres store's are.
 */
export class MemoryLeases {
  constructor(private readonly tables: MemoryTables) {}

  async claim(
    owner: string,
    types: string[],
    limit: number,
    now: Date,
    leaseMs: number,
  ): Promise<ClaimedRun[]> {
    const at = this.tables.storeNow(now);
    const ready = [...this.tables.runs.values()]
      .filter((r) => r.readyAt !== null && r.readyAt <= at && types.includes(r.type))
      .sort((a, b) => order(a) - order(b))
      .slice(0, limit);
    return ready.map((r) => {
      const readySince = r.readyAt as Date;
      r.leaseOwner = owner;
      r.fencingToken++;
      r.readyAt = after(at, leaseMs);
      return {
        workflowId: r.workflowId,
        runId: r.runId,
        type: r.type,
        fencingToken: r.fencingToken,
        parkAttempts: r.parkAttempts,
        readySince,
        loaded:
          r.history.length > CLAIM_LOADS_EVENTS
            ? undefined
            : { history: copy(r.history), inbox: { items: copy(r.inbox), version: r.inboxVersion } },
      };
    });
  }

  async nextReadyIn(types: string[], now: Date): Promise<number | undefined> {
    return msUntil(
      earliest([...this.tables.runs.values()].filter((r) => types.includes(r.type))),
      this.tables.storeNow(now),
    );
  }

  /** The earliest time a run no worker holds becomes claimable. */
  nextUnheldAt(): Date | undefined {
    return earliest([...this.tables.runs.values()].filter((r) => r.leaseOwner === null));
  }

  /** True when some worker holds a run, or a run is claimable at `now`. */
  isBusy(now: Date): boolean {
    for (const r of this.tables.runs.values()) {
      if (r.leaseOwner !== null && OPEN_STATUSES.includes(r.status)) return true;
      if (r.readyAt !== null && r.readyAt <= now) return true;
    }
    return false;
  }

  async park(lease: Lease, error: ErrorInfo, now: Date, retryAt: Date): Promise<boolean> {
    const run = this.tables.runs.get(lease.runId);
    if (!run || run.fencingToken !== lease.fencingToken || run.leaseOwner === null) return false;
    Object.assign(run, {
      status: 'parked',
      parkedError: copy(error),
      readyAt: retryAt,
      leaseOwner: null,
      updatedAt: now,
    });
    run.parkAttempts++;
    return true;
  }

  async renew(leases: Lease[], now: Date, leaseMs: number): Promise<string[]> {
    const lost: string[] = [];
    const until = after(this.tables.storeNow(now), leaseMs);
    for (const l of leases) {
      const run = this.tables.runs.get(l.runId);
      if (run && run.fencingToken === l.fencingToken && run.leaseOwner !== null) run.readyAt = until;
      else lost.push(l.runId);
    }
    return lost;
  }
}

function earliest(runs: Run[]): Date | undefined {
  let min: Date | undefined;
  for (const r of runs)
    if (r.readyAt !== null && OPEN_STATUSES.includes(r.status) && (!min || r.readyAt < min)) min = r.readyAt;
  return min;
}

/** Where a ready run comes in claims, as `reel.claim_order` (0015) says. */
const order = (r: Run) => claimOrder(r.readyAt as Date, r.leaseOwner !== null, r.priority ?? 0);
