import {
  errorFields,
  type Json,
  type PostedQuery,
  type QueryAnswer,
  toErrorInfo,
  WorkflowExecution,
  type WorkflowFn,
} from '@reel/sdk';
import type { DriverHost } from './driver-host.ts';
import type { RunDriver } from './run-driver.ts';

/** How long a worker that does not hold a run waits before answering a query about it by replay. */
const QUERY_DEFER_MS = 100;

/** Replays kept for queries: runs queried again while their history has not grown reuse theirs. */
const REPLAYS_KEPT = 100;

/**
 * A worker's answers to queries: from the driver holding the run (once its state is durable), else by
 * replaying the run's durable history. A replay is kept while the run's history length stays the same
 * (histories only grow), so a run no worker holds, queried again and again, is not replayed each time.
 */
export class QueryAnswers {
  private readonly replays = new Map<string, { length: number; exec: WorkflowExecution }>();

  constructor(
    private readonly host: DriverHost,
    private readonly identity: string,
    private readonly types: string[],
    private readonly drivers: Map<string, RunDriver>,
  ) {}

  /** A query was posted: the holder answers at once; others wait a moment so it can, then answer by replay. */
  heard(runId: string, queryId: string): void {
    if (this.drivers.has(runId)) void this.answer(queryId);
    else setTimeout(() => void this.answer(queryId), QUERY_DEFER_MS).unref();
  }

  /** Takes up the queries posted while the listener was away, unheard. */
  async missed(): Promise<void> {
    try {
      for (const { runId, queryId } of await this.host.store.unclaimedQueries(this.types))
        this.heard(runId, queryId);
    } catch (err) {
      const { message } = errorFields(err);
      this.host.logger.error({ err: errorFields(err) }, `looking for unheard queries failed: ${message}`);
    }
  }

  /** Claims a posted query and answers it; another worker may have claimed it first. */
  private async answer(queryId: string): Promise<void> {
    const { store } = this.host;
    try {
      const query = await store.claimQuery(queryId, this.identity, this.types);
      if (!query) return;
      let answer: QueryAnswer;
      try {
        const held = await this.drivers.get(query.runId)?.query(query.name, query.args);
        answer = { result: held ? held.answer : await this.byReplay(query) };
      } catch (err) {
        answer = { error: toErrorInfo(err) };
      }
      await store.answerQuery(queryId, answer, this.host.clock());
    } catch (err) {
      this.host.logger.error(
        { queryId, err: errorFields(err) },
        `answering a query failed: ${errorFields(err).message}`,
      );
    }
  }

  private async byReplay(query: PostedQuery): Promise<Json | undefined> {
    const length = (await this.host.store.describe(query.workflowId, query.runId))?.historyLength;
    let replay = this.replays.get(query.runId);
    if (!replay || replay.length !== length) {
      const history = await this.host.store.loadHistory(query.runId);
      const exec = new WorkflowExecution({
        workflowId: query.workflowId,
        runId: query.runId,
        workflowType: query.type,
        fn: this.host.workflows.get(query.type) as WorkflowFn,
        history,
        clock: this.host.clock,
        activityName: this.host.activityName,
        guard: this.host.guard,
      });
      await exec.advance();
      replay = { length: history.length, exec };
    }
    // Most recently used last: the first entry is the one to drop.
    this.replays.delete(query.runId);
    this.replays.set(query.runId, replay);
    for (const runId of this.replays.keys()) {
      if (this.replays.size <= REPLAYS_KEPT) break;
      this.replays.delete(runId);
    }
    return replay.exec.query(query.name, query.args);
  }
}
