import { randomUUID } from 'node:crypto';
import {
  type CreateScheduleOutcome,
  type NewSchedule,
  planTick,
  type ScheduleDescription,
  type ScheduledRun,
  type ScheduleTick,
  type StartRequest,
  type StartResult,
  tickWorkflowId,
  withRecent,
} from '@reel/sdk';

/** What the schedules need from the memory store's runs. */
export interface ScheduleHost {
  knownType(type: string): boolean;
  /** Whether the latest run with this workflow id is open. */
  isOpen(workflowId: string): boolean;
  /** The store's start; it creates the run before it returns its promise. */
  start(req: StartRequest): Promise<StartResult>;
}

/**
 * `MemoryStore`'s schedules, with the Postgres store's rules (`planTick`, `tickWorkflowId`). A tick
 * is decided, and the schedule moved on, synchronously, before the first await: as the Postgres
 * store's row lock does, this keeps two workers from firing one tick.
 */
export class MemorySchedules {
  private readonly rows = new Map<string, ScheduleDescription>();

  constructor(private readonly host: ScheduleHost) {}

  async create(s: NewSchedule, now: Date): Promise<CreateScheduleOutcome> {
    if (!this.host.knownType(s.workflowType)) return 'unknown_type';
    if (this.rows.has(s.id)) return 'exists';
    this.rows.set(s.id, {
      ...copy(s),
      bufferedAt: null,
      recentRuns: [],
      createdAt: now,
      updatedAt: now,
    });
    return 'created';
  }

  async get(id: string): Promise<ScheduleDescription | undefined> {
    return copy(this.rows.get(id));
  }

  async list(): Promise<ScheduleDescription[]> {
    return [...this.rows.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(copy);
  }

  async setPaused(id: string, paused: boolean, nextFireAt: Date | null, now: Date): Promise<boolean> {
    const s = this.rows.get(id);
    if (!s) return false;
    Object.assign(s, { paused, nextFireAt, updatedAt: now });
    return true;
  }

  async delete(id: string): Promise<boolean> {
    return this.rows.delete(id);
  }

  async trigger(id: string, now: Date): Promise<ScheduledRun | undefined> {
    const s = this.rows.get(id);
    if (!s) return undefined;
    const [run] = await this.startRuns(s, [now], now);
    return run;
  }

  async fire(now: Date, limit: number): Promise<ScheduleTick[]> {
    const batches: { ticks: ScheduleTick[]; started: Promise<ScheduledRun[]> }[] = [];
    for (const s of this.due(now).slice(0, limit)) {
      const plan = planTick(s, this.previousOpen(s), now);
      Object.assign(s, { nextFireAt: plan.nextFireAt, bufferedAt: plan.bufferedAt, updatedAt: now });
      const ticks: ScheduleTick[] = plan.ticks.map((t) => ({
        scheduleId: s.id,
        workflowType: s.workflowType,
        ...t,
      }));
      const fireTimes = ticks.filter((t) => t.outcome === 'started').map((t) => t.fireAt);
      batches.push({ ticks, started: this.startRuns(s, fireTimes, now) });
    }
    const all: ScheduleTick[] = [];
    for (const { ticks, started } of batches) {
      const runs = await started;
      for (const t of ticks) {
        if (t.outcome === 'started') t.run = runs.shift();
        all.push(t);
      }
    }
    return all;
  }

  async nextFireAt(): Promise<Date | undefined> {
    return this.nextWakeAt();
  }

  /** The earliest tick of a schedule that is not paused: a time the virtual clock may jump to. */
  nextWakeAt(): Date | undefined {
    let min: Date | undefined;
    for (const s of this.rows.values())
      if (!s.paused && s.nextFireAt && (!min || s.nextFireAt < min)) min = s.nextFireAt;
    return min;
  }

  /** True when some schedule has work at `now`: the scheduler is about to start a run. */
  hasWork(now: Date): boolean {
    return this.due(now).length > 0;
  }

  private due(now: Date): ScheduleDescription[] {
    return [...this.rows.values()]
      .filter(
        (s) =>
          !s.paused &&
          ((s.nextFireAt !== null && s.nextFireAt <= now) ||
            (s.bufferedAt !== null && !this.previousOpen(s))),
      )
      .sort((a, b) => (a.nextFireAt?.getTime() ?? 0) - (b.nextFireAt?.getTime() ?? 0));
  }

  private previousOpen(s: ScheduleDescription): boolean {
    return s.recentRuns.some((r) => this.host.isOpen(r.workflowId));
  }

  /** Starts the ticks' runs and records them at once; the run ids are settled when the starts return. */
  private async startRuns(s: ScheduleDescription, fireTimes: Date[], now: Date): Promise<ScheduledRun[]> {
    const runs = fireTimes.map((fireAt) => ({
      workflowId: tickWorkflowId(s.id, fireAt),
      runId: randomUUID(),
    }));
    const starts = runs.map((run) =>
      this.host.start({
        ...run,
        type: s.workflowType,
        input: copy(s.input),
        now,
        concurrency: copy(s.concurrency),
        priority: s.priority,
      }),
    );
    s.recentRuns = withRecent(s.recentRuns, runs);
    s.updatedAt = now;
    const results = await Promise.all(starts);
    results.forEach((r, i) => {
      const run = runs[i] as ScheduledRun;
      if (!r.knownType)
        throw new Error(`Schedule ${s.id} could not start ${run.workflowId}: its type is not registered`);
      run.runId = r.runId; // the existing run, when a tick's run was started before
    });
    return runs.map((r) => ({ ...r }));
  }
}

function copy<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}
