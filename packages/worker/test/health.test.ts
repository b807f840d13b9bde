import type { WorkflowContext } from '@reel/sdk';
import { MemoryStore, recordingLogger } from '@reel/testing';
import { afterEach, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { prometheusMetrics, Registry, serveMetrics } from '../src/prometheus/index.ts';
import { until } from './helpers.ts';

async function idle(_ctx: WorkflowContext) {
  return 'idle';
}

/** A memory store whose claims a test can make fail (Postgres away) or hang (a wedged pool). */
class TroubledStore extends MemoryStore {
  trouble: 'none' | 'refused' | 'hang' = 'none';
  claims = 0;
  private unhang: (() => void) | undefined;

  /** Lets the claim that hangs go on. */
  release(): void {
    this.trouble = 'none';
    this.unhang?.();
  }

  override async claim(...args: Parameters<MemoryStore['claim']>) {
    this.claims++;
    if (this.trouble === 'hang') await new Promise<void>((resolve) => (this.unhang = resolve));
    if (this.trouble === 'refused')
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    return super.claim(...args);
  }
}

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.shutdown()));
});

async function start(store: TroubledStore, logger = recordingLogger()) {
  const worker = await Worker.create({
    store,
    workflows: { idle },
    handleSignals: false,
    pollIntervalMs: 10,
    leaseMs: 50, // stalled after 2 leases without a turn of the loop: 100 ms
    retention: false,
    logger,
  });
  workers.push(worker);
  return worker;
}

it('health() is starting, ok once a claim answered, degraded while claims fail, stalled while the loop hangs, stopped', async () => {
  const store = new TroubledStore();
  const worker = await start(store);
  expect(worker.health()).toMatchObject({ status: 'starting', live: true, runs: 0 });
  const running = worker.run();
  await until(() => worker.health().lastClaimAt !== undefined, 'a claim to answer');
  expect(worker.health()).toMatchObject({ status: 'ok', live: true, stalledAfterMs: 100 });

  store.trouble = 'refused';
  await until(() => worker.health().status === 'degraded', 'the worker to report its failing claims');
  expect(worker.health()).toMatchObject({ live: true, claimError: 'connect ECONNREFUSED 127.0.0.1:5432' });

  store.trouble = 'hang';
  await until(() => worker.health().status === 'stalled', 'the worker to report its loop stalled');
  expect(worker.health().live).toBe(false);

  const stopping = worker.shutdown();
  expect(worker.health().status).toBe('stopping');
  store.release();
  await stopping;
  await running;
  expect(worker.health()).toMatchObject({ status: 'stopped', live: false });
});

it('logs a series of failed claims once, the repeats at debug, and when claiming works again', async () => {
  const store = new TroubledStore();
  const logger = recordingLogger();
  const worker = await start(store, logger);
  void worker.run();
  await until(() => worker.health().status === 'ok', 'a first claim');
  store.trouble = 'refused';
  const failed = store.claims;
  await until(() => store.claims >= failed + 5, 'five failed claims');
  store.trouble = 'none';
  await logger.waitFor('claiming runs works again');
  const lines = logger.records.filter((r) => r.msg.startsWith('claiming runs'));
  expect(lines[0]).toMatchObject({
    level: 'warn',
    msg: 'claiming runs failed; retrying at each turn: connect ECONNREFUSED 127.0.0.1:5432',
    fields: { worker: worker.identity, err: { code: 'ECONNREFUSED' } },
  });
  expect(lines.slice(1, -1).length).toBeGreaterThanOrEqual(4);
  expect(lines.slice(1, -1).every((r) => r.level === 'debug')).toBe(true);
  expect(lines.at(-1)).toMatchObject({ level: 'info', fields: { failedForMs: expect.any(Number) } });
});

it('serveMetrics answers /healthz 200 while live and 503 once not, /metrics with the registry, 404 elsewhere', async () => {
  const registry = new Registry();
  prometheusMetrics(registry).workflowStarted('idle');
  let live = true;
  const server = await serveMetrics({ registry, port: 0, host: '127.0.0.1', health: () => ({ live }) });
  const url = `http://127.0.0.1:${server.port}`;
  try {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    live = false;
    const down = await fetch(`${url}/healthz`);
    expect([down.status, await down.json()]).toEqual([503, { live: false }]);
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.headers.get('content-type')).toBe(registry.contentType);
    expect(await metrics.text()).toContain('reel_workflows_started_total{type="idle"} 1');
    expect((await fetch(`${url}/`)).status).toBe(404);
  } finally {
    await server.close();
  }
});
