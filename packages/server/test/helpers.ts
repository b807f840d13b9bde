import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@reel/sdk';
import { recordingLogger } from '@reel/testing';
import type { TestDatabaseHandle } from '@reel/testing/vitest';
import { Worker } from '@reel/worker';
import { Registry } from '@reel/worker/prometheus';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, vi } from 'vitest';
import { main } from '../src/cli/run.ts';
import { prometheusMetrics } from '../src/metrics.ts';
import type { ServerOptions } from '../src/options.ts';
import { buildServer } from '../src/server.ts';
import { activities, workflows } from './fixtures/workflows.ts';

/** A worker, a client and an app on the file's test database, with their own metrics registry. */
export interface Harness {
  app: FastifyInstance;
  client: Client;
  worker: Worker;
  registry: Registry;
}

/** Starts a worker and builds an app in `beforeAll`, closing both in `afterAll`. */
export function useHarness(db: TestDatabaseHandle, options: Partial<ServerOptions> = {}): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    harness.registry = new Registry();
    harness.worker = await Worker.create({
      connectionString: db.connectionString,
      workflows,
      activities,
      handleSignals: false,
      stickyMs: 50,
      metrics: prometheusMetrics(harness.registry),
      logger: recordingLogger(),
    });
    void harness.worker.run();
    harness.client = new Client({
      connectionString: db.connectionString,
      metrics: prometheusMetrics(harness.registry),
    });
    harness.app = buildServer({ client: harness.client, metrics: harness.registry, ...options });
    await harness.app.ready();
  });
  afterAll(async () => {
    await harness.app?.close();
    await harness.worker?.shutdown();
    await harness.client?.close();
  });
  return harness;
}

/** The error code of an inject response. */
export const codeOf = (res: { json(): unknown }) => (res.json() as { error?: { code?: string } }).error?.code;

/** A loopback port nothing listens on (fetch refuses "bad ports" such as 1 before connecting). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** How a `reel` command ended: its exit code and output. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `reel ...args` as a child process from the repository root, as a user would. */
export function reel(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'packages/server/src/cli/main.ts', ...args],
      { cwd: fileURLToPath(new URL('../../..', import.meta.url)), env: { ...process.env, ...env } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `reel ...args` in this process, as `reel` would, for the commands that only talk to a server:
 * a process each costs seconds. Calls go one at a time (they share stdout and the environment).
 */
export function reelHere(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const run = queue.then(async () => {
    const out = { stdout: '', stderr: '' };
    const capture = (stream: 'stdout' | 'stderr') =>
      vi.spyOn(process[stream], 'write').mockImplementation((chunk) => {
        out[stream] += String(chunk);
        return true;
      });
    const spies = [capture('stdout'), capture('stderr')];
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      return { code: await main(args), ...out };
    } finally {
      for (const spy of spies) spy.mockRestore();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
  queue = run.catch(() => {});
  return run;
}
