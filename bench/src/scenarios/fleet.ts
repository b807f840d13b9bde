/** Scenario 6: throughput of 1, 2 and 4 worker processes against one Postgres, and what each costs. */
import { startChild } from '../child.ts';
import type { Throughput } from '../load.ts';
import type { StatementCounts } from '../profile/query-log.ts';
import { type BenchContext, type Row, type Section, withDatabase } from '../section.ts';
import { fmt, median } from '../stats.ts';

/** One measurement of a fleet, per workflow. */
interface FleetFigures {
  perSecond: number;
  p50: number;
  serverCpuMs: number | undefined;
  /** The client's and every worker's CPU. */
  appCpuMs: number;
  statements: number;
  claims: number;
  emptyClaims: number;
}

type WorkerReport = StatementCounts & { cpuMs: number };

async function measure(ctx: BenchContext, workers: number): Promise<FleetFigures> {
  const { n } = ctx.config;
  return withDatabase(ctx, async (url) => {
    const children = Array.from({ length: workers }, () =>
      startChild<WorkerReport>('reel', 'fleet-worker', { url }),
    );
    try {
      await Promise.all(children.map((c) => c.next('ready')));
      const load = startChild<Throughput>('reel', 'throughput', { url, n, concurrency: 50, worker: false });
      // The workers count from the end of the client's warm-up to the end of its measurement.
      await load.next('warm');
      for (const c of children) c.send({ type: 'mark' });
      await Promise.all(children.map((c) => c.next('marked')));
      load.send({ type: 'go' });
      await load.next('measured');
      for (const c of children) c.send({ type: 'stop' });
      const [t, reports] = await Promise.all([load.result, Promise.all(children.map((c) => c.result))]);
      const all = [...reports, { cpuMs: 0, ...(t.statements ?? { byName: {}, emptyClaims: 0 }) }];
      const sum = (pick: (r: WorkerReport) => number) => all.reduce((a, r) => a + pick(r), 0) / n;
      const byName = new Map<string, number>();
      for (const r of all)
        for (const [k, v] of Object.entries(r.byName)) byName.set(k, (byName.get(k) ?? 0) + v / n);
      ctx.log(`   each worker's CPU per workflow: ${reports.map((r) => fmt(r.cpuMs / n, 'ms')).join(', ')}`);
      ctx.log(
        `   per workflow: ${[...byName]
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${v.toFixed(2)}`)
          .join(', ')}`,
      );
      return {
        perSecond: t.perSecond,
        p50: t.p50,
        serverCpuMs: t.serverCpuMsPerWorkflow,
        appCpuMs: t.cpuMsPerWorkflow + sum((r) => r.cpuMs),
        statements: sum((r) => Object.values(r.byName).reduce((a, b) => a + b, 0)),
        claims: sum((r) => r.byName.CLAIM ?? 0),
        emptyClaims: sum((r) => r.emptyClaims),
      };
    } finally {
      for (const c of children) if (c.process.connected) c.send({ type: 'stop' });
    }
  });
}

export async function fleetScenario(ctx: BenchContext): Promise<Section> {
  const { n, fleet, rounds } = ctx.config;
  const got = new Map<number, FleetFigures[]>(fleet.map((w) => [w, []]));
  // Alternating rounds, as in scenario 1: a passing disturbance hits one round of each fleet size.
  for (let round = 1; round <= rounds; round++) {
    for (const workers of fleet) {
      ctx.log(
        `6. fleet: ${workers} worker processes, ${n} workflows at concurrency 50, round ${round}/${rounds}`,
      );
      got.get(workers)?.push(await measure(ctx, workers));
    }
  }
  const m = (workers: number, pick: (f: FleetFigures) => number | undefined) => {
    const values = (got.get(workers) ?? []).map(pick).filter((v): v is number => v !== undefined);
    return values.length ? median(values) : undefined;
  };
  const first = fleet[0] ?? 1;
  const versus = (value: number | undefined, base: number | undefined) =>
    value === undefined || !base ? '' : ` (${(value / base).toFixed(2)}×)`;
  const rows: Row[] = fleet.flatMap((workers) => {
    const row = (
      metric: string,
      pick: (f: FleetFigures) => number | undefined,
      unit = '',
      compare = false,
    ) => {
      const value = m(workers, pick);
      return {
        scenario: `6. fleet ×${workers}`,
        metric,
        reel: `${fmt(value, unit)}${compare ? versus(value, m(first, pick)) : ''}`,
        dbos: 'not measured',
        ratio: '–',
      };
    };
    return [
      row(`workflows/s at c=50 (vs ${first} worker${first === 1 ? '' : 's'})`, (f) => f.perSecond, '', true),
      row('p50 start→result', (f) => f.p50, 'ms'),
      row('Postgres CPU per workflow', (f) => f.serverCpuMs, 'ms', true),
      row('app CPU per workflow (client and workers)', (f) => f.appCpuMs, 'ms', true),
      row('statements per workflow', (f) => f.statements),
      row('claims per workflow', (f) => f.claims),
      row('empty claims per workflow', (f) => f.emptyClaims),
    ];
  });
  return {
    title: '6. Worker fleet',
    rows,
    notes: [
      `Scenario 1's workload (${n} workflows of three no-op activities, 50 in flight) with the workers in ${fleet.join(', ')} processes of their own (\`concurrency: 100\` each) and the client in another; each figure is the median of ${rounds} measurements, taken in alternating rounds. On a machine with few cores the processes share them with Postgres and the client, so this shows the cost of coordination (claims, wake-ups) more than added capacity: Postgres CPU and statements per workflow are the figures to read.`,
      'Statements are counted in every process (client and workers) from the end of the warm-up to the end of the measurement; a claim is empty when it took no run.',
      'DBOS spreads work over processes through its queues (`DBOS.startWorkflow(wf, { queueName })`), not measured here: its scenario 1 figures run workflows in the starting process.',
    ],
  };
}
