import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkflowContext } from '@reel/sdk';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createTestEnv, recordingLogger } from '../src/index.ts';

/** Answers at once, and keeps connections alive: a later fetch of it reuses the pooled socket. */
const server = createServer((_req, res) => res.end('hello'));
let url = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

async function fetchesUrl(ctx: WorkflowContext, target: string) {
  await ctx.sleep('1 second');
  const res = await fetch(target);
  return await res.text();
}

/** Node's own fetch, taken before the guard wraps it: it stands for any undici client. */
const undiciFetch = globalThis.fetch;

async function fetchesUnwrapped(ctx: WorkflowContext, target: string) {
  await ctx.sleep('1 second');
  return await (await undiciFetch(target)).text();
}

async function catchesFetch(ctx: WorkflowContext, target: string) {
  await ctx.sleep('1 second');
  try {
    await fetch(target);
    return { fetched: true };
  } catch (err) {
    return { fetchError: (err as Error).message };
  }
}

/**
 * Runs `workflow` on Postgres with `input`, `beforeStart` first; returns what `result()` gave (the
 * error, or the value as `completed`), the run, and the warnings logged.
 */
async function runParked(
  workflow: (ctx: WorkflowContext, target: string) => Promise<unknown>,
  input: string,
  beforeStart?: () => Promise<unknown>,
  determinismGuard: 'throw' | 'warn' = 'throw',
) {
  const logger = recordingLogger();
  await using env = await createTestEnv({
    workflows: { [workflow.name]: workflow },
    store: 'postgres',
    connectionString: inject('databaseUrl'),
    determinismGuard,
    logger,
  });
  await beforeStart?.();
  const handle = await env.client.start(workflow, input);
  const error = await handle.result({ timeout: '10s' }).then(
    (value) => ({ code: 'completed', message: JSON.stringify(value) }),
    (err: { code: string; message: string }) => err,
  );
  return {
    error,
    run: await handle.describe(),
    warnings: logger.records.filter((r) => r.level === 'warn').map((r) => r.msg),
  };
}

it.each([
  ['a fetch', fetchesUrl, '(fetch)'],
  ['an undici request', fetchesUnwrapped, '(undici request)'],
])(
  'parks a run that sends %s over a connection the process already holds',
  async (_what, workflow, resource) => {
    // The process's pool then holds a kept-alive socket to the origin, and undici's timer tick runs.
    const { error, run } = await runParked(workflow, url, async () => (await fetch(url)).text());
    expect(error.code).toBe('REEL_DETERMINISM_VIOLATION');
    expect(run.status).toBe('parked');
    expect(run.parked?.error.message).toContain(resource);
  },
);

it.each([
  ['caught', catchesFetch],
  ['not caught', fetchesUrl],
])('parks a run whose fetch failed before any I/O, the error %s', async (_what, workflow) => {
  // Port 9 is on fetch's list of bad ports: the fetch fails at once, without opening a socket.
  const { error, run } = await runParked(workflow, 'http://127.0.0.1:9/');
  expect(error.code).toBe('REEL_DETERMINISM_VIOLATION');
  expect(run.status).toBe('parked');
  expect(run.parked?.error.message).toContain('(fetch)');
});

it('in warn mode too, parks a run whose code failed after a violation, rather than fail it for good', async () => {
  const { error, run, warnings } = await runParked(fetchesUrl, 'http://127.0.0.1:9/', undefined, 'warn');
  expect(error.code).toBe('REEL_DETERMINISM_VIOLATION');
  expect(run.status).toBe('parked');
  expect(run.parked?.error.message).toBe(warnings[0]);
});

it("reports a fetch once per attempt, at the workflow's own line, and describe shows it", async () => {
  const { run, warnings } = await runParked(fetchesUrl, url);
  expect(warnings).toHaveLength(1);
  const stack = (warning: string) => warning.split('Started at:\n')[1] ?? '';
  const firstFrame = stack(warnings[0] ?? '').split('\n')[0];
  expect(firstFrame).toMatch(/at .*fetchesUrl .*determinism-guard-http\.test\.ts:21:/);
  expect(stack(warnings[0] ?? '')).not.toMatch(/node:|undici/);
  expect(run.parked?.error.message).toBe(warnings[0]);
});
