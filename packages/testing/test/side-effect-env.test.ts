import type { WorkflowContext } from '@reel/sdk';
import { expect, inject, it } from 'vitest';
import { createTestEnv } from '../src/index.ts';

let reads = 0;
let runs = 0;

/** Reads a setting once, sleeps past any worker's memory of it, then reports the setting it read. */
async function priced(ctx: WorkflowContext) {
  runs++;
  const version = await ctx.sideEffect(() => `pricing-v${++reads}`);
  await ctx.sleep('30 days');
  return version;
}

for (const store of ['memory', 'postgres'] as const) {
  it(`ctx.sideEffect runs its function once: the run's replays read it back (${store})`, async () => {
    reads = 0;
    runs = 0;
    await using env = await createTestEnv({
      workflows: { priced },
      ...(store === 'postgres' ? { store, connectionString: inject('databaseUrl') } : {}),
    });
    const handle = await env.client.start(priced, undefined, { id: 'priced-1' });
    expect(await handle.result()).toBe('pricing-v1');
    expect(runs).toBeGreaterThan(1); // the run was replayed when its timer fired
    expect(reads).toBe(1);
    const events = (await env.client.history('priced-1')).events;
    expect(events.find((e) => e.type === 'side_effect')).toMatchObject({ cmd: 0, result: 'pricing-v1' });
  });
}
