import { ErrorCodes, type WorkflowContext } from '@reel/sdk';
import { expect, inject, it, vi } from 'vitest';
import { createTestEnv, type TestEnvOptions } from '../src/index.ts';

const concurrency = { key: 'renderer', limit: 1 };

async function holder(ctx: WorkflowContext) {
  await ctx.sleep('1 day');
}

async function leaf(_ctx: WorkflowContext) {}

async function parent(ctx: WorkflowContext) {
  const limited = await ctx.startChild(leaf, undefined, { id: 'limited', concurrency });
  const urgent = await ctx.startChild(leaf, undefined, { id: 'urgent', priority: 9 });
  await Promise.all([limited.result(), urgent.result()]);
}

const start = '2030-01-01T00:00:00.000Z';

for (const store of ['memory', 'postgres'] as const) {
  it(`a child's concurrency and priority (${store}): it waits for its key's slot, takes its parent's priority unless given, and history records them`, async () => {
    const options: TestEnvOptions = { workflows: { holder, leaf, parent }, startTime: start };
    if (store === 'postgres') Object.assign(options, { store, connectionString: inject('databaseUrl') });
    await using env = await createTestEnv(options);
    await env.client.start(holder, undefined, { concurrency });
    const run = await env.client.start(parent, undefined, { priority: 4 });
    const limited = env.client.getHandle('limited');
    await vi.waitUntil(() =>
      limited.describe().then(
        (d) => d.waitingFor,
        () => undefined,
      ),
    );
    expect(await limited.describe()).toMatchObject({
      waitingFor: { concurrencyKey: 'renderer' },
      priority: 4,
    });
    // The holder's day passes on the virtual clock; then the child takes the slot.
    await run.result();
    expect((await env.client.describe('limited')).closedAt).toEqual(new Date('2030-01-02T00:00:00.000Z'));
    expect(await env.client.describe('urgent')).toMatchObject({ priority: 9, closedAt: new Date(start) });
    const scheduled = (await env.client.history(run.id)).events.filter((e) => e.type === 'child_scheduled');
    expect(scheduled).toMatchObject([{ concurrency }, { priority: 9 }]);
    expect(scheduled[0]).not.toHaveProperty('priority');
  });
}

async function refused(ctx: WorkflowContext, options: object) {
  await ctx.child(leaf, undefined, options);
}

it('ctx.startChild refuses debounce, throttle and a bad concurrency or priority with REEL_INVALID_ARGUMENT', async () => {
  await using env = await createTestEnv({ workflows: { refused, leaf } });
  const refusals = [
    [{ debounce: { key: 'k', period: '1s' } }, /A child workflow takes no debounce/],
    [{ throttle: { key: 'k', period: '1s' } }, /A child workflow takes no throttle/],
    [{ concurrency: { key: 'k', limit: 0 } }, /concurrency.limit must be a positive integer/],
    [{ priority: 11 }, /priority must be an integer from 0 to 10/],
  ] as const;
  for (const [options, message] of refusals) {
    const run = await env.client.start(refused, options);
    await expect(run.result()).rejects.toMatchObject({
      failure: { code: ErrorCodes.INVALID_ARGUMENT, message },
    });
  }
});
