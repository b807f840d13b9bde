import type { CommitOutcome, CommitRequest } from '../store.ts';

interface Pending {
  req: CommitRequest;
  resolve(outcome: CommitOutcome): void;
  reject(err: unknown): void;
}

/** Answers each commit of a statement: its outcome, or an error that concerns that commit alone. */
export type WriteCommits = (reqs: CommitRequest[]) => Promise<(CommitOutcome | Error)[]>;

/** Runs per statement at most: bounds a statement's size. */
const MAX_BATCH = 100;

/**
 * Group commit: commits that arrive while one is being written wait for it and then go together, as
 * one statement — one round trip and one WAL flush for many runs. A lone commit goes at once. If a
 * shared statement fails, each of its commits is tried alone, so one run's bad write fails only it.
 */
export class GroupCommit {
  private readonly queue: Pending[] = [];
  private writing = false;

  /** `onBatch` is told how many runs each statement carries, for metrics. */
  constructor(
    private readonly write: WriteCommits,
    private readonly onBatch?: (runs: number) => void,
  ) {}

  commit(req: CommitRequest): Promise<CommitOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.writing || this.queue.length === 0) return;
    // One commit per run in a statement: a second one for the same run waits for the next.
    const runs = new Set<string>();
    const batch: Pending[] = [];
    for (let i = 0; i < this.queue.length && batch.length < MAX_BATCH; ) {
      const p = this.queue[i] as Pending;
      if (runs.has(p.req.runId)) i++;
      else {
        runs.add(p.req.runId);
        batch.push(p);
        this.queue.splice(i, 1);
      }
    }
    this.writing = true;
    this.onBatch?.(batch.length);
    this.write(batch.map((p) => p.req))
      .then(
        (outcomes) => {
          for (const [i, p] of batch.entries()) settle(p, outcomes[i]);
        },
        async (err) => {
          if (batch.length === 1) return batch[0]?.reject(err);
          // One by one, before the next statement: a run's later commit must not overtake its retry.
          for (const p of batch) await this.write([p.req]).then(([o]) => settle(p, o), p.reject);
        },
      )
      .finally(() => {
        this.writing = false;
        this.next();
      });
  }
}

function settle(p: Pending, outcome: CommitOutcome | Error | undefined): void {
  if (outcome instanceof Error) p.reject(outcome);
  else p.resolve(outcome as CommitOutcome);
}
