import { ActivityFailure, type WorkflowContext } from '@reel/sdk';
import { type Balances, bookTransfer, createAccounts, type Transfer } from './bank.ts';

export type { Balances, Transfer } from './bank.ts';

export type TransferResult = { status: 'booked'; balances: Balances } | { status: 'refused'; reason: string };

/** Creates the app's tables if needed and opens the accounts in `balances` that do not exist yet. */
export async function openAccounts(ctx: WorkflowContext, balances: Balances): Promise<Balances> {
  return ctx.transaction(createAccounts, balances);
}

/**
 * Moves `cents` from one account to another, exactly once: the debit, the credit, the ledger row and
 * Reel's record of the step commit in one transaction, so a worker killed halfway leaves nothing, and
 * the worker that takes the run over books it once. The workflow id is the transfer's id: starting
 * the same id again returns the same run, and the ledger's key refuses a second row for it.
 */
export async function transfer(ctx: WorkflowContext, t: Transfer): Promise<TransferResult> {
  if (t.from === t.to || !Number.isInteger(t.cents) || t.cents <= 0) {
    throw new Error('A transfer needs two different accounts and a positive whole number of cents.');
  }
  try {
    return { status: 'booked', balances: await ctx.transaction(bookTransfer, ctx.info.workflowId, t) };
  } catch (err) {
    if (err instanceof ActivityFailure && err.failure.name === 'InsufficientFundsError') {
      return { status: 'refused', reason: err.failure.message };
    }
    throw err;
  }
}

/** What `reel dev --workflows examples/transfer-exactly-once/workflows.ts` and `reel worker` run. */
export const workflows = { openAccounts, transfer };
export const activities = { createAccounts, bookTransfer };
