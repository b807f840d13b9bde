import { assertJson } from '../codec.ts';
import { ErrorCodes, ReelError } from '../errors.ts';
import type { BatchFilter } from '../store/batches.ts';
import type { CallerTransaction, StartResult } from '../store/store.ts';
import { WORKFLOW_STATUSES, type WorkflowStatus } from '../store/store.ts';

const MAX_ID = 256;

function invalid(message: string): ReelError {
  return new ReelError(ErrorCodes.INVALID_ARGUMENT, message);
}

/** Postgres text cannot hold U+0000, and a lone surrogate would come back changed. */
const storable = (s: string) => !s.includes('\u0000') && s.isWellFormed();

/** A workflow id: a non-empty string of at most 256 characters. */
export function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID || !storable(id)) {
    throw invalid(
      `A workflow id must be a non-empty string of at most ${MAX_ID} characters, not ${JSON.stringify(id)}.`,
    );
  }
  return id;
}

/** A signal or type name: a non-empty string of at most 256 characters. */
export function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_ID || !storable(name)) {
    throw invalid(
      `The ${what} must be a non-empty string of at most ${MAX_ID} characters, not ${JSON.stringify(name)}.`,
    );
  }
  return name;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A run id, as returned by `start`. */
export function checkRunId(runId: unknown): string {
  if (typeof runId !== 'string' || !UUID.test(runId))
    throw invalid(`A run id is a UUID, not ${JSON.stringify(runId)}.`);
  return runId;
}

const TAKE_A_CLIENT =
  "Take a client with `const tx = await pool.connect()`, run `await tx.query('BEGIN')`, pass `{ transaction: tx }`, then COMMIT or ROLLBACK.";

/**
 * The caller's transaction: a `pg` client (not a pool: a pool's query is a transaction of its own), and,
 * where its `pg` can tell (`getTransactionStatus`), inside a transaction block that has
 * not failed.
 */
export function checkTransaction(tx: unknown): CallerTransaction {
  const client = tx as Partial<CallerTransaction> & { totalCount?: unknown };
  if (typeof tx !== 'object' || tx === null || typeof client.query !== 'function')
    throw invalid(
      `transaction must be a pg client inside a transaction, not ${tx === null ? 'null' : typeof tx}. ${TAKE_A_CLIENT}`,
    );
  if (client.totalCount !== undefined)
    throw invalid(`transaction is a pg pool, whose queries each commit on their own. ${TAKE_A_CLIENT}`);
  const status = client.getTransactionStatus?.();
  if (status === 'I')
    throw invalid(
      `transaction is a pg client outside any transaction: run BEGIN on it first. ${TAKE_A_CLIENT}`,
    );
  if (status === 'E') throw invalid(FAILED_TRANSACTION);
  return tx as CallerTransaction;
}

const FAILED_TRANSACTION =
  'transaction is a pg client whose transaction failed: roll it back and start again.';

/**
 * A write on the caller's transaction refused because an earlier statement of it had failed: the
 * error `checkTransaction` gives, which it cannot always give itself (pg reports a failed statement
 * before it learns that the transaction is aborted).
 */
export function callerTransactionError(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code === '25P02' ? invalid(FAILED_TRANSACTION) : err;
}

/** The type name a workflow is registered and recorded under: its function's name. */
export function workflowTypeOf(workflow: unknown): string {
  if (typeof workflow === 'function') {
    if (workflow.name) return workflow.name;
    throw invalid(
      'This workflow function has no name. Declare it as `async function myWorkflow(ctx, input)` or start it by its registered name.',
    );
  }
  return checkName(workflow, 'workflow type');
}

/** The error for a workflow id no run has. */
export function notFound(workflowId: string): ReelError {
  return new ReelError(
    ErrorCodes.WORKFLOW_NOT_FOUND,
    `No workflow with id ${JSON.stringify(workflowId)}. Check the id, or list workflows with client.list().`,
  );
}

/** The filter of `list` and of a batch: known statuses, a type name, JSON attributes, dates. */
export function checkFilter(filter: BatchFilter): void {
  if (typeof filter !== 'object' || filter === null) throw invalid('The filter must be an object.');
  // An unknown status would match nothing: an empty page that hides the typo.
  const statuses = ([] as unknown[]).concat(filter.status ?? []);
  const unknown = statuses.find((s) => !WORKFLOW_STATUSES.includes(s as WorkflowStatus));
  if (unknown !== undefined) {
    throw invalid(
      `status must be one or more of ${WORKFLOW_STATUSES.join(', ')}, not ${JSON.stringify(unknown)}.`,
    );
  }
  if (filter.type !== undefined) checkName(filter.type, 'workflow type');
  assertJson(filter.attributes, 'The attributes filter');
  if (filter.latest !== undefined && typeof filter.latest !== 'boolean')
    throw invalid(`latest must be true or false, not ${JSON.stringify(filter.latest)}.`);
  for (const key of ['createdAfter', 'createdBefore'] as const) {
    const at = filter[key];
    if (at !== undefined && !(at instanceof Date && !Number.isNaN(at.getTime())))
      throw invalid(`${key} must be a valid Date, not ${JSON.stringify(at)}.`);
  }
}

/** Throws if `start` returned no run, or a run this start must not accept (`policy`: its onConflict). */
export function checkStarted(started: StartResult, workflowId: string, type: string, policy: string): void {
  if (!started.knownType) {
    throw new ReelError(
      ErrorCodes.UNKNOWN_WORKFLOW_TYPE,
      `No worker has registered workflow type '${type}'. Register it in Worker.create({ workflows: { ${type} } }) and start that worker, or check the name.`,
    );
  }
  if (!started.created && started.type !== type) {
    throw new ReelError(
      ErrorCodes.WORKFLOW_ALREADY_STARTED,
      `Workflow id ${workflowId} belongs to a '${started.type}' workflow, not '${type}'. Use another id.`,
    );
  }
  if (!started.created && policy === 'fail') {
    throw new ReelError(
      ErrorCodes.WORKFLOW_ALREADY_STARTED,
      `Workflow ${workflowId} already exists (run ${started.runId}). Use another id, or omit onConflict to get the existing run.`,
    );
  }
}

/** A page size: an integer from 1 to 1000. */
export function checkLimit(limit: number): void {
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= 1000))
    throw new ReelError(
      ErrorCodes.INVALID_ARGUMENT,
      `limit must be an integer from 1 to 1000, not ${limit}.`,
    );
}

/** Rethrows a store's error, made plain when it came from the caller's failed transaction `tx`. */
export function rethrowFor(tx: CallerTransaction | undefined): (err: unknown) => never {
  return (err) => {
    throw tx ? callerTransactionError(err) : err;
  };
}
