import { createTestEnv } from '@reel/testing';
import { describe, expect, it } from 'vitest';
import { outbox, payouts } from './activities.ts';
import { activities, type Expense, expenseApproval, workflows } from './workflows.ts';

const expense = (id: string): Expense => ({
  id,
  employee: `${id}-ada@example.com`,
  manager: `${id}-grace@example.com`,
  cents: 12_050,
  description: 'a train ticket',
});

/** The subjects of the messages sent to `to`, in order. */
const mailTo = (to: string) => outbox.filter((m) => m.to === to).map((m) => m.subject);

const startTime = '2026-03-02T09:00:00Z';

describe('expenseApproval', () => {
  it('pays an expense the manager approves a day later', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const e = expense('e1');
    const handle = await env.client.start(expenseApproval, e, { id: 'expense-e1' });

    await env.sleep('1 day');
    expect(mailTo(e.manager)).toEqual(['Please approve $120.50 for a train ticket']);
    expect(await env.client.query('expense-e1', 'status')).toBe('waiting for a decision');
    await handle.signal('decision', { approved: true, by: 'grace' });

    expect(await handle.result()).toEqual({ status: 'approved', by: 'grace', payoutId: 'payout_e1' });
    expect(payouts.get('payout_e1')).toEqual({ employee: e.employee, cents: 12_050 });
    expect(mailTo(e.employee)).toEqual(['Expense e1 approved: $120.50 on its way']);
    expect(await env.client.query('expense-e1', 'status')).toBe('done');
    expect(env.now().toISOString()).toBe('2026-03-03T09:00:00.000Z');
  });

  it('tells the employee why the manager rejected it', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const e = expense('e2');
    const handle = await env.client.start(expenseApproval, e, { id: 'expense-e2' });
    await handle.signal('decision', { approved: false, by: 'grace', reason: 'not a business trip' });

    expect(await handle.result()).toEqual({ status: 'rejected', by: 'grace', reason: 'not a business trip' });
    expect(payouts.has('payout_e2')).toBe(false);
    expect(mailTo(e.employee)).toEqual(['Expense e2 rejected by grace: not a business trip']);
  });

  it('rejects it by default when nobody decides within 3 days', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const e = expense('e3');
    const handle = await env.client.start(expenseApproval, e, { id: 'expense-e3' });

    expect(await handle.result()).toEqual({ status: 'expired' });
    expect(env.now().toISOString()).toBe('2026-03-05T09:00:00.000Z'); // 3 days, skipped
    expect(payouts.has('payout_e3')).toBe(false);
    expect(mailTo(e.employee)).toEqual(['Expense e3 rejected: no decision in time']);
  });

  it('ignores a decision that comes after the deadline', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const handle = await env.client.start(expenseApproval, expense('e4'), { id: 'expense-e4' });
    await env.sleep('3 days 1 hour');

    await expect(handle.signal('decision', { approved: true, by: 'grace' })).rejects.toMatchObject({
      code: 'REEL_WORKFLOW_CLOSED',
    });
    expect(await handle.result()).toEqual({ status: 'expired' });
  });
});
