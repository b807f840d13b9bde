import type pg from 'pg';
import type { Json } from '../../codec.ts';
import type { Lease } from '../store.ts';
import {
  activityResultPayload,
  type ClaimedTask,
  type NewTask,
  type TaskClaim,
  type TaskOutcome,
} from '../tasks.ts';
import * as q from './task-queries.ts';

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/** The task-queue operations of `PostgresStore`, on its pool. */
export class PostgresTasks {
  constructor(private readonly pool: pg.Pool) {}

  async enqueue(lease: Lease, task: NewTask, now: Date): Promise<boolean> {
    const { rows } = await this.pool.query(q.ENQUEUE_TASK, [
      task.runId,
      lease.fencingToken,
      task.cmd,
      task.attempt,
      task.name,
      JSON.stringify(task.args),
      task.queue,
      task.availableAt,
      json(task.lastHeartbeat),
      now,
    ]);
    return Number(rows[0].enqueued) > 0;
  }

  async claim(
    owner: string,
    queues: string[],
    names: string[],
    limit: number,
    now: Date,
    lockedUntil: Date,
  ): Promise<ClaimedTask[]> {
    const { rows } = await this.pool.query(q.CLAIM_TASKS, [owner, queues, names, limit, now, lockedUntil]);
    return rows.map((r) => ({
      id: String(r.id),
      claim: r.claim,
      workflowId: r.workflow_id,
      runId: r.run_id,
      cmd: r.cmd,
      attempt: r.attempt,
      name: r.name,
      args: r.args as Json[],
      queue: r.queue,
      availableAt: r.available_at,
      ...(r.no_heartbeat ? {} : { lastHeartbeat: r.last_heartbeat as Json }),
    }));
  }

  async nextAt(queues: string[], names: string[]): Promise<Date | undefined> {
    const { rows } = await this.pool.query(q.NEXT_TASK_AT, [queues, names]);
    return rows[0]?.at ?? undefined;
  }

  async renew(claims: (TaskClaim & { heartbeat?: Json })[], lockedUntil: Date): Promise<string[]> {
    if (claims.length === 0) return [];
    const { rows } = await this.pool.query(q.RENEW_TASKS, [
      claims.map((c) => c.id),
      claims.map((c) => c.claim),
      lockedUntil,
      claims.map((c) => json(c.heartbeat)),
      claims.map((c) => 'heartbeat' in c && c.heartbeat !== undefined),
    ]);
    const kept = new Set(rows.map((r) => String(r.id)));
    return claims.filter((c) => !kept.has(c.id)).map((c) => c.id);
  }

  async complete(
    task: TaskClaim & Pick<NewTask, 'cmd' | 'attempt'>,
    outcome: TaskOutcome,
    now: Date,
  ): Promise<boolean> {
    const payload = JSON.stringify(activityResultPayload(task.cmd, task.attempt, outcome));
    const { rows } = await this.pool.query(q.COMPLETE_TASK, [task.id, task.claim, payload, now]);
    return Number(rows[0].completed) > 0;
  }

  async delete(runId: string, cmds?: number[]): Promise<void> {
    await this.pool.query(q.DELETE_TASKS, [runId, cmds ?? null]);
  }
}
