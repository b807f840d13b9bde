import { createTestEnv } from '@reel/testing';
import { describe, expect, it } from 'vitest';
import { delivered, mailer, sendEmail } from './activities.ts';
import { activities, bulkEmail, workflows } from './workflows.ts';

/** How many addresses the fake provider delivered `campaignId` to. */
const deliveredFor = (campaignId: string) =>
  [...delivered].filter((d) => d.startsWith(`${campaignId}:`)).length;

describe('bulkEmail', () => {
  it('sends to every address at most 5 at a time, and counts the bounces without stopping', async () => {
    await using env = await createTestEnv({ workflows, activities });
    mailer.maxInFlight = 0;
    const handle = await env.client.start(
      bulkEmail,
      { id: 'c1', listId: 'demo-120', pageSize: 50, concurrency: 5 },
      { id: 'campaign-c1' },
    );

    const progress = await handle.result();
    // user7, user57 and user107 bounce.
    expect(progress).toEqual({
      cursor: 120,
      sent: 117,
      failed: 3,
      failures: [
        'user7@example.com bounced: mailbox does not exist.',
        'user57@example.com bounced: mailbox does not exist.',
        'user107@example.com bounced: mailbox does not exist.',
      ],
      runs: 1,
    });
    expect(deliveredFor('c1')).toBe(117);
    expect(mailer.maxInFlight).toBeLessThanOrEqual(5);
    expect(mailer.maxInFlight).toBeGreaterThan(1);
    expect(await env.client.query('campaign-c1', 'progress')).toEqual(progress);
  });

  it('continues as new every few pages, so no history grows with the list', async () => {
    await using env = await createTestEnv({ workflows, activities });
    const handle = await env.client.start(
      bulkEmail,
      { id: 'c2', listId: 'demo-2000', pageSize: 100, pagesPerRun: 5 },
      { id: 'campaign-c2' },
    );

    expect(await handle.result()).toMatchObject({ cursor: 2000, sent: 1960, failed: 40, runs: 4 });
    expect(deliveredFor('c2')).toBe(1960);
    const { items } = await env.client.list({ type: 'bulkEmail' });
    const runs = items.filter((r) => r.workflowId === 'campaign-c2');
    expect(runs.map((r) => r.status).sort()).toEqual(['completed', 'continued', 'continued', 'continued']);
    // Each run recorded 5 pages of 100 sends at most: about 1,000 events, not 4,000.
    for (const run of runs) {
      const { events } = await env.client.history('campaign-c2', { runId: run.runId });
      expect(events.length).toBeLessThanOrEqual(1_020);
    }
  });

  it('retries a send that fails for a while, and counts it as sent', async () => {
    let calls = 0;
    await using env = await createTestEnv({
      workflows,
      activities,
      mocks: new Map([
        [
          sendEmail,
          async (campaignId: string, to: string) => {
            if (to === 'user3@example.com' && ++calls < 3) throw new Error('421 Try again later');
            return sendEmail(campaignId, to);
          },
        ],
      ]),
    });
    const handle = await env.client.start(bulkEmail, { id: 'c3', listId: 'demo-10' }, { id: 'campaign-c3' });

    // user3 is sent on its third attempt; user7 bounces.
    expect(await handle.result()).toMatchObject({ sent: 9, failed: 1 });
    expect(calls).toBe(3);
    expect(delivered.has('c3:user3@example.com')).toBe(true);
  });
});
