import { ErrorCodes, type WorkflowContext } from '@reel/sdk';
import { expect, inject, it } from 'vitest';
import { createTestEnv, type TestEnvOptions } from '../src/index.ts';

async function monthLong(ctx: WorkflowContext) {
  await ctx.sleep('30 days');
  return ctx.now().toISOString();
}

async function echo(_ctx: WorkflowContext, input: number) {
  return input;
}

const start = '2030-01-01T00:00:00.000Z';
const days = (n: number) => new Date(Date.parse(start) + n * 86_400_000).toISOString();

for (const store of ['memory', 'postgres'] as const) {
  it(`the test environment (${store}) runs runs of a key one at a time on its virtual clock`, async () => {
    const options: TestEnvOptions = { workflows: { monthLong }, startTime: start };
    if (store === 'postgres') Object.assign(options, { store, connectionString: inject('databaseUrl') });
    await using env = await createTestEnv(options);
    const concurrency = { key: 'tenant-1', limit: 1 };
    const handles = [];
    for (let i = 0; i < 3; i++) handles.push(await env.client.start(monthLong, undefined, { concurrency }));
    expect((await handles[2]?.describe())?.waitingFor).toEqual({ concurrencyKey: 'tenant-1' });
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual([days(30), days(60), days(90)]);
  });
}

it('start rejects a bad concurrency option with REEL_INVALID_ARGUMENT, saying what to give', async () => {
  await using env = await createTestEnv({ workflows: { monthLong } });
  const bad = [
    [{ key: '', limit: 1 }, /concurrency.key must be a non-empty string/],
    [{ limit: 1 }, /concurrency.key must be a non-empty string/],
    [{ key: 'k', limit: 0 }, /concurrency.limit must be a positive integer/],
    [{ key: 'k', limit: 1.5 }, /concurrency.limit must be a positive integer/],
    [null, /concurrency.key/],
  ] as const;
  for (const [concurrency, message] of bad) {
    const started = env.client.start(monthLong, undefined, { concurrency } as never);
    await expect(started).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, message });
  }
  const delayed = env.client.start(monthLong, undefined, {
    concurrency: { key: 'k', limit: 1 },
    startDelay: '1 hour',
  });
  await expect(delayed).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  expect((await env.client.list({})).items).toEqual([]);
});

it('start rejects a priority that is not an integer from 0 to 10 with REEL_INVALID_ARGUMENT', async () => {
  await using env = await createTestEnv({ workflows: { monthLong } });
  for (const priority of [-1, 11, 1.5, '5', null]) {
    const started = env.client.start(monthLong, undefined, { priority } as never);
    await expect(started).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
      message: /priority must be an integer from 0 to 10/,
    });
  }
  const handle = await env.client.start(monthLong, undefined, { priority: 10 });
  expect((await handle.describe()).priority).toBe(10);
});

it('the test environment debounces on its virtual clock: one run, the last input, a period after the last start', async () => {
  await using env = await createTestEnv({ workflows: { echo }, startTime: start });
  const debounce = { key: 'k', period: '1 hour' };
  const first = await env.client.start(echo, 1, { debounce });
  await env.sleep('30 minutes');
  await env.client.start(echo, 2, { debounce });
  await env.sleep('50 minutes');
  const last = await env.client.start(echo, 3, { debounce });
  expect(last.id).toBe(first.id);
  expect(await first.result()).toBe(3);
  // The virtual clock jumped to the end of the period, and not before: nothing else was due.
  expect(env.now().toISOString()).toBe('2030-01-01T02:20:00.000Z');
  expect((await env.client.list({})).items).toHaveLength(1);
});

it('with a maximum wait, a debounced run starts that long after the first start though starts keep coming', async () => {
  await using env = await createTestEnv({ workflows: { echo }, startTime: start });
  const debounce = { key: 'k', period: '1 hour', maxWait: '2 hours' };
  const first = await env.client.start(echo, 1, { debounce });
  await env.sleep('50 minutes');
  await env.client.start(echo, 2, { debounce });
  await env.sleep('50 minutes');
  await env.client.start(echo, 3, { debounce }); // alone, it would start at 02:40
  expect(await first.result()).toBe(3);
  expect(env.now().toISOString()).toBe('2030-01-01T02:00:00.000Z');
  expect((await env.client.list({})).items).toHaveLength(1);
});

it('start rejects a bad debounce option with REEL_INVALID_ARGUMENT', async () => {
  await using env = await createTestEnv({ workflows: { echo } });
  const bad = [
    [{ debounce: { key: '', period: '1s' } }, /debounce.key must be a non-empty string/],
    [{ debounce: { key: 'k', period: 0 } }, /debounce.period must be at least 1 ms/],
    [{ debounce: { key: 'k', period: '1s' }, id: 'x' }, /debounce cannot be combined with id/],
    [
      { debounce: { key: 'k', period: '1m', maxWait: '30s' } },
      /debounce.maxWait must be at least debounce.period/,
    ],
    [{ debounce: { key: 'k', period: '1s' }, startDelay: '1s' }, /with startDelay/],
    [{ debounce: { key: 'k', period: '1s' }, concurrency: { key: 'c', limit: 1 } }, /with concurrency/],
  ] as const;
  for (const [options, message] of bad) {
    const started = env.client.start(echo, 1, options as never);
    await expect(started).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, message });
  }
  await expect(
    env.client.start(echo, 1, { debounce: { key: 'k', period: 'soon' } } as never),
  ).rejects.toMatchObject({
    code: ErrorCodes.INVALID_DURATION,
  });
});

it('the test environment throttles on its virtual clock: the first start runs at once, the period is measured from it', async () => {
  await using env = await createTestEnv({ workflows: { echo }, startTime: start });
  const throttle = { key: 'k', period: '1 hour' };
  const first = await env.client.start(echo, 1, { throttle });
  expect(await first.result()).toBe(1);
  await env.sleep('59 minutes');
  const again = await env.client.start(echo, 2, { throttle });
  expect(again).toMatchObject({ id: first.id, created: false });
  await env.sleep('1 minute');
  const next = await env.client.start(echo, 3, { throttle });
  expect(next.created).toBe(true);
  expect(await next.result()).toBe(3);
});

it('start rejects a bad throttle option with REEL_INVALID_ARGUMENT', async () => {
  await using env = await createTestEnv({ workflows: { echo } });
  const throttle = { key: 'k', period: '1s' };
  const bad = [
    [{ throttle: { key: '', period: '1s' } }, /throttle.key must be a non-empty string/],
    [{ throttle: { key: 'k', period: 0 } }, /throttle.period must be at least 1 ms/],
    [{ throttle, id: 'x' }, /throttle cannot be combined with id/],
    [{ throttle, startDelay: '1s' }, /throttle cannot be combined with startDelay/],
    [{ throttle, debounce: throttle }, /throttle cannot be combined with debounce/],
  ] as const;
  for (const [options, message] of bad) {
    const started = env.client.start(echo, 1, options as never);
    await expect(started).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, message });
  }
  const limited = await env.client.start(echo, 1, { throttle, concurrency: { key: 'c', limit: 1 } });
  expect(limited.created).toBe(true);
});
