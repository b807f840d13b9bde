import type pg from 'pg';
import type { Json } from '../../codec.ts';
import type { Lease } from '../store.ts';
import {
  activityResultPayload,
  type ClaimedTask,
  type EnqueueOptions,
  type NewTask,
  type TaskClaim,
  type TaskOutcome,
  type TaskWait,
} from '../tasks.ts';
import { inTransaction } from './held-client.ts';
import * as q from './task-queries.ts';

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/** The task-queue operations of `PostgresStore`, on its pool. */
export class PostgresTasks {
  /** `clock`: the store's clock for a call at engine time `now` (null: the database's). */
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: (now: Date) => Date | null,
  ) {}

  /**
   * One statement; for an `inherited` attempt, in a transaction that first locks the attempt's task,
   * if any: a completion under way (which deletes the task and puts its outcome in the inbox) commits
   * before the enqueue's statement begins, so the statement sees the outcome and queues nothing. In
   * one statement, an enqueue that began before the completion committed would find the task gone
   * and the outcome not yet there, and queue the completed attempt again.
   */
  async enqueue(lease: Lease, task: NewTask, now: Date, options: EnqueueOptions): Promise<boolean> {
    if (!options.inherited) return this.enqueueWith(this.pool, lease, task, now);
    return inTransaction(this.pool, async (db) => {
      await db.query(q.LOCK_TASK, [task.runId, task.cmd]);
      return this.enqueueWith(db, lease, task, now);
    });
  }

  private async enqueueWith(
    db: pg.Pool | pg.PoolClient,
    lease: Lease,
    task: NewTask,
    now: Date,
  ): Promise<boolean> {
    const { rows } = await db.query(q.ENQUEUE_TASK, [
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
      this.clock(now),
      json(task.trace),
      task.priority ?? null,
      task.concurrency?.key ?? null,
      task.concurrency?.limit ?? null,
      task.rateLimit?.key ?? null,
      task.rateLimit?.limit ?? null,
      task.rateLimit?.perMs ?? null,
    ]);
    return Number(rows[0].enqueued) > 0;
  }

  async dueNow(lease: Lease, now: Date): Promise<void> {
    await this.pool.query(q.TASKS_DUE_NOW, [lease.runId, lease.fencingToken, now, this.clock(now)]);
  }

  async claim(
    owner: string,
    queues: string[],
    names: string[],
    limit: number,
    now: Date,
    lockMs: number,
  ): Promise<ClaimedTask[]> {
    const { rows } = await this.pool.query(q.CLAIM_TASKS, [
      owner,
      queues,
      names,
      limit,
      this.clock(now),
      lockMs,
    ]);
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
      ...(r.trace ? { trace: r.trace } : {}),
    }));
  }

  async nextIn(queues: string[], names: string[], now: Date): Promise<number | undefined> {
    const { rows } = await this.pool.query(q.NEXT_TASK_IN, [queues, names, this.clock(now)]);
    return rows[0].ms === null ? undefined : Math.max(0, Number(rows[0].ms));
  }

  async renew(claims: (TaskClaim & { heartbeat?: Json })[], now: Date, lockMs: number): Promise<string[]> {
    if (claims.length === 0) return [];
    const { rows } = await this.pool.query(q.RENEW_TASKS, [
      claims.map((c) => c.id),
      claims.map((c) => c.claim),
      lockMs,
      claims.map((c) => json(c.heartbeat)),
      claims.map((c) => 'heartbeat' in c && c.heartbeat !== undefined),
      this.clock(now),
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
    const { rows } = await this.pool.query(q.COMPLETE_TASK, [
      task.id,
      task.claim,
      payload,
      now,
      this.clock(now),
    ]);
    return Number(rows[0].completed) > 0;
  }

  async delete(runId: string, cmds?: number[]): Promise<void> {
    await this.pool.query(q.DELETE_TASKS, [runId, cmds ?? null]);
  }

  async waits(runId: string): Promise<{ cmd: number; waitingFor: TaskWait }[]> {
    const { rows } = await this.pool.query(q.TASK_WAITS, [runId]);
    return rows.map((r) => ({
      cmd: r.cmd,
      waitingFor:
        r.concurrency_key !== null ? { concurrencyKey: r.concurrency_key } : { rateLimitKey: r.rate_key },
    }));
  }
}
