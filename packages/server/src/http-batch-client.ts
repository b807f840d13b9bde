import {
  assertJson,
  type BatchDescription,
  type BatchFilter,
  type BatchOperation,
  type BatchOptions,
  checkName,
  type NewBatchOptions,
} from '@reel/sdk';
import type { HttpRequest } from './http-schedule-client.ts';

/** How often `cancel`, `terminate`, `signal` and `resume` read the batch's progress while it runs. */
const POLL_MS = 500;

/**
 * `client.batches` over Reel's HTTP server: the server runs each batch, and these methods follow it.
 * Reached as `HttpClient.batches`.
 * @example
 * const batch = await http.batches.cancel({ type: 'orderWorkflow', status: 'running' }, { reason: 'recall' });
 */
export class HttpBatchClient {
  constructor(private readonly request: HttpRequest) {}

  /** Asks every run the filter matches to cancel; resolves when the batch is done. */
  async cancel(
    filter: BatchFilter,
    options: BatchOptions & { reason?: string } = {},
  ): Promise<BatchDescription> {
    return this.execute({ kind: 'cancel', reason: options.reason } as BatchOperation, filter, options);
  }

  /** Terminates every run the filter matches (admin scope); resolves when the batch is done. */
  async terminate(
    filter: BatchFilter,
    options: BatchOptions & { reason?: string } = {},
  ): Promise<BatchDescription> {
    return this.execute({ kind: 'terminate', reason: options.reason } as BatchOperation, filter, options);
  }

  /** Sends a signal to every run the filter matches; resolves when the batch is done. */
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

  /** The dry run: how many runs the filter matches now. */
  async count(filter: BatchFilter = {}): Promise<number> {
    const { body } = await this.request<{ matched: number }>('POST', '/v1/batches/cancel', {
      filter: filterBody(filter),
      dryRun: true,
    });
    return body.matched;
  }

  /** Creates the batch; the server runs it at once. Resolves with it as created. */
  async start(options: NewBatchOptions): Promise<BatchDescription> {
    const { operation, filter } = options;
    const { kind, ...fields } = operation;
    const body = { ...fields, filter: filterBody(filter), id: options.id, pageSize: options.pageSize };
    return revive((await this.request<BatchDescription>('POST', `/v1/batches/${kind}`, body)).body);
  }

  /**
   * Has the server run the batch from its last page done, and resolves when it has ended; with
   * `wait: false`, at once, with the batch as it is. `lease` is the server's concern and is not sent.
   */
  async resume(
    id: string,
    options: Pick<BatchOptions, 'lease'> & { wait?: boolean } = {},
  ): Promise<BatchDescription> {
    const { body } = await this.request<BatchDescription>('POST', `${path(id)}/resume`);
    return options.wait === false ? revive(body) : this.untilEnded(id);
  }

  async describe(id: string): Promise<BatchDescription> {
    return revive((await this.request<BatchDescription>('GET', path(id))).body);
  }

  /** Stops a running batch: no page starts after it. False when it had already ended. */
  async stop(id: string): Promise<boolean> {
    const before = await this.describe(id);
    const { body } = await this.request<BatchDescription>('POST', `${path(id)}/stop`);
    return before.status === 'running' && body.status === 'cancelled';
  }

  private async execute(
    operation: BatchOperation,
    filter: BatchFilter,
    options: BatchOptions,
  ): Promise<BatchDescription> {
    const batch = await this.start({ ...options, operation, filter });
    return this.untilEnded(batch.id);
  }

  private async untilEnded(id: string): Promise<BatchDescription> {
    for (;;) {
      const batch = await this.describe(id);
      if (batch.status !== 'running') return batch;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}

const path = (id: string) => `/v1/batches/${encodeURIComponent(checkName(id, 'batch id'))}`;

function filterBody(filter: BatchFilter): Record<string, unknown> {
  const iso = (d: Date | undefined) => (d === undefined ? undefined : new Date(d).toISOString());
  return { ...filter, createdAfter: iso(filter.createdAfter), createdBefore: iso(filter.createdBefore) };
}

function revive(b: BatchDescription): BatchDescription {
  const d = (v: unknown) => new Date(v as string);
  const filter = { ...b.filter };
  if (filter.createdAfter !== undefined) filter.createdAfter = d(filter.createdAfter);
  if (filter.createdBefore !== undefined) filter.createdBefore = d(filter.createdBefore);
  const revived: BatchDescription = { ...b, filter, createdAt: d(b.createdAt), updatedAt: d(b.updatedAt) };
  if (b.closedAt !== undefined) revived.closedAt = d(b.closedAt);
  if (b.runner) revived.runner = { ...b.runner, leaseExpiresAt: d(b.runner.leaseExpiresAt) };
  return revived;
}
