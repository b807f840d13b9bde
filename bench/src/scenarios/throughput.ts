/** Scenario 1: end-to-end throughput and latency of three-step workflows, at concurrency 1 and 50. */
import { runChild, type System } from '../child.ts';
import type { Throughput } from '../load.ts';
import { type BenchContext, type Row, type Section, withDatabase } from '../section.ts';
import { fmt, median, ratio } from '../stats.ts';

export async function throughputScenario(ctx: BenchContext): Promise<Section> {
  const { n, rounds } = ctx.config;
  const rows: Row[] = [];
  const at: Record<number, Partial<Record<System, Throughput>>> = {};
  for (const concurrency of [1, 50]) {
    const measured = new Map<System, Throughput[]>(ctx.systems.map((system) => [system, []]));
    // Alternating rounds: a passing disturbance of the machine hits one round of each, not one system.
    for (let round = 1; round <= rounds; round++) {
      for (const system of ctx.systems) {
        ctx.log(
          `1. throughput: ${system}, ${n} workflows, concurrency ${concurrency}, round ${round}/${rounds}`,
        );
        const t = await withDatabase(ctx, (url) =>
          runChild<Throughput>(system, 'throughput', { url, n, concurrency }),
        );
        measured.get(system)?.push(t);
      }
    }
    at[concurrency] = Object.fromEntries([...measured].map(([system, ts]) => [system, medianOf(ts)]));
    const { reel, dbos } = at[concurrency];
    const row = (metric: string, pick: (t: Throughput) => number | undefined, unit = '') => {
      const r = reel && pick(reel);
      const d = dbos && pick(dbos);
      rows.push({
        scenario: `1. c=${concurrency}`,
        metric,
        reel: fmt(r, unit),
        dbos: fmt(d, unit),
        ratio: ratio(r, d),
      });
    };
    row('workflows/s', (t) => t.perSecond);
    row('p50 start→result', (t) => t.p50, 'ms');
    row('p99 start→result', (t) => t.p99, 'ms');
    row('app CPU per workflow', (t) => t.cpuMsPerWorkflow, 'ms');
    row('Postgres CPU per workflow', (t) => t.serverCpuMsPerWorkflow, 'ms');
    row('WAL per workflow', (t) => t.walBytesPerWorkflow / 1024, 'KiB');
  }
  const reel50 = at[50]?.reel?.perSecond ?? 0;
  const dbos50 = at[50]?.dbos?.perSecond;
  const reel1 = at[1]?.reel?.p50 ?? 0;
  const dbos1 = at[1]?.dbos?.p50;
  const cpu50 = at[50]?.reel?.cpuMsPerWorkflow ?? Number.NaN;
  return {
    title: '1. Throughput and latency',
    rows,
    targets: [
      ...(dbos50 && dbos1
        ? [
            {
              name: 'throughput at concurrency 50',
              goal: '≥ 5× DBOS',
              measured: `${fmt(reel50)} vs ${fmt(dbos50)} workflows/s = ${ratio(reel50, dbos50)}`,
              met: reel50 >= 5 * dbos50,
            },
            {
              name: 'p50 latency at concurrency 1',
              goal: '≤ 0.5× DBOS',
              measured: `${fmt(reel1, 'ms')} vs ${fmt(dbos1, 'ms')} = ${ratio(reel1, dbos1)}`,
              met: reel1 <= 0.5 * dbos1,
            },
          ]
        : []),
      {
        name: 'app CPU per workflow at concurrency 50',
        goal: '≤ 0.5 ms',
        measured: fmt(cpu50, 'ms'),
        met: cpu50 <= 0.5,
      },
    ],
    notes: [
      `${n} workflows of three no-op activities each, run with 1 and with 50 in flight, after 1,000 run 50 at a time to warm up (connections, and the code V8 optimizes in a process that runs for long): each lane starts a workflow, waits for its result, and starts the next. Latency is from the call that starts a workflow to its result. Each figure is the median of ${rounds} measurements per system, taken in alternating rounds (Reel, DBOS, Reel, DBOS, …), each in a fresh process and database.`,
      'Reel: one process holding a `Worker` (`concurrency: 100`) and a `Client` given that worker (`new Client({ connectionString, worker })`, so a started workflow runs on it at once), each with its own pool of 10 connections. DBOS: one process calling `DBOS.startWorkflow(wf)(i)` and `handle.getResult()`; DBOS runs a workflow started this way in the calling process (its system database pool is also 10 connections).',
      '"App CPU" is the user + system CPU time of that process per workflow; "Postgres CPU" is the CPU time of every server process per workflow (read from /proc, so only when the server runs on this machine). WAL is what the server wrote to its write-ahead log per workflow. These are less sensitive to other load on the machine than wall-clock figures.',
    ],
  };
}

/** Each figure the median of its measurements (so the figures of one row may come from different rounds). */
function medianOf(ts: Throughput[]): Throughput {
  const m = (pick: (t: Throughput) => number | undefined) => {
    const values = ts.map(pick).filter((v): v is number => v !== undefined);
    return values.length ? median(values) : undefined;
  };
  return {
    n: ts[0]?.n ?? 0,
    concurrency: ts[0]?.concurrency ?? 0,
    perSecond: m((t) => t.perSecond) ?? 0,
    p50: m((t) => t.p50) ?? 0,
    p99: m((t) => t.p99) ?? 0,
    cpuMsPerWorkflow: m((t) => t.cpuMsPerWorkflow) ?? 0,
    serverCpuMsPerWorkflow: m((t) => t.serverCpuMsPerWorkflow),
    walBytesPerWorkflow: m((t) => t.walBytesPerWorkflow) ?? 0,
  };
}
