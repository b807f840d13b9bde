import { ErrorCodes, ReelError } from '../errors.ts';
import type { CallerTransaction, Store } from '../store/store.ts';
import { checkId, notFound, rethrowFor } from './validate.ts';

/**
 * Puts `item` (a signal, a cancel request) in the inbox of the latest run of `workflowId`, in the
 * caller's transaction if given: `REEL_WORKFLOW_NOT_FOUND` for an unknown id, `REEL_WORKFLOW_CLOSED`
 * naming `what` a closed run could not take.
 */
export async function deliver(
  store: Store,
  workflowId: string,
  item: Parameters<Store['enqueue']>[1],
  what: string,
  now: Date,
  tx?: CallerTransaction,
): Promise<void> {
  const delivered = await store.enqueue(checkId(workflowId), item, now, tx).catch(rethrowFor(tx));
  if (delivered === undefined) throw notFound(workflowId);
  if (!delivered) {
    throw new ReelError(
      ErrorCodes.WORKFLOW_CLOSED,
      `Workflow ${workflowId} has already closed, so it cannot take ${what}.`,
    );
  }
}
