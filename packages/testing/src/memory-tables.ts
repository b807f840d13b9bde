import type {
  ConcurrencyLimit,
  ErrorInfo,
  InboxItem,
  Json,
  RecordedEvent,
  StoreListener,
  WorkflowStatus,
} from '@reel/sdk';

/** A run as the memory store holds it: a row of `reel.workflows`, with its history and inbox. */
export interface Run {
  runId: string;
  workflowId: string;
  type: string;
  status: WorkflowStatus;
  input: Json | undefined;
  result?: Json;
  error?: ErrorInfo;
  readyAt: Date | null;
  leaseOwner: string | null;
  fencingToken: number;
  inboxVersion: number;
  history: RecordedEvent[];
  inbox: InboxItem[];
  parkedError?: ErrorInfo;
  parkAttempts: number;
  createdAt: Date;
  updatedAt: Date;
  closedAt?: Date;
  /** Insertion order: which run of a workflow id is the latest. */
  order: number;
  attributes?: Record<string, Json>;
  parent?: { runId: string; cmd: number; closePolicy: string };
  /** Set once the run was reset: the run that took over. */
  resetTo?: string;
  /** The updates sent to this run, by id (`reel.updates`), with a validator's rejection. */
  updates?: Map<string, { rejection: ErrorInfo | null }>;
  concurrency?: ConcurrencyLimit;
  /** 0 to 10, as started; orders claims (`claimOrder`). */
  priority?: number;
  /** A debounced start's key: later starts of its type and key join it until a worker claims it. */
  debounceKey?: string;
  /** A throttled start's key: later starts of its type and key within their period return this run. */
  throttleKey?: string;
  /** Whether the open run holds a slot of its concurrency key or waits for one. */
  slot?: 'held' | 'waiting';
}

/**
 * What every part of the memory store shares, as Postgres's tables and clock are shared: the runs,
 * the registered types, the sequences, the store's clock, and the listeners.
 */
export class MemoryTables {
  readonly runs = new Map<string, Run>();
  readonly types = new Set<string>();
  readonly listeners = new Set<StoreListener>();
  private nextInboxId = 1;
  private nextOrder = 0;

  constructor(private readonly clock: (() => Date) | undefined) {}

  /** The next inbox item id: ids grow in insertion order, as a `bigserial` does. */
  inboxId(): string {
    return String(this.nextInboxId++);
  }

  /** The next run's insertion order. */
  order(): number {
    return this.nextOrder++;
  }

  /** The store's clock for a call made at engine time `now`: its own clock if it has one. */
  storeNow(now: Date): Date {
    return this.clock?.() ?? now;
  }

  /** The latest run of a workflow id: the one inserted last. */
  latest(workflowId: string): Run | undefined {
    let found: Run | undefined;
    for (const r of this.runs.values())
      if (r.workflowId === workflowId && (!found || r.order > found.order)) found = r;
    return found;
  }

  /** Notifications are delivered after the caller's operation completes, as Postgres delivers on commit. */
  emit(send: (l: StoreListener) => void): void {
    for (const l of this.listeners) queueMicrotask(() => send(l));
  }

  /** Input came for `run`, or it became runnable: its holder hears `onInput`, or if none, every listener `onWake`. */
  wake(run: Pick<Run, 'runId' | 'leaseOwner'>): void {
    const { runId, leaseOwner } = run;
    if (leaseOwner === null) this.emit((l) => l.onWake?.(runId));
    else this.emit((l) => l.worker === leaseOwner && l.onInput?.(runId));
  }

  /**
   * `run` closed: `onClosed` with its outcome when it is small, as Postgres's notification carries it
   * (0026_close_outcome.sql), and `onTickClosed` if its workflow id holds `@`.
   */
  closed(run: Run): void {
    const { workflowId, runId, status, result, error } = run;
    const outcome = { result, error };
    const small = JSON.stringify({ id: workflowId, run: runId, status, outcome }).length < 1000;
    this.emit((l) => {
      l.onClosed?.(workflowId, { runId, status, ...(small ? { outcome: copy(outcome) } : {}) });
      if (workflowId.includes('@')) l.onTickClosed?.(workflowId);
    });
  }
}

/** A copy through JSON, as values go into and come out of a database. */
export function copy<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}
