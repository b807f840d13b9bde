import { createTestEnv } from '@reel/testing';
import { describe, expect, it } from 'vitest';
import { messages } from './activities.ts';
import { readFlow, storedFlows } from './stored-flows.ts';
import { activities, type FlowDefinition, runFlow, workflows } from './workflows.ts';

const startTime = '2026-03-02T09:00:00Z';

const sentTo = (to: string) => messages.filter((m) => m.to === to).map((m) => m.text);

describe('runFlow', () => {
  it('runs the welcome flow: a request, a message, a 3-day wait, a follow-up', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const handle = await env.client.start(runFlow, {
      definition: readFlow('welcome'),
      input: { userId: 'u1', followUpAfter: '3 days' },
    });

    expect(await handle.result()).toEqual({
      user: { status: 200, body: { name: 'Ada', email: 'ada@example.com' } },
      hello: { delivered: true },
      pause: null,
      'follow-up': { delivered: true },
    });
    expect(sentTo('ada@example.com')).toEqual(['Welcome, Ada!', 'How is it going, Ada?']);
    expect(env.now().toISOString()).toBe('2026-03-05T09:00:00.000Z');
  });

  it('keeps running the definition it started with when the stored one is edited', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const original = readFlow('welcome');
    const before = await env.client.start(runFlow, {
      definition: readFlow('welcome'),
      input: { userId: 'u2', followUpAfter: '1 day' },
    });
    await env.sleep('1 hour'); // the run waits in its 'pause' step

    // Someone edits the stored flow: another follow-up text.
    storedFlows.welcome = structuredClone(original);
    (storedFlows.welcome.steps[3] as FlowDefinition['steps'][number]).params.text =
      'Edited, {{steps.user.body.name}}!';
    try {
      const after = await env.client.start(runFlow, {
        definition: readFlow('welcome'),
        input: { userId: 'u2', followUpAfter: '1 day' },
      });
      await Promise.all([before.result(), after.result()]);
    } finally {
      storedFlows.welcome = original;
    }
    // The run in flight followed the definition it started with; the run started after the edit, the edit.
    expect(sentTo('grace@example.com')).toEqual([
      'Welcome, Grace!',
      'Welcome, Grace!',
      'How is it going, Grace?',
      'Edited, Grace!',
    ]);
  });

  it('fails a flow that names an unknown action before its first step', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const definition: FlowDefinition = {
      name: 'typo',
      steps: [
        { id: 'a', action: 'send_message', params: { to: 'ops@example.com', text: 'hi' } },
        { id: 'b', action: 'send_mesage', params: {} },
      ],
    };
    const handle = await env.client.start(runFlow, { definition, input: null });

    await expect(handle.result()).rejects.toMatchObject({
      failure: {
        message: "Flow typo: step b names the action 'send_mesage'; known: http_request, send_message, wait.",
      },
    });
    const { events } = await env.client.history(handle.id);
    expect(events.some((e) => e.type === 'activity_scheduled')).toBe(false);
  });

  it('retries a request whose server answers 5xx, with backoff in virtual time', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const definition: FlowDefinition = {
      name: 'flaky',
      steps: [
        { id: 'call', action: 'http_request', params: { method: 'POST', url: 'https://api.example/flaky' } },
      ],
    };
    const handle = await env.client.start(runFlow, { definition, input: null });

    await expect(handle.result()).rejects.toMatchObject({
      failure: { message: expect.stringContaining('503') },
    });
    expect(env.now().getTime() - Date.parse(startTime)).toBe(2_000 + 4_000 + 8_000 + 16_000); // 5 attempts
  });

  it('runs a flow on a schedule: the definition is the schedule input', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const definition: FlowDefinition = {
      name: 'standup',
      steps: [
        { id: 'remind', action: 'send_message', params: { to: '{{input.team}}', text: 'Stand-up in 5' } },
      ],
    };
    await env.client.schedules.create({
      id: 'standup',
      workflow: runFlow,
      cron: '55 9 * * 1-5',
      timezone: 'Europe/London',
      input: { definition, input: { team: 'team@example.com' } },
    });

    await env.sleep('7 days');
    expect(sentTo('team@example.com')).toHaveLength(5); // the weekdays
  });
});
