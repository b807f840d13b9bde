import type { Json } from '../codec.ts';
import type { ErrorInfo } from '../errors.ts';
import type { ConcurrencyLimit } from '../flow-options.ts';
import type { ParentClosePolicy } from '../workflow/context.ts';
import type { HistoryEvent, RunTrace } from '../workflow/events.ts';

export type { ConcurrencyLimit } from '../flow-options.ts';

// The store port's runs: their statuses, what describe and list say of them, and how one starts.

/** `running` and `parked` are open; the others are closed for good. */
export type WorkflowStatus =
  | 'running'
  | 'parked'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'terminated'
  | 'continued'
  | 'reset';

export const OPEN_STATUSES: readonly WorkflowStatus[] = ['running', 'parked'];

/** Every `WorkflowStatus`, for checking a status that came from outside. */
export const WORKFLOW_STATUSES: readonly WorkflowStatus[] = [
  'running',
  'parked',
  'completed',
  'failed',
  'cancelled',
  'terminated',
  'continued',
  'reset',
];

/** What `describe()` and `list()` return about one run. */
export interface WorkflowDescription {
  workflowId: string;
  runId: string;
  type: string;
  status: WorkflowStatus;
  input: Json | undefined;
  result?: Json;
  error?: ErrorInfo;
  /** Set while the run is parked: why, how many times, and when it is tried again. */
  parked?: { error: ErrorInfo; attempts: number; retryAt: Date | null };
  historyLength: number;
  /** User attributes given at start. */
  attributes?: Record<string, Json>;
  /** Set for a child workflow: its parent's run. */
  parentRunId?: string;
  /** Set for a child workflow while its parent's run is kept: the parent's workflow id. */
  parentWorkflowId?: string;
  /** Set once the run was reset: the run that took over from a point of its history. */
  resetTo?: string;
  /** Its start's priority, when not 0. */
  priority?: number;
  /** Set while the run waits to start: for a slot of its concurrency key (see docs/flow-control.md). */
  waitingFor?: { concurrencyKey: string };
  createdAt: Date;
  updatedAt: Date;
  closedAt?: Date;
}

type StartedEvent = Extract<HistoryEvent, { type: 'workflow_started' }>;

export interface StartRequest {
  workflowId: string;
  runId: string;
  type: string;
  input: Json | undefined;
  now: Date;
  /** Start a new run unless one is open (default: return the latest run, even a closed one). */
  newRun?: boolean;
  /** Claimable from this time (a delayed start). */
  readyAt?: Date;
  attributes?: Record<string, Json>;
  /** Recorded in `workflow_started`: the run fails if still open this long after it started. */
  executionTimeoutMs?: number;
  /**
   * For a child: its parent's run, the command that starts it, its parent-close policy, and the
   * parent's lease. The start is fenced by that lease (a worker that lost its parent starts nothing:
   * `parentLost`), and a run already started for this parent command is returned, even closed.
   */
  parent?: { runId: string; cmd: number; closePolicy: ParentClosePolicy; fencingToken: number };
  /**
   * Create the run already claimed by worker `owner` for `ms` (by the store's clock), with fencing
   * token 1, and wake no other worker: a worker in the starting process runs it at once (see `LocalWorker`).
   */
  lease?: { owner: string; ms: number };
  /** Recorded in `workflow_started`: the trace the run's spans join. */
  trace?: RunTrace;
  /**
   * At most `limit` runs of `key` hold a slot (from start to close); a run started when all are held
   * waits, unclaimable, and takes the slot the next holder's close frees, in start order.
   */
  concurrency?: ConcurrencyLimit;
  /**
   * 0 to 10: claims take ready runs in order of the time they became ready less one minute per level
   * ({@link claimOrder}). Unset: its parent's for a child, else 0.
   */
  priority?: number;
  /**
   * Joins the run of this type and key that no worker has claimed yet, if one exists: it takes this
   * start's input and `readyAt` (no later than `maxWaitMs` after that run was created, if given), and
   * the result names it (`created` false). Otherwise starts one.
   */
  debounce?: { key: string; maxWaitMs?: number };
  /**
   * Returns the latest run of this type and key if it was created less than `periodMs` before `now`
   * (by the engine clocks that stamped them); otherwise starts one that carries the key.
   */
  throttle?: { key: string; periodMs: number };
}

/** How long a priority level is worth: a run outranks lower ones that became ready this much later per level. */
export const PRIORITY_STEP_MS = 60_000;

/**
 * The order in which claims take ready runs: `readyAt` less {@link PRIORITY_STEP_MS} per priority
 * level for a run no worker holds (a held run's `readyAt` is its lease expiry, and an orphan has none).
 */
export function claimOrder(readyAt: Date, held: boolean, priority: number): number {
  return readyAt.getTime() - (held ? 0 : priority * PRIORITY_STEP_MS);
}

/** What `workflow_started`, the first event of the run `req` starts, records (every store the same). */
export function startedData(req: StartRequest): Omit<StartedEvent, 'type'> {
  return {
    workflowType: req.type,
    input: req.input,
    ...(req.executionTimeoutMs === undefined ? {} : { executionTimeoutMs: req.executionTimeoutMs }),
    ...(req.parent ? { parent: { runId: req.parent.runId, cmd: req.parent.cmd } } : {}),
    ...(req.trace ? { trace: req.trace } : {}),
  };
}

export interface StartResult {
  runId: string;
  /** False when a run with this workflow id already existed and was returned instead. */
  created: boolean;
  /** False when no worker has ever registered the type (nothing was created). */
  knownType: boolean;
  /** The type of the run returned (differs from the requested one if the id belongs to another workflow). */
  type: string;
  /** For a child start: the run returned was started for this parent command (now or before). */
  ofParent?: boolean;
  /** For a child start: the parent's lease is lost, so nothing was started. */
  parentLost?: boolean;
  /** For a debounced start that joined a pending run, or a throttled one: that run's workflow id. */
  workflowId?: string;
}

export interface ListFilter {
  status?: WorkflowStatus | WorkflowStatus[];
  type?: string;
  /** Runs whose attributes contain all of these. */
  attributes?: Record<string, Json>;
  /** Runs created at or after this time. */
  createdAfter?: Date;
  /** Runs created before this time. */
  createdBefore?: Date;
  /**
   * Only the latest run of each workflow id: leaves out the runs that a reset, a continue-as-new or
   * a new start of the id took over. `{ status: 'failed', latest: true }` lists the ids whose
   * outcome is a failure, without the ones a reset retried.
   */
  latest?: boolean;
  /** Page size, 1–1000. Default 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface ListPage {
  items: WorkflowDescription[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}
