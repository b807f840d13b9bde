import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Json } from '../../codec.ts';
import { planTick, tickWorkflowId, withRecent } from '../../schedules/plan-tick.ts';
import type {
  CreateScheduleOutcome,
  NewSchedule,
  ScheduleDescription,
  ScheduledRun,
  ScheduleTick,
} from '../../schedules/types.ts';
import type { StartRequest, StartResult } from '../store.ts';
import { inTransaction } from './held-client.ts';
import * as q from './schedule-queries.ts';

/** The schedule operations of `PostgresStore`, on its pool. */
export class PostgresSchedules {
  constructor(
    private readonly pool: pg.Pool,
    private readonly start: StartIn,
  ) {}

  async create(s: NewSchedule, now: Date): Promise<CreateScheduleOutcome> {
    const { rows } = await this.pool.query(q.CREATE_SCHEDULE, [
      s.id,
      s.workflowType,
      s.cron,
      s.timezone,
      s.input === undefined ? null : JSON.stringify(s.input),
      s.overlap,
      s.paused,
      s.nextFireAt,
      now,
      s.concurrency?.key ?? null,
      s.concurrency?.limit ?? null,
      s.priority ?? 0,
    ]);
    if (!rows[0].known) return 'unknown_type';
    return Number(rows[0].created) === 1 ? 'created' : 'exists';
  }

  async get(id: string): Promise<ScheduleDescription | undefined> {
    const { rows } = await this.pool.query(q.GET_SCHEDULE, [id]);
    return rows[0] && toSchedule(rows[0]);
  }

  async list(): Promise<ScheduleDescription[]> {
    const { rows } = await this.pool.query(q.LIST_SCHEDULES);
    return rows.map(toSchedule);
  }

  async setPaused(id: string, paused: boolean, nextFireAt: Date | null, now: Date): Promise<boolean> {
    const res = await this.pool.query(q.SET_SCHEDULE_PAUSED, [id, paused, nextFireAt, now]);
    return res.rowCount === 1;
  }

  async delete(id: string): Promise<boolean> {
    const res = await this.pool.query(q.DELETE_SCHEDULE, [id]);
    return res.rowCount === 1;
  }

  /** Starts one run of the schedule now, whatever its overlap policy and even while paused. */
  async trigger(id: string, now: Date): Promise<ScheduledRun | undefined> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query(q.LOCK_SCHEDULE, [id]);
      if (!rows[0]) return undefined;
      const s = toSchedule(rows[0]);
      const run = await startTick(this.start, client, s, now, now);
      await advance(client, s, s.nextFireAt, s.bufferedAt, [run], now);
      return run;
    });
  }

  /**
   * Claims up to `limit` schedules with work at `now` and, in the same transaction, starts their runs
   * and moves them on: each tick starts one run however many workers call this at once.
   */
  async fire(now: Date, limit: number): Promise<ScheduleTick[]> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query(q.CLAIM_DUE_SCHEDULES, [now, limit]);
      const ticks: ScheduleTick[] = [];
      for (const row of rows) {
        const s = toSchedule(row);
        const plan = planTick(s, row.previous_open, now);
        const started: ScheduledRun[] = [];
        for (const t of plan.ticks) {
          const tick: ScheduleTick = { scheduleId: s.id, workflowType: s.workflowType, ...t };
          if (t.outcome === 'started') {
            tick.run = await startTick(this.start, client, s, t.fireAt, now);
            started.push(tick.run);
          }
          ticks.push(tick);
        }
        await advance(client, s, plan.nextFireAt, plan.bufferedAt, started, now);
      }
      return ticks;
    });
  }

  async nextFireAt(): Promise<Date | undefined> {
    const { rows } = await this.pool.query(q.NEXT_SCHEDULE_AT);
    return rows[0]?.at ?? undefined;
  }
}

/** Starts a run, on the given transaction's client: `PostgresStore.start`. */
type StartIn = (req: StartRequest, db: pg.PoolClient) => Promise<StartResult>;

/** Starts a tick's run by its deterministic id; an existing run with that id is returned instead. */
async function startTick(
  start: StartIn,
  client: pg.PoolClient,
  s: ScheduleDescription,
  fireAt: Date,
  now: Date,
): Promise<ScheduledRun> {
  const workflowId = tickWorkflowId(s.id, fireAt);
  const { workflowType: type, input, concurrency, priority } = s;
  const req = { workflowId, runId: randomUUID(), type, input, now, concurrency, priority };
  const started = await start(req, client);
  if (!started.knownType)
    throw new Error(
      `Schedule ${s.id} could not start ${workflowId}: type '${s.workflowType}' is not registered`,
    );
  return { workflowId, runId: started.runId };
}

async function advance(
  client: pg.PoolClient,
  s: ScheduleDescription,
  nextFireAt: Date | null,
  bufferedAt: Date | null,
  started: ScheduledRun[],
  now: Date,
): Promise<void> {
  const recent = withRecent(s.recentRuns, started);
  await client.query(q.ADVANCE_SCHEDULE, [
    s.id,
    nextFireAt,
    bufferedAt,
    recent.map((r) => r.workflowId),
    recent.map((r) => r.runId),
    now,
  ]);
}

// biome-ignore lint/suspicious/noExplicitAny: a row of reel.schedules, shaped by the migration.
function toSchedule(r: Record<string, any>): ScheduleDescription {
  return {
    id: r.id,
    workflowType: r.workflow_type,
    cron: r.cron,
    timezone: r.timezone,
    input: r.no_input ? undefined : (r.input as Json),
    overlap: r.overlap,
    ...(r.concurrency_key === null
      ? {}
      : { concurrency: { key: r.concurrency_key, limit: r.concurrency_limit } }),
    ...(r.priority === 0 ? {} : { priority: r.priority }),
    paused: r.paused,
    nextFireAt: r.next_fire_at,
    bufferedAt: r.buffered_at,
    recentRuns: (r.last_workflow_ids as string[]).map((workflowId, i) => ({
      workflowId,
      runId: r.last_run_ids[i],
    })),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
