import {
  assertJson,
  checkId,
  checkName,
  checkUpdate,
  closedResult,
  type Duration,
  ErrorCodes,
  type ErrorInfo,
  type ListFilter,
  type ListPage,
  type PendingWork,
  ReelError,
  type ResetOptions,
  type SignalSendOptions,
  type StartOptions,
  toMs,
  type UpdateOptions,
  updateTimeout,
  type WorkflowDescription,
  type WorkflowFn,
  type WorkflowHandle,
  type WorkflowHistory,
  type WorkflowInput,
  type WorkflowResult,
  workflowTypeOf,
} from '@reel/sdk';
import { reelError, ServerErrorCodes } from './errors.ts';
import { HttpBatchClient } from './http-batch-client.ts';
import { HttpScheduleClient } from './http-schedule-client.ts';
import { MAX_WAIT_MS } from './routes/result.ts';

export interface HttpClientOptions {
  /** The server's URL, e.g. `http://127.0.0.1:8080` (plus the prefix when the plugin is mounted under one). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Gives up on one HTTP request after this long. Default 90 s (a long poll holds for up to 60 s). */
  requestTimeoutMs?: number;
}

type Query = Record<string, string | number | undefined>;

/**
 * The `Client` API over Reel's HTTP server, on global `fetch`: same methods, same errors
 * (`ReelError` with the server's code and message), so application code can switch by configuration.
 * @example
 * const client = new HttpClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: process.env.REEL_API_KEY });
 * const handle = await client.start(orderWorkflow, order, { id: 'order-1001' });
 * await client.signal(handle.id, 'approve', { approved: true });
 * console.log(await handle.result({ timeout: '5 minutes' }));
 */
export class HttpClient {
  /** Cron schedules that start workflows, as `client.schedules`: same methods, same errors. */
  readonly schedules: HttpScheduleClient;
  /** Bulk actions, run by the server, as `client.batches`: same methods, same errors. */
  readonly batches: HttpBatchClient;
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly requestTimeoutMs: number;

  constructor(options: HttpClientOptions) {
    try {
      this.baseUrl = new URL(options.baseUrl).toString().replace(/\/+$/, '');
    } catch {
      throw new ReelError(
        ErrorCodes.INVALID_ARGUMENT,
        `HttpClient needs a baseUrl such as http://127.0.0.1:8080, not ${JSON.stringify(options.baseUrl)}.`,
      );
    }
    this.headers = {
      accept: 'application/json',
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    };
    this.requestTimeoutMs = options.requestTimeoutMs ?? MAX_WAIT_MS + 30_000;
    this.batches = new HttpBatchClient((method, route, body) => this.request(method, route, body));
    this.schedules = new HttpScheduleClient(
      (method, route, body) => this.request(method, route, body),
      (workflowId, runId) => this.getHandle(workflowId, runId),
    );
  }

  /** Starts a workflow by function (its name is the type) or by type name. Idempotent by `id`. */
  async start<W extends WorkflowFn>(
    workflow: W | string,
    input: WorkflowInput<W>,
    options: StartOptions = {},
  ): Promise<WorkflowHandle<WorkflowResult<W>>> {
    const type = workflowTypeOf(workflow);
    refuseTransaction(options);
    const body = { type, input: assertJson(input, 'The workflow input'), ...options };
    const { body: started } = await this.request<{ workflowId: string; runId: string; created: boolean }>(
      'POST',
      '/v1/workflows',
      body,
    );
    return this.handle(started.workflowId, started.runId, started.created);
  }

  getHandle<R = unknown>(workflowId: string, runId?: string): WorkflowHandle<R> {
    return this.handle(checkId(workflowId), runId, false);
  }

  async signal(
    workflowId: string,
    name: string,
    payload?: unknown,
    options: SignalSendOptions = {},
  ): Promise<void> {
    checkName(name, 'signal name');
    refuseTransaction(options);
    const json = assertJson(payload, `The payload of signal '${name}'`);
    await this.request('POST', `${path(workflowId)}/signals/${encodeURIComponent(name)}`, { payload: json });
  }

  async cancel(workflowId: string, reason?: string): Promise<void> {
    await this.request('POST', `${path(workflowId)}/cancel`, { reason });
  }

  async terminate(workflowId: string, reason?: string): Promise<void> {
    await this.request('POST', `${path(workflowId)}/terminate`, { reason });
  }

  /** Operator action: the latest run skips the backoff it waits out (see `Client.retryNow`). Write scope. */
  async retryNow(workflowId: string): Promise<void> {
    await this.request('POST', `${path(workflowId)}/retry`, {});
  }

  /** Operator action: a new run from event `toEvent` of a run's history (see `Client.reset`). Admin scope. */
  async reset(workflowId: string, options: ResetOptions): Promise<WorkflowHandle<unknown>> {
    const { body } = await this.request<{ workflowId: string; runId: string }>(
      'POST',
      `${path(workflowId)}/reset`,
      options,
    );
    return this.handle(body.workflowId, body.runId, true);
  }

  /** Asks a running workflow's query handler `name` for an answer. */
  async query<R = unknown>(
    workflowId: string,
    name: string,
    args: unknown[] = [],
    options: { timeout?: Duration } = {},
  ): Promise<R> {
    checkName(name, 'query name');
    const body = { args: assertJson(args, `The arguments of query '${name}'`), timeout: options.timeout };
    const { body: answer } = await this.request<{ result: R }>(
      'POST',
      `${path(workflowId)}/queries/${encodeURIComponent(name)}`,
      body,
    );
    return answer.result;
  }

  /**
   * Sends an update and waits for its handler's result, long-polling in steps of at most 60 s with the
   * same update id (it runs once); same errors as `Client.update`.
   */
  async update<R = unknown>(
    workflowId: string,
    name: string,
    arg?: unknown,
    options: UpdateOptions = {},
  ): Promise<R> {
    const { updateId, json, deadline } = checkUpdate(workflowId, name, arg, options);
    for (;;) {
      const wait = Math.floor(Math.max(0, Math.min(deadline - Date.now(), MAX_WAIT_MS)));
      const { status, body } = await this.request<{ result?: R }>(
        'POST',
        `${path(workflowId)}/updates/${encodeURIComponent(name)}`,
        { arg: json, updateId, wait },
      );
      if (status === 200) return body.result as R;
      if (Date.now() >= deadline) throw updateTimeout(workflowId, name, updateId);
    }
  }

  async describe(
    workflowId: string,
    options: { runId?: string } = {},
  ): Promise<WorkflowDescription & { pending?: PendingWork }> {
    const { body } = await this.request<WorkflowDescription & { pending?: PendingWork }>(
      'GET',
      path(workflowId),
      undefined,
      {
        runId: options.runId,
      },
    );
    return reviveDates(body);
  }

  async list(filter: ListFilter = {}): Promise<ListPage> {
    const { status, attributes, createdAfter, createdBefore } = filter;
    // An invalid Date goes as text, for the server to refuse with a coded error.
    const iso = (at: Date | undefined) => (at === undefined ? undefined : (at.toJSON?.() ?? String(at)));
    const query = {
      status: status === undefined ? undefined : ([] as string[]).concat(status).join(','),
      type: filter.type,
      attributes: attributes === undefined ? undefined : JSON.stringify(attributes),
      createdAfter: iso(createdAfter),
      createdBefore: iso(createdBefore),
      latest: filter.latest === undefined ? undefined : String(filter.latest),
      limit: filter.limit,
      cursor: filter.cursor,
    };
    const { body } = await this.request<ListPage>('GET', '/v1/workflows', undefined, query);
    return { ...body, items: body.items.map(reviveDates) };
  }

  /** The runs of a workflow id, the latest first, as `Client.runs` returns them. */
  async runs(workflowId: string, options: { limit?: number } = {}): Promise<WorkflowDescription[]> {
    const { body } = await this.request<{ items: WorkflowDescription[] }>(
      'GET',
      `${path(workflowId)}/runs`,
      undefined,
      { limit: options.limit },
    );
    return body.items.map(reviveDates);
  }

  /** The run's full history, as `Client.history` returns it: save it and replay it against new code. */
  async history(
    workflowId: string,
    options: { runId?: string; after?: number } = {},
  ): Promise<WorkflowHistory> {
    type Page = WorkflowHistory & { nextAfter?: number };
    const page = async (runId: string | undefined, after: number | undefined) =>
      (await this.request<Page>('GET', `${path(workflowId)}/history`, undefined, { runId, after })).body;
    const { nextAfter, ...history } = await page(options.runId, options.after);
    // With `after`, the server answers page by page; the rest is read from the same run.
    for (let next = nextAfter; next !== undefined; ) {
      const more = await page(history.runId, next);
      history.events.push(...more.events);
      next = more.nextAfter;
    }
    return history;
  }

  /** Waits for the run to close, long-polling in steps of at most 60 s; same errors as `Client.result`. */
  async result<R = unknown>(
    workflowId: string,
    options: { runId?: string; timeout?: Duration } = {},
  ): Promise<R> {
    const deadline =
      options.timeout === undefined ? Infinity : Date.now() + toMs(options.timeout, 'result timeout');
    for (;;) {
      const wait = Math.floor(Math.max(0, Math.min(deadline - Date.now(), MAX_WAIT_MS)));
      const { status, body } = await this.request<{ status: string; result?: unknown; error?: ErrorInfo }>(
        'GET',
        `${path(workflowId)}/result`,
        undefined,
        { wait, runId: options.runId },
      );
      if (status === 200)
        return closedResult({ workflowId, ...body } as Parameters<typeof closedResult>[0]) as R;
      if (Date.now() >= deadline) {
        throw new ReelError(
          ErrorCodes.TIMEOUT,
          `Workflow ${workflowId} did not close within the timeout; it is still ${body.status}.`,
        );
      }
    }
  }

  /** Nothing to release (fetch pools its own connections); here so both clients close alike. */
  async close(): Promise<void> {}

  private async request<T>(
    method: 'GET' | 'POST' | 'DELETE',
    route: string,
    body?: unknown,
    query: Query = {},
  ): Promise<{ status: number; body: T }> {
    const url = new URL(this.baseUrl + route);
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(key, String(value));
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw reelError(
        ServerErrorCodes.SERVER_UNREACHABLE,
        `Could not reach the Reel server at ${this.baseUrl} (${why}). Check the URL and that the server is running.`,
        { cause: err },
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {}
    if (response.ok && (parsed !== undefined || response.status === 204))
      return { status: response.status, body: parsed as T };
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (typeof error?.code === 'string' && typeof error.message === 'string')
      throw reelError(error.code, error.message);
    throw reelError(
      ServerErrorCodes.SERVER_UNREACHABLE,
      `${method} ${url.pathname} answered ${response.status} without a Reel answer: is ${this.baseUrl} a Reel server?`,
    );
  }

  private handle<R>(id: string, runId: string | undefined, created: boolean): WorkflowHandle<R> {
    const handle = {
      id,
      runId: runId as string,
      created,
      result: (options?: { timeout?: Duration }) => this.result<R>(id, { ...options, runId }),
      describe: () => this.describe(id, { runId }),
      signal: (name: string, payload?: unknown, options?: SignalSendOptions) =>
        this.signal(id, name, payload, options),
      cancel: (reason?: string) => this.cancel(id, reason),
      terminate: (reason?: string) => this.terminate(id, reason),
      query: (name: string, args?: unknown[], options?: { timeout?: Duration }) =>
        this.query(id, name, args, options),
    };
    return handle;
  }
}

const path = (workflowId: string) => `/v1/workflows/${encodeURIComponent(checkId(workflowId))}`;

function reviveDates<T extends WorkflowDescription & { pending?: PendingWork }>(run: T): T {
  const d = (v: unknown) => new Date(v as string);
  const revived: T = { ...run, createdAt: d(run.createdAt), updatedAt: d(run.updatedAt) };
  if (run.pending)
    revived.pending = {
      ...run.pending,
      activities: run.pending.activities.map((a) =>
        a.nextAttemptAt === undefined ? a : { ...a, nextAttemptAt: d(a.nextAttemptAt) },
      ),
      timers: run.pending.timers.map((t) => ({ ...t, fireAt: d(t.fireAt) })),
    };
  if (run.closedAt !== undefined) revived.closedAt = d(run.closedAt);
  if (run.parked)
    revived.parked = { ...run.parked, retryAt: run.parked.retryAt === null ? null : d(run.parked.retryAt) };
  return revived;
}

/** The server has its own connections: it cannot join a transaction of the caller's. */
function refuseTransaction(options: { transaction?: unknown }): void {
  if (options.transaction === undefined) return;
  throw new ReelError(
    ErrorCodes.TRANSACTION_UNSUPPORTED,
    'HttpClient cannot start or signal inside your transaction: the server writes on its own connections. Use a Client on the same database (new Client({ pool })) for that.',
  );
}
