import { defineActivity, ErrorCodes, type WorkflowContext } from '@reel/sdk';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createTestEnv, type TestEnv } from '../src/index.ts';

// Activity limits in the time-skipping test environment, on both stores.

const start = '2030-01-01T00:00:00.000Z';
const hours = (iso: string) => (Date.parse(iso) - Date.parse(start)) / 3_600_000;

const ping = defineActivity(async () => 'pong', {
  rateLimit: { key: 'partner-api', limit: 1, per: '1 hour' },
});

async function callPartner(ctx: WorkflowContext) {
  await ctx.activity(ping);
  return ctx.now().toISOString();
}

let running = 0;
let peak = 0;
let release: () => void = () => {};
let gate = new Promise<void>((resolve) => (release = resolve));
const sync = defineActivity(
  async (account: string) => {
    peak = Math.max(peak, ++running);
    await gate;
    running--;
    return account;
  },
  { concurrency: { key: (account: string) => `account-${account}`, limit: 1 } },
);

async function syncAccount(ctx: WorkflowContext, account: string) {
  return ctx.activity(sync, account);
}

const badKey = defineActivity(async (n: number) => n, {
  concurrency: { key: (n: number) => n as never, limit: 1 },
});
async function callBadKey(ctx: WorkflowContext) {
  return ctx.activity(badKey, 7);
}

describe.each(['memory', 'postgres'] as const)(
  'activity limits in the test environment (%s store)',
  (store) => {
    let env: TestEnv;
    beforeAll(async () => {
      env = await createTestEnv({
        workflows: { callPartner, syncAccount, callBadKey },
        activities: { ping, sync, badKey },
        startTime: start,
        ...(store === 'postgres' ? { store, connectionString: inject('databaseUrl') } : {}),
      });
    });
    afterAll(() => env.close());

    it('gives rate-limited attempts their turns on the virtual clock', async () => {
      const handles = [];
      for (let i = 0; i < 3; i++) handles.push(await env.client.start(callPartner, undefined));
      const done = await Promise.all(handles.map((h) => h.result()));
      expect(done.map(hours).sort()).toEqual([0, 1, 2]);
    });

    it('runs one attempt of a computed key at a time, and describe says why one waits', async () => {
      running = peak = 0;
      gate = new Promise<void>((resolve) => (release = resolve));
      const first = await env.client.start(syncAccount, 'a');
      await vi.waitFor(() => expect(running).toBe(1));
      const second = await env.client.start(syncAccount, 'a');
      const other = await env.client.start(syncAccount, 'b');
      await vi.waitFor(async () =>
        expect((await env.client.describe(second.id)).pending?.activities[0]?.waitingFor).toEqual({
          concurrencyKey: 'account-a',
        }),
      );
      await vi.waitFor(() => expect(running).toBe(2)); // account b has its own slot
      release();
      expect(await Promise.all([first, second, other].map((h) => h.result()))).toEqual(['a', 'a', 'b']);
      expect(peak).toBe(2);
    });

    it('a key function that returns no string parks the run with REEL_INVALID_ARGUMENT', async () => {
      const handle = await env.client.start(callBadKey, undefined);
      await expect(handle.result()).rejects.toMatchObject({
        code: ErrorCodes.INVALID_ARGUMENT,
        message:
          /concurrency.key function of activity 'badKey' returned 7; it must return a non-empty string/,
      });
    });
  },
);

it('defineActivity rejects bad limits with REEL_INVALID_ARGUMENT, saying what to give', () => {
  const bad = [
    [{ concurrency: { limit: 0 } }, /concurrency.limit must be a positive integer/],
    [{ concurrency: 3 }, /concurrency must be an object such as \{ limit: 5 \}/],
    [{ concurrency: { key: '', limit: 1 } }, /concurrency.key must be a non-empty string/],
    [{ rateLimit: { limit: 10 } }, /rateLimit.per/],
    [{ rateLimit: { limit: 10, per: 'soon' } }, /Invalid rateLimit.per/],
    [{ rateLimit: { limit: 10, per: 0 } }, /rateLimit.per must be at least 1 ms/],
    [{ rateLimit: { limit: 2.5, per: '1s' } }, /rateLimit.limit must be a positive integer/],
    [{ priority: 11, taskQueue: 'q' }, /priority must be an integer from 0 to 10/],
    [{ priority: 5 }, /priority orders the claims of queued attempts/],
  ] as const;
  for (const [options, message] of bad) {
    let caught: unknown;
    try {
      defineActivity(async () => 1, options as never);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({
      code: expect.stringMatching(/^REEL_INVALID_(ARGUMENT|DURATION)$/),
      message,
    });
  }
  expect(() =>
    defineActivity(async () => 1, { priority: 5, rateLimit: { limit: 1, per: '1s' } }),
  ).not.toThrow();
});

it('ctx.transaction refuses a function with a limit', async () => {
  const step = defineActivity(async (_client: never) => 1, { concurrency: { limit: 1 } });
  async function transact(ctx: WorkflowContext) {
    return ctx.transaction(step);
  }
  await using env = await createTestEnv({ workflows: { transact }, activities: { step } });
  const handle = await env.client.start(transact, undefined);
  await expect(handle.result()).rejects.toMatchObject({
    message: /define its function without taskQueue, concurrency or rateLimit/,
  });
});
