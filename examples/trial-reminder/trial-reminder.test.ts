import type { Client } from '@reel/sdk';
import { createTestEnv } from '@reel/testing';
import { describe, expect, it } from 'vitest';
import { accounts } from './activities.ts';
import { activities, type Trial, trialReminder, workflows } from './workflows.ts';

const startTime = '2026-03-02T10:00:00Z';

function trial(userId: string, endsAt: string, card?: string): Trial {
  accounts.set(userId, { plan: 'trial', card });
  return { userId, email: `${userId}@example.com`, endsAt };
}

/** The emails a run sent and when, read from its history (the virtual time of each step). */
async function emailsOf(client: Client, workflowId: string): Promise<[string, string][]> {
  const { events } = await client.history(workflowId);
  return events.flatMap((e) =>
    e.type === 'activity_scheduled' && e.name === 'sendEmail' ? [[String(e.args[1]), e.at]] : [],
  );
}

describe('trialReminder', () => {
  it('welcomes, sends tips 3 days later, and converts a user with a card on the end date', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const handle = await env.client.start(trialReminder, trial('u1', '2026-03-16T00:00:00Z', '4242'), {
      id: 'trial-u1',
    });

    expect(await handle.result()).toEqual({ status: 'converted' });
    expect(accounts.get('u1')?.plan).toBe('pro');
    expect(await emailsOf(env.client, 'trial-u1')).toEqual([
      ['welcome', '2026-03-02T10:00:00.000Z'],
      ['tips', '2026-03-05T10:00:00.000Z'],
      ['welcome-to-pro', '2026-03-16T00:00:00.000Z'],
    ]);
  });

  it('reminds a user who saved no card', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const handle = await env.client.start(trialReminder, trial('u2', '2026-03-16T00:00:00Z'), {
      id: 'trial-u2',
    });

    expect(await handle.result()).toEqual({ status: 'reminded' });
    expect(accounts.get('u2')?.plan).toBe('trial');
    expect((await emailsOf(env.client, 'trial-u2')).at(-1)).toEqual([
      'trial-ended-add-a-card',
      '2026-03-16T00:00:00.000Z',
    ]);
  });

  it('reads the card on the end date, not at the start', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const handle = await env.client.start(trialReminder, trial('u3', '2026-03-16T00:00:00Z'), {
      id: 'trial-u3',
    });
    await env.sleep('10 days');
    accounts.set('u3', { plan: 'trial', card: '4242' }); // added a card on day 10

    expect(await handle.result()).toEqual({ status: 'converted' });
  });

  it('decides right after the tips when the trial ends before them', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const handle = await env.client.start(trialReminder, trial('u4', '2026-03-04T10:00:00Z'), {
      id: 'trial-u4',
    });

    expect(await handle.result()).toEqual({ status: 'reminded' });
    const { events } = await env.client.history('trial-u4');
    expect(events.filter((e) => e.type === 'timer_started')).toHaveLength(1); // no sleep into the past
    expect((await emailsOf(env.client, 'trial-u4')).at(-1)?.[1]).toBe('2026-03-05T10:00:00.000Z');
  });

  it('fails a run whose end date is not a date, before sending anything', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const handle = await env.client.start(trialReminder, trial('u5', 'next Tuesday'), { id: 'trial-u5' });

    await expect(handle.result()).rejects.toMatchObject({
      failure: { message: "The trial's endsAt 'next Tuesday' is not a date." },
    });
    expect(await emailsOf(env.client, 'trial-u5')).toEqual([]);
  });
});
