import type {
  BatchClaim,
  BatchDescription,
  BatchLease,
  BatchOperation,
  BatchRunOutcome,
  BatchStep,
  NewBatch,
} from '@reel/sdk';
import { after, msUntil } from './memory-time.ts';

/** A batch as the memory store holds it: a row of `reel.batches` and its rows of `reel.batch_runs`. */
interface Batch extends Omit<BatchDescription, 'done'> {
  fencingToken: number;
  /** Kept from `orphaned` until then, unless a runner claims it (store clock). */
  reservedUntil?: Date;
  reached: Set<string>;
}

/** What the batches need from the rest of the store. */
export interface BatchDeps {
  /** As `enqueue`: true delivered, false closed, undefined no such workflow. */
  enqueue(workflowId: string, op: BatchOperation, now: Date): Promise<boolean | undefined>;
  terminate(workflowId: string, reason: string | undefined, now: Date): Promise<boolean | undefined>;
  storeNow(now: Date): Date;
}

/** The memory store's batches, as `PostgresBatches` keeps them. */
export class MemoryBatches {
  private readonly batches = new Map<string, Batch>();

  constructor(private readonly deps: BatchDeps) {}

  create(batch: NewBatch, now: Date, reserveMs: number): boolean {
    if (this.batches.has(batch.id)) return false;
    // structuredClone rather than a JSON copy: the filter's time range stays dates, as the Postgres store reads it back.
    const { id, operation, filter, pageSize, matched } = structuredClone(batch);
    this.batches.set(batch.id, {
      id,
      operation,
      filter,
      pageSize,
      matched,
      status: 'running',
      skipped: 0,
      createdAt: now,
      updatedAt: now,
      fencingToken: 0,
      reservedUntil: after(this.deps.storeNow(now), reserveMs),
      reached: new Set(),
    });
    return true;
  }

  /** Deletes up to `limit` batches closed before `closedBefore`, oldest first. */
  purgeClosed(closedBefore: Date, limit: number): void {
    const done = [...this.batches.values()]
      .filter((b) => b.closedAt && b.closedAt < closedBefore)
      .sort((a, b) => (a.closedAt as Date).getTime() - (b.closedAt as Date).getTime());
    for (const b of done.slice(0, limit)) this.batches.delete(b.id);
  }

  get(id: string): BatchDescription | undefined {
    const b = this.batches.get(id);
    return b && describe(b);
  }

  claim(id: string, owner: string, now: Date, leaseMs: number): BatchClaim | undefined {
    const b = this.batches.get(id);
    if (!b) return undefined;
    if (b.status !== 'running') return { closed: describe(b) };
    const storeNow = this.deps.storeNow(now);
    if (b.runner && b.runner.leaseExpiresAt > storeNow)
      return { held: true, heldForMs: msUntil(b.runner.leaseExpiresAt, storeNow) ?? 0 };
    const before = describe(b);
    b.fencingToken++;
    b.runner = { owner, leaseExpiresAt: after(storeNow, leaseMs) };
    delete b.reservedUntil;
    b.updatedAt = now;
    return { claimed: { batchId: id, fencingToken: b.fencingToken }, batch: { ...before, runner: b.runner } };
  }

  async apply(batchId: string, workflowId: string, op: BatchOperation, now: Date): Promise<BatchRunOutcome> {
    const b = this.batches.get(batchId);
    if (b?.status !== 'running') return 'stopped';
    if (b.reached.has(workflowId)) return 'already';
    // Marked first, so that a concurrent call for the same workflow finds it, as it would wait on the row.
    b.reached.add(workflowId);
    const delivered =
      op.kind === 'terminate'
        ? await this.deps.terminate(workflowId, op.reason, now)
        : await this.deps.enqueue(workflowId, op, now);
    if (!delivered) b.reached.delete(workflowId);
    return delivered ? 'applied' : delivered === undefined ? 'missing' : 'closed';
  }

  advance(lease: BatchLease, step: BatchStep, now: Date, leaseMs: number): boolean {
    const b = this.batches.get(lease.batchId);
    if (!b || b.fencingToken !== lease.fencingToken || b.status !== 'running' || !b.runner) return false;
    if (step.cursor === undefined) delete b.cursor;
    else b.cursor = step.cursor;
    b.skipped += step.skipped;
    b.updatedAt = now;
    if (step.last) {
      b.status = 'completed';
      b.closedAt = now;
      delete b.runner;
    } else {
      b.runner = { owner: b.runner.owner, leaseExpiresAt: after(this.deps.storeNow(now), leaseMs) };
    }
    return true;
  }

  orphaned(now: Date, limit: number): string[] {
    const storeNow = this.deps.storeNow(now);
    return [...this.batches.values()]
      .filter(
        (b) =>
          b.status === 'running' &&
          !(b.runner && b.runner.leaseExpiresAt > storeNow) &&
          !(b.reservedUntil && b.reservedUntil > storeNow),
      )
      .sort(
        (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      )
      .slice(0, limit)
      .map((b) => b.id);
  }

  stop(id: string, now: Date): boolean | undefined {
    const b = this.batches.get(id);
    if (!b) return undefined;
    if (b.status !== 'running') return false;
    b.status = 'cancelled';
    b.closedAt = now;
    b.updatedAt = now;
    delete b.runner;
    return true;
  }
}

function describe(b: Batch): BatchDescription {
  const { fencingToken: _token, reservedUntil: _reserved, reached, ...d } = b;
  return { ...structuredClone(d), done: reached.size };
}
