import type pg from 'pg';
import type { Json } from '../../codec.ts';
import type { PostedQuery, QueryAnswer } from '../store.ts';
import { passedWake } from './postgres-listener.ts';
import { json } from './statements.ts';
import * as q from './worker-queries.ts';

/**
 * `PostgresStore`'s live workers (their heartbeats and the types they serve) and the queries posted
 * to them: posted for a live worker serving the run's type, claimed by one, answered, read, deleted.
 */
export class PostgresWorkers {
  constructor(private readonly pool: pg.Pool) {}

  async heartbeat(workerId: string, types: string[], now: Date): Promise<void> {
    await this.pool.query(q.HEARTBEAT, [workerId, types, now]);
  }

  async remove(workerId: string): Promise<void> {
    await this.pool.query(q.REMOVE_WORKER, [workerId]);
  }

  async passWake(runId: string, to: string[], runs: number): Promise<void> {
    await this.pool.query(q.PASS_WAKE, [passedWake(runId, to, runs), to.slice(0, 2)]);
  }

  async postQuery(workflowId: string, name: string, args: Json[], now: Date, liveSince: Date) {
    const { rows } = await this.pool.query(q.POST_QUERY, [
      workflowId,
      name,
      JSON.stringify(args),
      now,
      liveSince,
    ]);
    const row = rows[0];
    if (row.run_id === null) return 'not_found' as const;
    if (!row.served) return 'no_worker' as const;
    return { queryId: String(row.id), runId: row.run_id as string };
  }

  async claimQuery(queryId: string, workerId: string, types: string[]): Promise<PostedQuery | undefined> {
    const { rows } = await this.pool.query(q.CLAIM_QUERY, [queryId, workerId, types]);
    const r = rows[0];
    return r && { runId: r.run_id, workflowId: r.workflow_id, type: r.type, name: r.name, args: r.args };
  }

  async unclaimedQueries(types: string[]): Promise<{ runId: string; queryId: string }[]> {
    const { rows } = await this.pool.query(q.UNCLAIMED_QUERIES, [types]);
    return rows.map((r) => ({ runId: r.run_id, queryId: r.id }));
  }

  async answerQuery(queryId: string, answer: QueryAnswer, now: Date): Promise<void> {
    await this.pool.query(q.ANSWER_QUERY, [queryId, now, json(answer.result), json(answer.error)]);
  }

  async readQuery(queryId: string): Promise<QueryAnswer | undefined> {
    const { rows } = await this.pool.query(q.READ_QUERY, [queryId]);
    const row = rows[0];
    if (!row?.answered_at) return undefined;
    return row.error === null ? (row.no_result ? {} : { result: row.result }) : { error: row.error };
  }

  async deleteQuery(queryId: string): Promise<void> {
    await this.pool.query(q.DELETE_QUERY, [queryId]);
  }
}
