import { Client, defineActivity, ErrorCodes, type WorkflowContext } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { validateOptions } from '../src/worker-options.ts';

const db = useTestDatabase();

async function noop() {}

it.each(['leaseMs', 'pollIntervalMs', 'stickyMs', 'shutdownGraceMs'])(
  '%s over 100 years is refused with REEL_INVALID_DURATION',
  (key) => {
    expect(() =>
      validateOptions({ connectionString: 'postgres://unused', workflows: { noop }, [key]: 1e20 }),
    ).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_DURATION, message: expect.stringContaining(key) }),
    );
  },
);

it('refuses a logger that is not pino-compatible, such as a (level, message, fields) function', () => {
  for (const logger of [() => undefined, { info() {}, warn() {} }])
    expect(() =>
      validateOptions({
        connectionString: 'postgres://unused',
        workflows: { noop },
        logger: logger as never,
      }),
    ).toThrow(
      expect.objectContaining({
        code: ErrorCodes.INVALID_ARGUMENT,
        message: expect.stringContaining('pino-compatible'),
      }),
    );
});

it('takes a worker with no workflow that runs activities with a limit, and refuses one with nothing to run', () => {
  const limited = defineActivity(async () => 1, { rateLimit: { limit: 5, per: '1s' } });
  expect(() =>
    validateOptions({ connectionString: 'postgres://unused', activities: { limited } }),
  ).not.toThrow();
  expect(() => validateOptions({ connectionString: 'postgres://unused', activities: { noop } })).toThrow(
    expect.objectContaining({
      code: ErrorCodes.INVALID_ARGUMENT,
      message: expect.stringMatching(/at least one workflow/),
    }),
  );
});

it('takes `store: undefined` as no store: a client and a worker then make their own', async () => {
  async function echo(_ctx: WorkflowContext, input: string) {
    return input;
  }
  const options = { connectionString: db.connectionString, store: undefined };
  const worker = await Worker.create({ ...options, workflows: { echo } });
  const running = worker.run();
  const client = new Client(options);
  try {
    const handle = await client.start(echo, 'hi');
    expect(await handle.result()).toBe('hi');
  } finally {
    await client.close();
    await worker.shutdown();
    await running;
  }
});
