import type { Json, PostedQuery, QueryAnswer } from '@reel/sdk';
import { copy, type MemoryTables } from './memory-tables.ts';

interface Query {
  runId: string;
  type: string;
  name: string;
  args: Json[];
  createdAt: Date;
  claimedBy?: string;
  answer?: QueryAnswer;
}

/**
 * `MemoryStore`'s live workers (their heartbeats and the types they serve) and the queries posted to
 * them: a query is posted only if a live worker serves the run's type, claimed by one, answered, read,
 * deleted.
 */
export class MemoryWorkers {
  private readonly workers = new Map<string, { types: string[]; heartbeatAt: Date }>();
  private readonly queries = new Map<string, Query>();
  private nextQueryId = 1;

  constructor(private readonly tables: MemoryTables) {}

  async heartbeat(workerId: string, types: string[], now: Date): Promise<void> {
    this.workers.set(workerId, { types, heartbeatAt: now });
  }

  async remove(workerId: string): Promise<void> {
    this.workers.delete(workerId);
  }

  async postQuery(workflowId: string, name: string, args: Json[], now: Date, liveSince: Date) {
    const run = this.tables.latest(workflowId);
    if (!run) return 'not_found' as const;
    const served = [...this.workers.values()].some(
      (w) => w.types.includes(run.type) && w.heartbeatAt > liveSince,
    );
    if (!served) return 'no_worker' as const;
    const queryId = String(this.nextQueryId++);
    this.queries.set(queryId, { runId: run.runId, type: run.type, name, args: copy(args), createdAt: now });
    this.tables.emit((l) => l.onQuery?.(run.runId, queryId));
    return { queryId, runId: run.runId };
  }

  async claimQuery(queryId: string, workerId: string, types: string[]): Promise<PostedQuery | undefined> {
    const query = this.queries.get(queryId);
    if (!query || query.claimedBy !== undefined || !types.includes(query.type)) return undefined;
    query.claimedBy = workerId;
    const workflowId = this.tables.runs.get(query.runId)?.workflowId as string;
    return { runId: query.runId, workflowId, type: query.type, name: query.name, args: copy(query.args) };
  }

  async unclaimedQueries(types: string[]): Promise<{ runId: string; queryId: string }[]> {
    return [...this.queries]
      .filter(([, q]) => q.claimedBy === undefined && types.includes(q.type))
      .slice(0, 100)
      .map(([queryId, q]) => ({ runId: q.runId, queryId }));
  }

  async answerQuery(queryId: string, answer: QueryAnswer): Promise<void> {
    const query = this.queries.get(queryId);
    if (!query) return;
    query.answer = copy(answer);
    this.tables.emit((l) => l.onQueryAnswered?.(queryId));
  }

  async readQuery(queryId: string): Promise<QueryAnswer | undefined> {
    return copy(this.queries.get(queryId)?.answer);
  }

  async deleteQuery(queryId: string): Promise<void> {
    this.queries.delete(queryId);
  }

  /** A purged run's queries go with it, as `on delete cascade` takes them. */
  forget(runId: string): void {
    for (const [id, query] of this.queries) if (query.runId === runId) this.queries.delete(id);
  }
}
