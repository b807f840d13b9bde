import type { Json } from '../codec.ts';
import type { Duration } from '../duration.ts';
import type { DebounceOptions, ThrottleOptions } from '../flow-options.ts';
import type { Logger } from '../logger.ts';
import type { PostgresOptions } from '../store/postgres/postgres-store.ts';
import type {
  CallerTransaction,
  ConcurrencyLimit,
  StartRequest,
  StartResult,
  Store,
  WorkflowDescription,
} from '../store/store.ts';
import type { RecordedEvent } from '../workflow/events.ts';
import type { PendingWork } from './pending.ts';
import type { ClosedRun } from './result-waiter.ts';

// What a Client is made with, and the handle it gives for one workflow.

/**
 * Connect to Postgres, or pass a `Store` (e.g. the test environment's); `clock` is the engine clock.
 * `worker`: a `Worker` of this process on the same database, which then runs the workflows this
 * client starts at once when it serves their type and has room (see `LocalWorker`).
 */
export type ClientOptions = ((PostgresOptions & { store?: undefined }) | { store: Store }) & {
  clock?: () => Date;
  worker?: LocalWorker;
  /** Counts the runs this client creates and terminates; `prometheusMetrics()` implements it. */
  metrics?: ClientMetrics;
  /**
   * A pino-compatible logger, for what the client's Postgres connection goes through (lost,
   * regained). Default: pino to stdout at `REEL_LOG_LEVEL`, else `info`.
   */
  logger?: Logger;
};

/** Hooks a client calls, for metrics; each optional, and none may throw or block. */
export interface ClientMetrics {
  /** This client created a run of `type` (a start that returned an existing run creates none). */
  workflowStarted?(type: string): void;
  /** This client terminated an open run of `type`. */
  workflowTerminated?(type: string): void;
  /** One statement carried `starts` of this client's starts (starts made at once go together). */
  startBatch?(starts: number): void;
}

/**
 * A worker in the client's process that takes the runs the client starts (`Worker` is one). Such a run
 * is created already claimed by that worker, which runs it at once, and `result()` gets its outcome
 * from the worker as soon as it is durable: no notification, claim or history read in between.
 */
export interface LocalWorker {
  /** Starts the run leased to this worker and runs it; undefined when it cannot take it now. */
  startLocally(req: StartRequest): Promise<StartResult | undefined>;
  /**
   * While this worker holds the run: resolves with it once it has closed durably here, or with
   * undefined when the worker lets it go still open. Undefined when the worker does not hold it.
   */
  closing(runId: string): Promise<ClosedRun | undefined> | undefined;
}

export interface StartOptions {
  /** The workflow id; generated when absent. Starting an id that exists returns the existing run. */
  id?: string;
  /**
   * When a run with this id exists: return it (`useExisting`, default, even if it has closed), `fail`,
   * or `terminateExisting` (terminate it if open, then start a new run).
   */
  onConflict?: 'useExisting' | 'fail' | 'terminateExisting';
  /** Start later: the run is created now and becomes runnable after this delay. */
  startDelay?: Duration;
  /** The run fails with REEL_WORKFLOW_TIMEOUT if still open this long after it started. */
  executionTimeout?: Duration;
  /** Attributes stored with the run and usable as `list({ attributes })` filters. */
  attributes?: Record<string, Json>;
  /**
   * Your own `pg` client, inside a transaction (after `BEGIN`): the start runs on it, so the run exists
   * if and only if your transaction commits, and workers hear of it at the commit. Postgres store only.
   */
  transaction?: CallerTransaction;
  /**
   * At most `limit` open runs of `key` have started, across all workers; a run started beyond that
   * waits (`describe().waitingFor`) until a run of the key closes, in start order. Not with `startDelay`.
   * @example { concurrency: { key: `customer-${customerId}`, limit: 1 } }
   */
  concurrency?: ConcurrencyLimit;
  /**
   * 0 (default) to 10, higher first: a run is claimed before runs of lower priority that became
   * ready up to one minute per level later; one that has waited longer goes first (no starvation).
   */
  priority?: number;
  /**
   * Coalesces a burst: the run of this workflow type and `key` that no worker has started yet takes
   * this start's input (the last input wins) and starts `period` after it; without one, a run is
   * created that starts after `period`. Not with `id`, `startDelay` or `concurrency`.
   * @example { debounce: { key: `reindex-${userId}`, period: '10s' } }
   */
  debounce?: DebounceOptions;
  /**
   * At most one run per `period`: a start within `period` of the start of the latest run of this
   * workflow type and `key` returns that run (`created` false; the first input wins); otherwise a run
   * is created and starts at once. Not with `id`, `startDelay` or `debounce`.
   * @example { throttle: { key: `sync-${accountId}`, period: '1 minute' } }
   */
  throttle?: ThrottleOptions;
}

/** Options of `client.signal`. */
export interface SignalSendOptions {
  /** Your own `pg` client, inside a transaction: the signal arrives if and only if it commits. */
  transaction?: CallerTransaction;
}

/** A recorded history, as exported by `client.history()`; replayable against new code. */
export interface WorkflowHistory {
  workflowId: string;
  runId: string;
  workflowType: string;
  events: RecordedEvent[];
}

/** A started workflow. `R` is the workflow function's result type. */
export interface WorkflowHandle<R> {
  readonly id: string;
  /** The run this handle is bound to; undefined for `getHandle(id)`, which follows the latest run. */
  readonly runId: string | undefined;
  /** False when `start` found an existing run with this id and returned it. */
  readonly created: boolean;
  /** Waits for the run to close; throws `WorkflowFailedError` or `CancelledError` when it did not complete. */
  result(options?: { timeout?: Duration }): Promise<R>;
  describe(): Promise<WorkflowDescription & { pending?: PendingWork }>;
  signal(name: string, payload?: unknown, options?: SignalSendOptions): Promise<void>;
  cancel(reason?: string): Promise<void>;
  terminate(reason?: string): Promise<void>;
}
