import { Client } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { Worker } from '@reel/worker';
import { Registry } from '@reel/worker/prometheus';
import { describe, expect, it } from 'vitest';
import { prometheusMetrics } from '../src/metrics.ts';
import { lonely } from './fixtures/workflows.ts';
import { useHarness } from './helpers.ts';

const db = useTestDatabase();
const h = useHarness(db);

const METRICS = [
  'reel_workflows_started_total',
  'reel_workflows_closed_total',
  'reel_workflow_duration_seconds',
  'reel_step_duration_seconds',
  'reel_activity_attempts_total',
  'reel_activity_duration_seconds',
  'reel_activity_failures_total',
  'reel_schedule_to_start_seconds',
  'reel_replay_duration_seconds',
  'reel_claim_duration_seconds',
  'reel_commit_duration_seconds',
  'reel_commit_batch_size',
  'reel_start_batch_size',
  'reel_nondeterminism_errors_total',
  'reel_runs_parked_total',
  'reel_leases_lost_total',
  'reel_open_runs',
  'reel_workflow_backlog',
  'reel_task_backlog',
  'reel_concurrency_waiting',
  'reel_concurrency_waiting_by_key',
  'process_cpu_user_seconds_total',
];

describe('prometheusMetrics', () => {
  it('exposes every Reel metric, fed by the worker and the start route, at /metrics', async () => {
    // A type that some worker registered but none runs: its run waits in the backlog.
    const idle = await Worker.create({
      connectionString: db.connectionString,
      workflows: { lonely },
      handleSignals: false,
    });
    await idle.shutdown();
    // Behind it, two runs of its concurrency key wait for its slot.
    const concurrency = { key: 'lonely-key', limit: 1 };
    for (const id of ['backlogged', 'slot-waiter-1', 'slot-waiter-2'])
      await h.app.inject({
        method: 'POST',
        url: '/v1/workflows',
        payload: { type: 'lonely', id, concurrency },
      });
    await h.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      payload: { type: 'quick', id: 'metered', input: 1 },
    });
    await h.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      payload: { type: 'failing', id: 'metered-fail' },
    });
    for (const id of ['metered', 'metered-fail'])
      await h.app.inject({ url: `/v1/workflows/${id}/result?wait=10s` });

    // The worker counts a closed run once its commit returns, which may be just after result() has it.
    const scrape = async () => (await h.app.inject({ url: '/metrics' })).body;
    await expect.poll(scrape).toContain('reel_workflows_closed_total{type="failing",status="failed"} 1');
    await expect.poll(scrape).toContain('reel_workflows_closed_total{type="quick",status="completed"} 1');
    const text = await scrape();
    for (const name of METRICS) expect(text, name).toContain(`# TYPE ${name} `);
    expect(text).toContain('reel_workflows_started_total{type="quick"} 1');
    expect(text).toContain('reel_workflows_closed_total{type="quick",status="completed"} 1');
    expect(text).toContain('reel_workflows_closed_total{type="failing",status="failed"} 1');
    expect(text).toMatch(/reel_activity_duration_seconds_count\{activity="greet",outcome="completed"\} 1/);
    expect(text).toContain('reel_activity_failures_total{activity="explode"} 1');
    expect(text).toMatch(/reel_schedule_to_start_seconds_count\{type="quick"\} [1-9]/);
    expect(text).toMatch(/reel_replay_duration_seconds_count\{type="quick"\} [1-9]/);
    expect(text).toContain('reel_workflow_backlog{type="lonely"} 1');
    expect(text).toContain('reel_concurrency_waiting 2');
    expect(text).toContain('reel_concurrency_waiting_by_key{key="lonely-key"} 2');
    expect(text).toMatch(/reel_open_runs\{status="running"\} [1-9]/);
    expect(text).toMatch(/reel_workflow_duration_seconds_count\{type="quick",status="completed"\} 1/);
    expect(text).toMatch(/reel_claim_duration_seconds_count [1-9]/);
    expect(text).toMatch(/reel_commit_duration_seconds_count [1-9]/);
    // The start route's starts went in grouped statements (those with a concurrency key go alone).
    expect(text).toMatch(/reel_start_batch_size_count [1-9]/);
  });

  it('counts parks by code, non-determinism separately, and lost leases', async () => {
    const metrics = prometheusMetrics(h.registry);
    metrics.parked?.('quick', 'REEL_NONDETERMINISM');
    metrics.parked?.('quick', 'REEL_DETERMINISM_VIOLATION');
    metrics.leaseLost?.('quick');
    const text = await h.registry.metrics();
    expect(text).toContain('reel_nondeterminism_errors_total{type="quick"} 1');
    expect(text).toContain('reel_runs_parked_total{type="quick",code="REEL_DETERMINISM_VIOLATION"} 1');
    expect(text).toContain('reel_leases_lost_total{type="quick"} 1');
  });

  it('a client given them counts the runs it creates (not one it finds), terminates and triggers', async () => {
    const registry = new Registry();
    const client = new Client({
      connectionString: db.connectionString,
      metrics: prometheusMetrics(registry),
    });
    try {
      expect((await client.start('waiting', undefined, { id: 'counted' })).created).toBe(true);
      expect((await client.start('waiting', undefined, { id: 'counted' })).created).toBe(false);
      await client.terminate('counted');
      const id = 'counted-schedule';
      await client.schedules.create({ id, workflow: 'quick', cron: '0 0 1 1 *', input: 1 });
      await client.schedules.trigger(id);
      await client.schedules.delete(id);
      const text = await registry.metrics();
      expect(text).toContain('reel_workflows_started_total{type="waiting"} 1');
      expect(text).toContain('reel_workflows_closed_total{type="waiting",status="terminated"} 1');
      expect(text).toContain('reel_workflows_started_total{type="quick"} 1');
    } finally {
      await client.close();
    }
  });

  it('registers once per registry, so a server and a worker in one process share it', () => {
    const registry = new Registry();
    expect(prometheusMetrics(registry)).toBe(prometheusMetrics(registry));
    expect(prometheusMetrics(registry)).not.toBe(prometheusMetrics(new Registry()));
  });
});
