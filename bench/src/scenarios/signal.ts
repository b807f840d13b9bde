/** Scenario 2: signal round trip, from sending a signal to the end of the activity it unblocks. */
import { runChild } from '../child.ts';
import { type BenchContext, type Row, type Section, withDatabase } from '../section.ts';
import { fmt, type LatencySummary, ratio } from '../stats.ts';

export async function signalScenario(ctx: BenchContext): Promise<Section> {
  const n = ctx.config.signals;
  const got: { reel?: LatencySummary; dbos?: LatencySummary } = {};
  for (const system of ctx.systems) {
    ctx.log(`2. signal round trip: ${system}, ${n} signals`);
    got[system] = await withDatabase(ctx, (url) => runChild<LatencySummary>(system, 'signal', { url, n }));
  }
  const rows: Row[] = (['p50', 'p99'] as const).map((p) => ({
    scenario: '2. signal',
    metric: `${p} signal → next activity done`,
    reel: fmt(got.reel?.[p], 'ms'),
    dbos: fmt(got.dbos?.[p], 'ms'),
    ratio: ratio(got.reel?.[p], got.dbos?.[p]),
  }));
  const [reel, dbos] = [got.reel?.p99 ?? Number.NaN, got.dbos?.p99];
  return {
    title: '2. Signal round trip',
    rows,
    targets: dbos
      ? [
          {
            name: 'signal round trip p99',
            goal: '≤ DBOS',
            measured: `${fmt(reel, 'ms')} vs ${fmt(dbos, 'ms')} = ${ratio(reel, dbos)}`,
            met: reel <= dbos,
          },
        ]
      : [],
    notes: [
      `${n} round trips, each on a new workflow that waits for a signal with no timeout (after 10 for warm-up): the time from the call that sends the signal to the end of the activity (step) that runs next, read in the process that runs it.`,
      'Reel suspends a run that waits for a signal (lease released, memory freed), so the signal goes to the inbox, wakes a worker by NOTIFY, and the worker claims the run, loads and replays its history, runs the activity. The bench waits until the run is suspended before it signals. DBOS keeps the workflow in memory, blocked in `DBOS.recv` on a LISTEN/NOTIFY callback; the bench waits 30 ms after starting it before it sends.',
    ],
  };
}
