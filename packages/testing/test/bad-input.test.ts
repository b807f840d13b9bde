import { ErrorCodes, type ReelError, type WorkflowContext } from '@reel/sdk';
import { describe, expect, inject, it } from 'vitest';
import { createTestEnv } from '../src/index.ts';

async function sleeper(ctx: WorkflowContext, duration: number | string) {
  try {
    await ctx.sleep(duration);
    return 'slept';
  } catch (err) {
    return (err as ReelError).code;
  }
}

describe('durations out of range', () => {
  it.each([1e20, '1000000000 days'])(
    'ctx.sleep(%j) rejects with REEL_INVALID_DURATION in the workflow',
    async (duration) => {
      await using env = await createTestEnv({ workflows: { sleeper } });
      const handle = await env.client.start(sleeper, duration);
      expect(await handle.result()).toBe(ErrorCodes.INVALID_DURATION);
    },
  );

  it('a startDelay of 1e20 is refused before it reaches Postgres', async () => {
    await using env = await createTestEnv({
      workflows: { sleeper },
      store: 'postgres',
      connectionString: inject('databaseUrl'),
    });
    for (const options of [{ startDelay: 1e20 }, { executionTimeout: '1000000000 days' }]) {
      await expect(env.client.start(sleeper, 1, options)).rejects.toMatchObject({
        code: ErrorCodes.INVALID_DURATION,
      });
    }
  });
});

describe('list filters', () => {
  it('list({ attributes }) nested 10,000 levels deep rejects with REEL_NOT_SERIALIZABLE', async () => {
    await using env = await createTestEnv({ workflows: { sleeper } });
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    await expect(env.client.list({ attributes: { deep } as never })).rejects.toMatchObject({
      code: ErrorCodes.NOT_SERIALIZABLE,
    });
  });

  it.each([{ status: 'bogus' }, { status: ['running', 'finished'] }, { type: '' }])(
    'list(%j) rejects with REEL_INVALID_ARGUMENT instead of an empty page',
    async (filter) => {
      await using env = await createTestEnv({ workflows: { sleeper } });
      await expect(env.client.list(filter as never)).rejects.toMatchObject({
        code: ErrorCodes.INVALID_ARGUMENT,
        message: expect.stringMatching(/status|workflow type/),
      });
      await expect(env.client.list({ status: ['running', 'continued'] })).resolves.toEqual({ items: [] });
    },
  );
});

async function misuse(ctx: WorkflowContext) {
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (err: ReelError) => err.code,
    );
  return [
    await codeOf((ctx.activity as (fn: unknown) => Promise<unknown>)('notAFunction')),
    await codeOf(ctx.signal('')),
  ];
}

it('ctx.activity with a non-function and ctx.signal with an empty name reject with REEL_INVALID_ARGUMENT, as docs/errors.md says', async () => {
  await using env = await createTestEnv({ workflows: { misuse } });
  const handle = await env.client.start(misuse, undefined);
  expect(await handle.result()).toEqual([ErrorCodes.INVALID_ARGUMENT, ErrorCodes.INVALID_ARGUMENT]);
});
