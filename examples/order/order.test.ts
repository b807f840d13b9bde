import { Client, replaceActivity } from '@reel/sdk';
import { createTestEnv } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import { Worker } from '@reel/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargeCard, refund, ship } from './activities.ts';
import { type Order, orderWorkflow } from './workflows.ts';

const db = useTestDatabase();
let worker: Worker;
let client: Client;

/** Every card `chargeCard` was attempted on, in order. */
const chargeAttempts: string[] = [];

// Stands in for the real activity (same name in history, same retry policy) and counts its attempts.
const countedChargeCard = replaceActivity(chargeCard, async (card: string, cents: number) => {
  chargeAttempts.push(card);
  return chargeCard(card, cents);
});

beforeAll(async () => {
  worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { orderWorkflow },
    activities: { chargeCard: countedChargeCard, refund, ship },
    handleSignals: false,
  });
  void worker.run();
  client = new Client({ connectionString: db.connectionString });
});

afterAll(async () => {
  await worker?.shutdown();
  await client?.close();
});

function order(id: string, fields: Partial<Order> = {}): Order {
  return { id, card: '4242 4242 4242 4242', total: 4200, ...fields };
}

/** The activities a run called, in order, read from its history. */
async function activitiesOf(workflowId: string): Promise<string[]> {
  const { events } = await client.history(workflowId);
  return events.flatMap((e) => (e.type === 'activity_scheduled' ? [e.name] : []));
}

describe('orderWorkflow', () => {
  it('ships an approved order after the delay', async () => {
    const handle = await client.start(orderWorkflow, order('A-1', { shipAfter: '200ms' }), {
      id: 'order-A-1',
    });
    // Sent before the workflow waits for it: signals are buffered, never lost.
    await handle.signal('approve', { approved: true });

    const result = await handle.result();
    expect(result).toEqual({
      status: 'shipped',
      paymentId: expect.stringMatching(/^pay_/),
      trackingId: expect.stringMatching(/^TRK-A-1-/),
    });
    expect(await activitiesOf('order-A-1')).toEqual(['chargeCard', 'ship']);
    const { events } = await client.history('order-A-1');
    expect(events.filter((e) => e.type === 'timer_fired')).toHaveLength(1); // the sleep, not the approval timeout
  });

  it('refunds a rejected order', async () => {
    const handle = await client.start(orderWorkflow, order('A-2'), { id: 'order-A-2' });
    await handle.signal('approve', { approved: false, by: 'risk team' });

    expect(await handle.result()).toEqual({ status: 'rejected' });
    expect(await activitiesOf('order-A-2')).toEqual(['chargeCard', 'refund']);
  });

  it('refunds when nobody approves in time', async () => {
    const handle = await client.start(orderWorkflow, order('A-3', { approvalTimeout: '300ms' }), {
      id: 'order-A-3',
    });

    expect(await handle.result()).toEqual({ status: 'rejected' });
    expect(await activitiesOf('order-A-3')).toEqual(['chargeCard', 'refund']);
  });

  it('fails on a declined card without retrying the charge', async () => {
    const declined = '4000 0000 0000 0000';
    const handle = await client.start(orderWorkflow, order('A-4', { card: declined }), { id: 'order-A-4' });

    await expect(handle.result()).rejects.toMatchObject({
      code: 'REEL_WORKFLOW_FAILED',
      failure: { code: 'REEL_ACTIVITY_FAILED', message: expect.stringContaining('declined') },
    });
    expect(chargeAttempts.filter((card) => card === declined)).toHaveLength(1);
    const { events } = await client.history('order-A-4');
    expect(events.find((e) => e.type === 'activity_failed')).toMatchObject({
      attempts: 1,
      error: { name: 'CardDeclinedError' },
    });
    expect(await activitiesOf('order-A-4')).toEqual(['chargeCard']); // no refund: nothing was charged
  });
});

describe('orderWorkflow on a virtual clock', () => {
  it('refunds after the default 3 days without approval, in milliseconds', async () => {
    // No database: an in-memory store, and a clock that jumps to the next timer when nothing runs.
    const env = await createTestEnv({
      workflows: { orderWorkflow },
      activities: { chargeCard, refund, ship },
    });
    try {
      const started = env.now().getTime();
      const handle = await env.client.start(orderWorkflow, order('B-1'));

      expect(await handle.result()).toEqual({ status: 'rejected' });
      expect(env.now().getTime() - started).toBeGreaterThanOrEqual(3 * 86_400_000);
    } finally {
      await env.close();
    }
  });
});
