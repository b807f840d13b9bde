import { randomUUID } from 'node:crypto';
import { assertJson } from '../codec.ts';
import { type Duration, toMs } from '../duration.ts';
import { ErrorCodes, ReelError } from '../errors.ts';
import type { BatchDescription, BatchFilter, BatchOperation } from '../store/batches.ts';
import type { Store } from '../store/store.ts';
import { batchNotFound, runBatch } from './batch-runner.ts';
import { checkFilter, checkName } from './validate.ts';

/** Runs per page when not given. */
export const DEFAULT_PAGE_SIZE = 100;
/** How long a runner holds a batch between two pages when not given. */
const DEFAULT_LEASE_MS = 30_000;

export interface BatchOptions {
  /**
   * The batch's id; generated when absent. Giving the id of an existing batch with the same operation
   * and filter goes on with that batch (after a crash, say) instead of starting another.
   */
  id?: string;
  /** Runs per page, 1–1000. Default 100. */
  pageSize?: number;
  /**
   * How long this process holds the batch without finishing a page before another may take it over.
   * Default 30s; a page must take less.
   */
  lease?: Duration;
}

/** What `start` needs: the operation, the runs it acts on, and the options. */
export interface NewBatchOptions extends BatchOptions {
  operation: BatchOperation;
  filter: BatchFilter;
}

/**
 * Bulk actions: cancel, terminate or signal every run a `list` filter matches, a page at a time,
 * each run once, resumable after a crash. Reached as `client.batches`.
 * @example
 * const batch = await client.batches.cancel({ type: 'orderWorkflow', status: 'running' }, { reason: 'recall' });
 * console.log(batch.done, 'cancelled');
 */
export class BatchClient {
  constructor(
    private readonly store: Store,
    private readonly clock: () => Date,
  ) {}

  /** Asks every run the filter matches to cancel, as `client.cancel`; resolves when the batch is done. */
  async cancel(
    filter: BatchFilter,
    options: BatchOptions & { reason?: string } = {},
  ): Promise<BatchDescription> {
    return this.execute({ kind: 'cancel', ...reason(options.reason, 'cancellation') }, filter, options);
  }

  /** Terminates every run the filter matches, as `client.terminate`; resolves when the batch is done. */
  async terminate(
    filter: BatchFilter,
    options: BatchOptions & { reason?: string } = {},
  ): Promise<BatchDescription> {
    return this.execute({ kind: 'terminate', ...reason(options.reason, 'termination') }, filter, options);
  }

  /** Sends a signal to every run the filter matches, as `client.signal`; resolves when the batch is done. */
  async signal(
    filter: BatchFilter,
    name: string,
    payload?: unknown,
    options: BatchOptions = {},
  ): Promise<BatchDescription> {
    checkName(name, 'signal name');
    const json = assertJson(payload, `The payload of signal '${name}'`) ?? null;
    return this.execute({ kind: 'signal', name, payload: json }, filter, options);
  }

  /** The dry run of a batch: how many runs the filter matches now. Changes nothing. */
  async count(filter: BatchFilter = {}): Promise<number> {
    checkFilter(filter);
    return this.store.countRuns(filter);
  }

  /**
   * Creates a batch without running it (`resume` runs it), or returns the existing one with this id
   * if it has the same operation and filter; `REEL_BATCH_EXISTS` if another batch has the id.
   */
  async start(options: NewBatchOptions): Promise<BatchDescription> {
    if (!options || typeof options !== 'object')
      throw new ReelError(ErrorCodes.INVALID_ARGUMENT, 'batches.start expects an options object.');
    const { operation, filter } = options;
    checkOperation(operation);
    checkFilter(filter);
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!(Number.isInteger(pageSize) && pageSize >= 1 && pageSize <= 1000)) {
      throw new ReelError(
        ErrorCodes.INVALID_ARGUMENT,
        `pageSize must be an integer from 1 to 1000, not ${pageSize}.`,
      );
    }
    const id = options.id === undefined ? randomUUID() : checkName(options.id, 'batch id');
    const existing = await this.store.getBatch(id);
    if (!existing) {
      const matched = await this.store.countRuns(filter);
      const batch = { id, operation, filter, pageSize, matched };
      await this.store.createBatch(batch, this.clock(), leaseMsOf(options));
    }
    const batch = existing ?? (await this.describe(id));
    if (
      canonical(batch.operation) !== canonical(operation) ||
      canonical(batch.filter) !== canonical(filter)
    ) {
      throw new ReelError(
        ErrorCodes.BATCH_EXISTS,
        `Batch ${id} exists with another operation or filter (${canonical(batch.operation)} on ${canonical(batch.filter)}). Use another id.`,
      );
    }
    return batch;
  }

  /**
   * Runs a batch from its last page done to its end, and resolves with it: the way to go on with a
   * batch whose runner died. Waits while another process runs it.
   */
  async resume(id: string, options: Pick<BatchOptions, 'lease'> = {}): Promise<BatchDescription> {
    return runBatch(this.store, checkName(id, 'batch id'), this.clock, leaseMsOf(options));
  }

  /** The batch and its progress; `REEL_BATCH_NOT_FOUND` if no batch has this id. */
  async describe(id: string): Promise<BatchDescription> {
    const batch = await this.store.getBatch(checkName(id, 'batch id'));
    if (!batch) throw batchNotFound(id);
    return batch;
  }

  /** Stops a running batch: no page starts after it. False when it had already ended. */
  async stop(id: string): Promise<boolean> {
    const stopped = await this.store.stopBatch(checkName(id, 'batch id'), this.clock());
    if (stopped === undefined) throw batchNotFound(id);
    return stopped;
  }

  private async execute(
    operation: BatchOperation,
    filter: BatchFilter,
    options: BatchOptions,
  ): Promise<BatchDescription> {
    const batch = await this.start({ ...options, operation, filter });
    return this.resume(batch.id, options);
  }
}

function leaseMsOf(options: Pick<BatchOptions, 'lease'>): number {
  const leaseMs = options.lease === undefined ? DEFAULT_LEASE_MS : toMs(options.lease, 'lease');
  if (leaseMs < 1) throw new ReelError(ErrorCodes.INVALID_ARGUMENT, 'The batch lease must be at least 1 ms.');
  return leaseMs;
}

function reason(value: unknown, what: string): { reason?: string } {
  if (value === undefined) return {};
  if (typeof value !== 'string')
    throw new ReelError(ErrorCodes.INVALID_ARGUMENT, `The ${what} reason must be a string.`);
  return { reason: value };
}

function checkOperation(op: BatchOperation): void {
  const kind = (op as { kind?: unknown } | undefined)?.kind;
  if (kind === 'signal') {
    checkName((op as { name?: unknown }).name, 'signal name');
    assertJson((op as { payload?: unknown }).payload, 'The signal payload');
  } else if (kind === 'cancel' || kind === 'terminate') {
    reason((op as { reason?: unknown }).reason, kind === 'cancel' ? 'cancellation' : 'termination');
  } else {
    throw new ReelError(
      ErrorCodes.INVALID_ARGUMENT,
      `A batch's operation is cancel, terminate or signal, not ${JSON.stringify(kind)}.`,
    );
  }
}

/** JSON with sorted keys and no undefined members: equal for values a store reads back equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
