import { ErrorCodes, type WorkflowContext } from '@reel/sdk';
import { describe, expect, it } from 'vitest';
import { createTestEnv } from '../src/index.ts';

async function waiter(ctx: WorkflowContext) {
  return ctx.signal<{ n: number }>('go');
}

async function quick() {
  return 'done';
}

describe('client.batches on the test environment', () => {
  it('signals every run a filter matches, page by page, and leaves the others alone', async () => {
    await using env = await createTestEnv({ workflows: { waiter, quick } });
    const ours = [];
    for (let i = 0; i < 5; i++)
      ours.push(await env.client.start(waiter, undefined, { attributes: { team: 'a' } }));
    const other = await env.client.start(waiter, undefined, { attributes: { team: 'b' } });
    const filter = { type: 'waiter', attributes: { team: 'a' } };
    expect(await env.client.batches.count(filter)).toBe(5);

    const batch = await env.client.batches.signal(filter, 'go', { n: 7 }, { pageSize: 2 });
    expect(batch).toMatchObject({ status: 'completed', matched: 5, done: 5, skipped: 0, pageSize: 2 });
    for (const h of ours) expect(await h.result()).toEqual({ n: 7 });
    expect((await other.describe()).status).toBe('running');
    expect(await env.client.batches.describe(batch.id)).toEqual(batch);
  });

  it('skips runs listed closed, and goes on with a batch given its id again', async () => {
    await using env = await createTestEnv({ workflows: { waiter, quick } });
    const closed = await env.client.start(quick, undefined, { attributes: { team: 'c' } });
    await closed.result();
    await env.client.start(waiter, undefined, { attributes: { team: 'c' } });
    const filter = { attributes: { team: 'c' } };
    const first = await env.client.batches.cancel(filter, { id: 'cleanup', reason: 'r' });
    expect(first).toMatchObject({ status: 'completed', matched: 2, done: 1, skipped: 1 });
    expect(await env.client.batches.cancel(filter, { id: 'cleanup', reason: 'r' })).toEqual(first);
    await expect(env.client.batches.cancel({ type: 'quick' }, { id: 'cleanup' })).rejects.toMatchObject({
      code: ErrorCodes.BATCH_EXISTS,
    });
  });

  it('stops a batch that has not run: resuming it then runs nothing', async () => {
    await using env = await createTestEnv({ workflows: { waiter } });
    const run = await env.client.start(waiter, undefined);
    const batch = await env.client.batches.start({
      operation: { kind: 'terminate' },
      filter: { type: 'waiter' },
    });
    expect(await env.client.batches.stop(batch.id)).toBe(true);
    expect(await env.client.batches.stop(batch.id)).toBe(false);
    expect(await env.client.batches.resume(batch.id)).toMatchObject({ status: 'cancelled', done: 0 });
    expect((await run.describe()).status).toBe('running');
  });

  it('refuses a bad page size, filter or operation with REEL_INVALID_ARGUMENT, an unknown id with REEL_BATCH_NOT_FOUND', async () => {
    await using env = await createTestEnv({ workflows: { waiter } });
    const invalid = { code: ErrorCodes.INVALID_ARGUMENT };
    for (const pageSize of [0, 1001, 1.5])
      await expect(env.client.batches.cancel({}, { pageSize })).rejects.toMatchObject(invalid);
    await expect(env.client.batches.cancel({ status: 'bogus' as never })).rejects.toMatchObject(invalid);
    await expect(env.client.batches.count({ createdAfter: new Date('soon') })).rejects.toMatchObject(invalid);
    await expect(
      env.client.batches.start({ operation: { kind: 'delete' } as never, filter: {} }),
    ).rejects.toMatchObject(invalid);
    await expect(env.client.batches.cancel({}, { reason: 1 as never })).rejects.toMatchObject(invalid);
    for (const call of [
      () => env.client.batches.describe('nobody'),
      () => env.client.batches.resume('nobody'),
      () => env.client.batches.stop('nobody'),
    ])
      await expect(call()).rejects.toMatchObject({ code: ErrorCodes.BATCH_NOT_FOUND });
  });
});
