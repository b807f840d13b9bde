import { activityContext, defineActivity, type WorkflowContext } from '@reel/sdk';
import { createTestEnv } from '@reel/testing';
import { describe, expect, inject, it } from 'vitest';

/**
 * Task-queue activities in the time-skipping test environment: its worker serves the queues its
 * activities name, and an hour of retry backoff passes at once, on both stores.
 */
const transcode = defineActivity(
  async (file: string) => {
    const { attempt, lastHeartbeat, heartbeat } = activityContext();
    heartbeat({ file, attempt });
    if (attempt < 3) throw new Error(`encoder busy (attempt ${attempt})`);
    return { file, attempt, resumedFrom: lastHeartbeat ?? null };
  },
  { taskQueue: 'media', retry: { backoff: 'constant', initialInterval: '1 hour', maxAttempts: 3 } },
);

async function publish(ctx: WorkflowContext, file: string) {
  const started = ctx.now().getTime();
  const result = await ctx.activity(transcode, file);
  return { ...result, hours: (ctx.now().getTime() - started) / 3_600_000 };
}

describe.each(['memory', 'postgres'] as const)('task queues in virtual time (%s store)', (store) => {
  it('runs the task on the env worker and skips the backoff between its attempts', async () => {
    await using env = await createTestEnv({
      workflows: { publish },
      activities: { transcode },
      store,
      ...(store === 'postgres' ? { connectionString: inject('databaseUrl') } : {}),
    });
    const handle = await env.client.start(publish, 'intro.mov');
    expect(await handle.result()).toEqual({
      file: 'intro.mov',
      attempt: 3,
      resumedFrom: { file: 'intro.mov', attempt: 2 },
      hours: 2,
    });
    const { events } = await env.client.history(handle.id);
    expect(events.filter((e) => e.type === 'activity_retrying')).toHaveLength(2);
  });
});
