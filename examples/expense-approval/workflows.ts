import type { Duration, WorkflowContext } from '@reel/sdk';
import { reimburse, sendEmail } from './activities.ts';

/** The workflow input: plain JSON. */
export interface Expense {
  id: string;
  employee: string;
  manager: string;
  /** The amount to reimburse, in cents. */
  cents: number;
  description: string;
  /** How long the manager has to decide before the expense is rejected. Default '3 days'. */
  decisionTimeout?: Duration;
}

/** The payload of the 'decision' signal the manager's app sends. */
export interface Decision {
  approved: boolean;
  by: string;
  reason?: string;
}

export type ExpenseResult =
  | { status: 'approved'; by: string; payoutId: string }
  | { status: 'rejected'; by: string; reason: string }
  | { status: 'expired' };

/** What the 'status' query answers: where the expense stands. */
export type ExpenseStatus = 'waiting for a decision' | 'paying' | 'done';

/**
 * Asks the manager to decide on an expense and waits up to `decisionTimeout` (3 days) for the
 * 'decision' signal. Approved, it is paid and the employee told; rejected, or not decided in time,
 * the employee is told why. The wait is a durable timer: no worker is busy for those 3 days.
 */
export async function expenseApproval(ctx: WorkflowContext, expense: Expense): Promise<ExpenseResult> {
  let status: ExpenseStatus = 'waiting for a decision';
  ctx.onQuery('status', () => status);

  const amount = `$${(expense.cents / 100).toFixed(2)}`;
  await ctx.activity(sendEmail, expense.manager, `Please approve ${amount} for ${expense.description}`);
  const decision = await ctx.signal<Decision>('decision', { timeout: expense.decisionTimeout ?? '3 days' });

  let result: ExpenseResult;
  if (decision === undefined) {
    result = { status: 'expired' };
    await ctx.activity(sendEmail, expense.employee, `Expense ${expense.id} rejected: no decision in time`);
  } else if (!decision.approved) {
    const reason = decision.reason ?? 'no reason given';
    result = { status: 'rejected', by: decision.by, reason };
    await ctx.activity(
      sendEmail,
      expense.employee,
      `Expense ${expense.id} rejected by ${decision.by}: ${reason}`,
    );
  } else {
    status = 'paying';
    const payoutId = await ctx.activity(reimburse, expense.id, expense.employee, expense.cents);
    result = { status: 'approved', by: decision.by, payoutId };
    await ctx.activity(sendEmail, expense.employee, `Expense ${expense.id} approved: ${amount} on its way`);
  }
  status = 'done';
  return result;
}

/** What `reel dev --workflows examples/expense-approval/workflows.ts` and `reel worker` run. */
export const workflows = { expenseApproval };
export const activities = { sendEmail, reimburse };
