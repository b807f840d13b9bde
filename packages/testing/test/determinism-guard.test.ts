import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkflowContext } from '@reel/sdk';
import { afterAll, expect, it } from 'vitest';
import { createTestEnv, recordingLogger } from '../src/index.ts';

const start = '2030-01-01T00:00:00.000Z';

async function usesGlobals(ctx: WorkflowContext) {
  const a = { now: Date.now(), date: new Date().toISOString(), random: Math.random() };
  await ctx.sleep('1 day');
  return { ...a, later: new Date().toISOString(), ctxNow: ctx.now().toISOString() };
}

async function readsFile(ctx: WorkflowContext) {
  await ctx.sleep('1 second');
  return (await readFile('/etc/hostname', 'utf8')).length;
}

async function setsTimer(ctx: WorkflowContext) {
  await new Promise((resolve) => setTimeout(resolve, 10));
  return ctx.now().toISOString();
}

/** `setImmediate` is how the replayer turns between events too: the code's own is still reported. */
async function setsImmediate(ctx: WorkflowContext) {
  await ctx.sleep('1 second');
  await new Promise((resolve) => setImmediate(resolve));
  return ctx.now().toISOString();
}

it('makes Date and Math.random replay-safe inside workflow code', async () => {
  await using env = await createTestEnv({ workflows: { usesGlobals }, startTime: start });
  const result = (await (await env.client.start(usesGlobals, undefined)).result()) as Record<string, unknown>;
  expect(result.now).toBe(Date.parse(start));
  expect(result.date).toBe(start);
  expect(result.later).toBe('2030-01-02T00:00:00.000Z');
  expect(result.later).toBe(result.ctxNow);
  expect(result.random).toBeGreaterThanOrEqual(0);
  expect(Math.abs(Date.now() - Date.parse(start))).toBeGreaterThan(1000); // outside workflows, the real clock
});

it.each([
  ['file I/O', readsFile, 'FSREQ'],
  ['a real timer', setsTimer, 'Timeout'],
  ['setImmediate', setsImmediate, 'Immediate'],
])('reports %s started from workflow code with its stack', async (_what, workflow, resource) => {
  await using env = await createTestEnv({
    workflows: { [workflow.name]: workflow },
    logger: recordingLogger(),
  });
  const handle = await env.client.start(workflow, undefined);
  const err = await handle.result().then(
    () => undefined,
    (e: { code: string; message: string }) => e,
  );
  expect(err?.code).toBe('REEL_DETERMINISM_VIOLATION');
  expect(err?.message).toContain(resource);
  expect(err?.message).toContain('determinism-guard.test.ts'); // the offending stack
});

async function strayTimer(ctx: WorkflowContext) {
  clearTimeout(setTimeout(() => undefined, 1000));
  await ctx.sleep('1 hour');
  return 'done';
}

it("only warns in 'warn' mode, and the workflow goes on", async () => {
  const logger = recordingLogger();
  await using env = await createTestEnv({
    workflows: { strayTimer },
    logger,
    determinismGuard: 'warn',
  });
  expect(await (await env.client.start(strayTimer, undefined)).result()).toBe('done');
  expect(logger.messages('warn').some((m) => m.includes('a real timer'))).toBe(true);
});

/** A server that accepts connections and never answers, so a fetch to it outlasts any step. */
const silent = createServer(() => undefined);
afterAll(() => {
  silent.closeAllConnections();
  silent.close();
});

async function awaitsRealTimer(ctx: WorkflowContext) {
  await ctx.sleep('1 second');
  await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
  return 'done';
}

async function awaitsFetch(ctx: WorkflowContext, url: string) {
  await ctx.sleep('1 second');
  await fetch(url);
  return 'done';
}

it.each([
  ['a real timer', awaitsRealTimer],
  ['network or process I/O', awaitsFetch],
])(
  "parks, rather than strands, a run whose code waits on %s that 'warn' mode let through",
  async (what, workflow) => {
    if (!silent.listening) await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    await using env = await createTestEnv({
      workflows: { [workflow.name]: workflow },
      logger: recordingLogger(),
      determinismGuard: 'warn',
    });
    const handle = await env.client.start(workflow, `http://127.0.0.1:${port}/`);
    await expect(handle.result({ timeout: '10s' })).rejects.toMatchObject({
      code: 'REEL_DETERMINISM_VIOLATION',
    });
    const run = await handle.describe();
    expect(run.status).toBe('parked');
    expect(run.parked?.error.message).toContain(what);
  },
);
