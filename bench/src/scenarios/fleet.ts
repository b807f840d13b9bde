/** Scenario 6: throughput of 1, 2 and 4 worker processes against one Postgres. */
import { runChild, startChild } from '../child.ts';
import type { Throughput } from '../load.ts';
import { type BenchContext, type Row, type Section, withDatabase } from '../section.ts';
import { fmt } from '../stats.ts';

export async function fleetScenario(ctx: BenchContext): Promise<Section> {
  const { n, fleet } = ctx.config;
  const got: { workers: number; t: Throughput }[] = [];
  for (const workers of fleet) {
    ctx.log(`6. fleet: ${workers} worker processes, ${n} workflows at concurrency 50`);
    const t = await withDatabase(ctx, async (url) => {
      const children = Array.from({ length: workers }, () =>
        startChild<object>('reel', 'fleet-worker', { url }),
      );
      await Promise.all(children.map((c) => c.next('ready')));
      try {
        return await runChild<Throughput>('reel', 'throughput', { url, n, concurrency: 50, worker: false });
      } finally {
        for (const c of children) c.send({ type: 'stop' });
        await Promise.all(children.map((c) => c.result));
      }
    });
    got.push({ workers, t });
  }
  const base = got[0]?.t.perSecond ?? Number.NaN;
  const rows: Row[] = got.flatMap(({ workers, t }) => [
    {
      scenario: `6. fleet ×${workers}`,
      metric: 'workflows/s at c=50 (vs 1 worker)',
      reel: `${fmt(t.perSecond)} (${(t.perSecond / base).toFixed(2)}×)`,
      dbos: 'not measured',
      ratio: '–',
    },
    {
      scenario: `6. fleet ×${workers}`,
      metric: 'p50 start→result',
      reel: fmt(t.p50, 'ms'),
      dbos: 'not measured',
      ratio: '–',
    },
  ]);
  return {
    title: '6. Worker fleet',
    rows,
    notes: [
      `Scenario 1's workload (${n} workflows of three no-op activities, 50 in flight) with the workers in ${fleet.join(', ')} processes of their own (\`concurrency: 100\` each) and the client in another. On a machine with few cores the processes share them with Postgres and the client, so this shows the cost of coordination (claims with SKIP LOCKED, notifications heard by every worker) more than added capacity.`,
      'DBOS spreads work over processes through its queues (`DBOS.startWorkflow(wf, { queueName })`), not measured here: its scenario 1 figures run workflows in the starting process.',
    ],
  };
}
