interface Pending<Req, Out> {
  req: Req;
  resolve(outcome: Out): void;
  reject(err: unknown): void;
}

/** Answers each request of a statement: its outcome, or an error that concerns that request alone. */
export type WriteMany<Req, Out> = (reqs: Req[]) => Promise<(Out | Error)[]>;

/** Requests per statement at most: bounds a statement's size. */
const MAX_BATCH = 100;

/**
 * A statement in flight this long no longer holds back the next one. A write normally takes a few
 * milliseconds; one that waits on a lock a transaction keeps (a caller's transaction that started
 * the same workflow id, and stays open) would otherwise hold up every write of the process behind it.
 */
const STALLED_MS = 100;

/**
 * Group commit: writes that arrive while one is being written wait for it and then go together, as
 * one statement — one round trip and one WAL flush for many. A lone write goes at once. If a shared
 * statement fails, each of its writes is tried alone, so one bad write fails only itself. A
 * statement carries at most one write per key (`keyOf`): the next one of a key waits for the next
 * statement, and so sees the one before. Serves the flushes of held runs (keyed by run) and starts
 * (keyed by workflow id). A statement in flight for `STALLED_MS` lets the next go beside it, with
 * none of its keys: those wait for it.
 */
export class GroupCommit<Req, Out> {
  private readonly queue: Pending<Req, Out>[] = [];
  /** The keys of the statements in flight (with their retries). */
  private readonly inFlight = new Set<string>();
  /** A statement is in flight and has not stalled: the next waits for it. */
  private writing = false;

  /** `onBatch` is told how many requests each statement carries, for metrics. */
  constructor(
    private readonly write: WriteMany<Req, Out>,
    private readonly keyOf: (req: Req) => string,
    private readonly onBatch?: (size: number) => void,
  ) {}

  commit(req: Req): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.writing || this.queue.length === 0) return;
    const keys = new Set<string>();
    const batch: Pending<Req, Out>[] = [];
    for (let i = 0; i < this.queue.length && batch.length < MAX_BATCH; ) {
      const p = this.queue[i] as Pending<Req, Out>;
      const key = this.keyOf(p.req);
      if (keys.has(key) || this.inFlight.has(key)) i++;
      else {
        keys.add(key);
        batch.push(p);
        this.queue.splice(i, 1);
      }
    }
    if (batch.length === 0) return; // each waits for its key's statement in flight
    for (const key of keys) this.inFlight.add(key);
    this.writing = true;
    let stalled = false;
    const timer = setTimeout(() => {
      stalled = true;
      this.writing = false;
      this.next();
    }, STALLED_MS);
    this.onBatch?.(batch.length);
    this.write(batch.map((p) => p.req))
      .then(
        (outcomes) => {
          for (const [i, p] of batch.entries()) settle(p, outcomes[i]);
        },
        async (err) => {
          if (batch.length === 1) return batch[0]?.reject(err);
          // One by one, before the next statement: a key's later write must not overtake its retry.
          for (const p of batch) await this.write([p.req]).then(([o]) => settle(p, o), p.reject);
        },
      )
      .finally(() => {
        clearTimeout(timer);
        for (const key of keys) this.inFlight.delete(key);
        if (!stalled) this.writing = false;
        this.next();
      });
  }
}

function settle<Req, Out>(p: Pending<Req, Out>, outcome: Out | Error | undefined): void {
  if (outcome instanceof Error) p.reject(outcome);
  else p.resolve(outcome as Out);
}
