import {
  assertJson,
  checkScheduleId,
  ErrorCodes,
  ReelError,
  type ScheduleDescription,
  type ScheduleOptions,
  type WorkflowFn,
  type WorkflowHandle,
  type WorkflowResult,
  workflowTypeOf,
} from '@reel/sdk';
import type { WorkflowScheduleClient } from './workflow-client.ts';

/** One JSON request to the server: its status and parsed body, or a thrown ReelError. */
export type HttpRequest = <T>(
  method: 'GET' | 'POST' | 'DELETE',
  route: string,
  body?: unknown,
) => Promise<{ status: number; body: T }>;

/**
 * `client.schedules` over Reel's HTTP server: same methods, signatures and errors. Reached as
 * `HttpClient.schedules`.
 * @example
 * await http.schedules.create({ id: 'daily-report', workflow: reportWorkflow, cron: '0 9 * * 1-5' });
 */
export class HttpScheduleClient implements WorkflowScheduleClient {
  constructor(
    private readonly request: HttpRequest,
    private readonly handle: (workflowId: string, runId: string) => WorkflowHandle<unknown>,
  ) {}

  /** Creates a schedule; fails with `REEL_SCHEDULE_EXISTS` if the id is taken. */
  async create<W extends WorkflowFn>(options: ScheduleOptions<W>): Promise<ScheduleDescription> {
    if (!options || typeof options !== 'object')
      throw new ReelError(ErrorCodes.INVALID_ARGUMENT, 'schedules.create expects an options object.');
    const id = checkScheduleId(options.id);
    const body = {
      id,
      workflowType: workflowTypeOf(options.workflow),
      cron: options.cron,
      timezone: options.timezone,
      input: assertJson(options.input, `The input of schedule ${id}`),
      overlap: options.overlap,
      concurrency: options.concurrency,
      priority: options.priority,
      paused: options.paused,
    };
    return revive((await this.request<ScheduleDescription>('POST', '/v1/schedules', body)).body);
  }

  /** The schedule: its next fire time, its recent runs, whether it is paused. */
  async describe(id: string): Promise<ScheduleDescription> {
    return revive((await this.request<ScheduleDescription>('GET', path(id))).body);
  }

  /** Every schedule, by id. */
  async list(): Promise<ScheduleDescription[]> {
    const { body } = await this.request<{ items: ScheduleDescription[] }>('GET', '/v1/schedules');
    return body.items.map(revive);
  }

  /** Stops firing ticks until `resume`; runs already started go on. */
  async pause(id: string): Promise<void> {
    await this.request('POST', `${path(id)}/pause`);
  }

  /** Fires again from the next match after now; ticks that fell due while paused are not made up. */
  async resume(id: string): Promise<void> {
    await this.request('POST', `${path(id)}/resume`);
  }

  /**
   * Starts one run now, whatever the overlap policy and even while paused; returns its handle. Given
   * the schedule's workflow, the result is typed by it, and the server refuses a schedule of
   * another type (`REEL_INVALID_ARGUMENT`) before anything starts.
   */
  trigger(id: string): Promise<WorkflowHandle<unknown>>;
  trigger<W extends WorkflowFn>(id: string, workflow: W | string): Promise<WorkflowHandle<WorkflowResult<W>>>;
  async trigger(id: string, workflow?: WorkflowFn | string): Promise<WorkflowHandle<unknown>> {
    const body = workflow === undefined ? undefined : { workflowType: workflowTypeOf(workflow) };
    const run = await this.request<{ workflowId: string; runId: string }>(
      'POST',
      `${path(id)}/trigger`,
      body,
    );
    return this.handle(run.body.workflowId, run.body.runId);
  }

  /** Deletes the schedule; runs it started go on. */
  async delete(id: string): Promise<void> {
    await this.request('DELETE', path(id));
  }
}

const path = (id: string) => `/v1/schedules/${encodeURIComponent(checkScheduleId(id))}`;

function revive(s: ScheduleDescription): ScheduleDescription {
  const date = (v: Date | null) => (v === null ? null : new Date(v));
  return {
    ...s,
    input: s.input,
    nextFireAt: date(s.nextFireAt),
    bufferedAt: date(s.bufferedAt),
    createdAt: new Date(s.createdAt),
    updatedAt: new Date(s.updatedAt),
  };
}
