import { assertJson } from '../codec.ts';
import { ErrorCodes, ReelError } from '../errors.ts';
import { type ConcurrencyLimit, checkConcurrency, checkPriority } from '../flow-options.ts';
import { checkCron, nextFireTime } from '../schedules/cron.ts';
import { OVERLAP_POLICIES, type OverlapPolicy, type ScheduleDescription } from '../schedules/types.ts';
import type { Store } from '../store/store.ts';
import type { WorkflowFn, WorkflowInput, WorkflowResult } from '../workflow/context.ts';
import type { ClientMetrics, WorkflowHandle } from './client.ts';
import { workflowTypeOf } from './validate.ts';

/** Room left in a workflow id (256 characters) for the `@<fire time>` of each tick's run. */
const MAX_SCHEDULE_ID = 200;

export interface ScheduleOptions<W extends WorkflowFn = WorkflowFn> {
  /** The schedule's id; each tick's run gets the workflow id `<id>@<fire time, ISO 8601 UTC>`. */
  id: string;
  /** The workflow function, or its registered type name. */
  workflow: W | string;
  /** A cron expression: 5 fields, 6 with seconds first, or a nickname such as `@daily`. */
  cron: string;
  /** The IANA time zone the cron expression is read in. Default `UTC`. */
  timezone?: string;
  /** The input every run gets. */
  input?: WorkflowInput<W>;
  /** What a tick does while the previous run is still open. Default `skip`. */
  overlap?: OverlapPolicy;
  /**
   * Each run holds a slot of this key, or waits for one, as a client's start with `concurrency`
   * (docs/flow-control.md). A run waiting for a slot is open, for `overlap`.
   * @example { concurrency: { key: 'reports', limit: 2 } }
   */
  concurrency?: ConcurrencyLimit;
  /** Each run's priority, 0 (default) to 10. */
  priority?: number;
  /** Create the schedule paused. Default false. */
  paused?: boolean;
}

/**
 * Cron schedules that start workflows; the workers fire them. Reached as `client.schedules`.
 * @example
 * await client.schedules.create({
 *   id: 'daily-report', workflow: reportWorkflow, cron: '0 9 * * 1-5', timezone: 'Europe/Paris',
 * });
 */
export class ScheduleClient {
  constructor(
    private readonly store: Store,
    private readonly clock: () => Date,
    private readonly handle: (workflowId: string, runId: string) => WorkflowHandle<unknown>,
    private readonly metrics: ClientMetrics = {},
  ) {}

  /** Creates a schedule; fails with `REEL_SCHEDULE_EXISTS` if the id is taken. */
  async create<W extends WorkflowFn>(options: ScheduleOptions<W>): Promise<ScheduleDescription> {
    if (!options || typeof options !== 'object')
      throw new ReelError(ErrorCodes.INVALID_ARGUMENT, 'schedules.create expects an options object.');
    const id = checkScheduleId(options.id);
    const workflowType = workflowTypeOf(options.workflow);
    const timezone = options.timezone ?? 'UTC';
    const overlap = options.overlap ?? 'skip';
    if (!OVERLAP_POLICIES.includes(overlap)) {
      throw new ReelError(
        ErrorCodes.INVALID_SCHEDULE,
        `overlap must be 'skip', 'bufferOne' or 'allowAll', not ${JSON.stringify(overlap)}.`,
      );
    }
    const input = assertJson(options.input, `The input of schedule ${id}`);
    const concurrency = checkConcurrency(options.concurrency, false);
    const priority = checkPriority(options.priority);
    const now = this.clock();
    const next = checkCron(options.cron, timezone, now);
    const paused = options.paused === true;
    const outcome = await this.store.createSchedule(
      {
        id,
        workflowType,
        cron: options.cron,
        timezone,
        input,
        overlap,
        ...(concurrency ? { concurrency } : {}),
        ...(priority ? { priority } : {}),
        paused,
        nextFireAt: paused ? null : next,
      },
      now,
    );
    if (outcome === 'unknown_type') {
      throw new ReelError(
        ErrorCodes.UNKNOWN_WORKFLOW_TYPE,
        `No worker has registered workflow type '${workflowType}', so schedule ${id} could not start it. Register it in Worker.create({ workflows: { ${workflowType} } }) and start that worker, or check the name.`,
      );
    }
    if (outcome === 'exists') {
      throw new ReelError(
        ErrorCodes.SCHEDULE_EXISTS,
        `A schedule with id ${JSON.stringify(id)} already exists. Use another id, or delete it first.`,
      );
    }
    return this.describe(id);
  }

  /** The schedule: its next fire time, its recent runs, whether it is paused. */
  async describe(id: string): Promise<ScheduleDescription> {
    const found = await this.store.getSchedule(checkScheduleId(id));
    if (!found) throw notFound(id);
    return found;
  }

  /** Every schedule, by id. */
  list(): Promise<ScheduleDescription[]> {
    return this.store.listSchedules();
  }

  /** Stops firing ticks until `resume`; runs already started go on. */
  async pause(id: string): Promise<void> {
    const s = await this.describe(id);
    if (s.paused) return;
    if (!(await this.store.setSchedulePaused(s.id, true, null, this.clock()))) throw notFound(id);
  }

  /** Fires again from the next match after now; ticks that fell due while paused are not made up. */
  async resume(id: string): Promise<void> {
    const s = await this.describe(id);
    if (!s.paused) return;
    const now = this.clock();
    const next = nextFireTime(s.cron, s.timezone, now);
    if (!(await this.store.setSchedulePaused(s.id, false, next, now))) throw notFound(id);
  }

  /**
   * Starts one run now, whatever the overlap policy and even while paused; returns its handle.
   * Given the schedule's workflow (its function or type name), the handle's result is typed by it,
   * and a schedule of another type is refused, `REEL_INVALID_ARGUMENT`, before anything starts.
   * @example
   * const report = await (await client.schedules.trigger('daily-report', dailyReport)).result();
   */
  trigger(id: string): Promise<WorkflowHandle<unknown>>;
  trigger<W extends WorkflowFn>(id: string, workflow: W | string): Promise<WorkflowHandle<WorkflowResult<W>>>;
  async trigger(id: string, workflow?: WorkflowFn | string): Promise<WorkflowHandle<unknown>> {
    const expected = workflow === undefined ? undefined : workflowTypeOf(workflow);
    // Read only when needed: the type costs a read, and a trigger is rare.
    const type =
      expected || this.metrics.workflowStarted ? (await this.describe(id)).workflowType : undefined;
    if (expected !== undefined && type !== expected) throw otherType(id, type as string, expected);
    const run = await this.store.triggerSchedule(checkScheduleId(id), this.clock());
    if (!run) throw notFound(id);
    if (type) this.metrics.workflowStarted?.(type);
    return this.handle(run.workflowId, run.runId);
  }

  /** Deletes the schedule; runs it started go on. */
  async delete(id: string): Promise<void> {
    if (!(await this.store.deleteSchedule(checkScheduleId(id)))) throw notFound(id);
  }
}

/** A schedule id: 1–200 characters, so a tick's workflow id (`<id>@<fire time>`) fits in 256. */
export function checkScheduleId(id: unknown): string {
  if (
    typeof id !== 'string' ||
    id.length === 0 ||
    id.length > MAX_SCHEDULE_ID ||
    id.includes('\u0000') ||
    !id.isWellFormed()
  ) {
    throw new ReelError(
      ErrorCodes.INVALID_ARGUMENT,
      `A schedule id must be a non-empty string of at most ${MAX_SCHEDULE_ID} characters, not ${JSON.stringify(id)}.`,
    );
  }
  return id;
}

/** The error for a trigger that names another workflow than the schedule's. */
function otherType(id: string, type: string, expected: string): ReelError {
  return new ReelError(
    ErrorCodes.INVALID_ARGUMENT,
    `Schedule ${JSON.stringify(id)} starts '${type}', not '${expected}', so nothing was triggered. Pass the schedule's own workflow, or none.`,
  );
}

function notFound(id: string): ReelError {
  return new ReelError(
    ErrorCodes.SCHEDULE_NOT_FOUND,
    `No schedule with id ${JSON.stringify(id)}. Check the id, or list schedules with client.schedules.list().`,
  );
}
