// Reel at size: claims and commits on a database holding SIZE_RUNS closed runs (default 1,000,000)
// with SIZE_EVENTS events each (10: 10,000,000 history rows), closed over SIZE_DAYS days, against the
// same on an empty database, in rounds that alternate the two; the tables' and indexes' sizes; then
// retention deleting the oldest day of runs (purgeExpired) while SIZE_LOOPS loops of live workflows
// go on, what is left for vacuum, and SIZE_DAYS_AFTER more days of it. bench/README.md tells more.
// On DATABASE_URL's server, else an embedded one:
// pnpm --filter @reel/bench bench:size               (the full size: about half an hour, 5 GB of disk)
// SIZE_RUNS=20000 pnpm --filter @reel/bench bench:size   (a check in a few minutes)
import pg from 'pg';
import { PostgresStore, type Store } from '../packages/sdk/src/index.ts';
import { startEmbeddedPostgres } from '../packages/testing/src/index.ts';
import { purgeExpired } from '../packages/worker/src/index.ts';
import { retentionDays, statesOnceDeleted } from './src/size/days.ts';
import { fillClosed, fillSleeping } from './src/size/fill.ts';
import { emptySamples, runLoops, runOne, type Samples } from './src/size/live.ts';
import {
  backendCpuMs,
  indexSizes,
  type LockWait,
  sampleLockWaits,
  statesTable,
  tableSizes,
  tableStates,
} from './src/size/pg-stats.ts';
import { fmt, median, percentile, ratio, table } from './src/stats.ts';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const RUNS = num('SIZE_RUNS', 1_000_000);
const EVENTS = num('SIZE_EVENTS', 10);
const DAYS = num('SIZE_DAYS', 30);
const OPEN = num('SIZE_OPEN', Math.round(RUNS / 100));
const LIVE = num('SIZE_LIVE', 200);
const ROUNDS = num('SIZE_ROUNDS', 5);
const LOOPS = num('SIZE_LOOPS', 4);
const DAYS_AFTER = num('SIZE_DAYS_AFTER', 7);
const LIVE_TYPES = Array.from({ length: LOOPS }, (_, i) => `live-${i}`);
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

const server = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres();
const base = process.env.DATABASE_URL ?? (server?.connectionString as string);
const urlOf = (db: string) => base.replace(/\/[^/]*$/, `/${db}`);
const admin = new pg.Client({ connectionString: base });
await admin.connect();
const names = { empty: `reel_size_empty_${process.pid}`, full: `reel_size_full_${process.pid}` };
for (const name of Object.values(names)) await admin.query(`create database ${name}`);
const sql = new pg.Client({ connectionString: urlOf(names.full) });
await sql.connect();
const stores = {
  empty: new PostgresStore({ connectionString: urlOf(names.empty) }),
  full: new PostgresStore({ connectionString: urlOf(names.full) }),
};
for (const store of Object.values(stores)) {
  await store.migrate();
  await store.registerTypes(LIVE_TYPES, new Date());
}

// Fill: closes from SIZE_DAYS + 1 days ago to a day ago, so the oldest day is what retention deletes.
const now = new Date();
const from = new Date(now.getTime() - (DAYS + 1) * 86_400_000);
const perDay = Math.round(RUNS / DAYS);
let t = performance.now();
await sql.query('set synchronous_commit = off');
await fillClosed(sql, {
  runs: RUNS,
  first: 1,
  events: EVENTS,
  from,
  days: DAYS,
  chunk: Math.max(1000, perDay),
  onChunk: (done) => log(`filled ${done.toLocaleString('en-US')} of ${RUNS.toLocaleString('en-US')} runs`),
});
await fillSleeping(sql, OPEN, LIVE_TYPES, now);
const fillS = (performance.now() - t) / 1000;
t = performance.now();
for (const name of Object.values(names)) {
  const c = new pg.Client({ connectionString: urlOf(name) });
  await c.connect();
  await c.query('vacuum analyze');
  await c.end();
}
await admin.query('checkpoint');
const vacuumS = (performance.now() - t) / 1000;
log(`filled in ${fillS.toFixed(0)} s, vacuum analyze ${vacuumS.toFixed(0)} s`);
const out: string[] = [
  `# Reel at size`,
  '',
  `${RUNS.toLocaleString('en-US')} closed runs of ${EVENTS} events (${(RUNS * EVENTS).toLocaleString('en-US')} history rows) over ${DAYS} days, ${OPEN.toLocaleString('en-US')} open runs asleep; filled in ${fillS.toFixed(0)} s, VACUUM ANALYZE ${vacuumS.toFixed(0)} s.`,
  '',
  await tableSizes(sql),
  '',
  await indexSizes(sql),
];

// Live workflows one at a time, alternating the empty and the full database workflow by workflow
// (both pools stay warm); a round is SIZE_LIVE of each, with the CPU their backends spent.
const dbs = ['empty', 'full'] as const;
const sequential = { empty: emptySamples(), full: emptySamples() };
const roundP50s = { empty: emptySamples(), full: emptySamples() };
const cpu: Record<(typeof dbs)[number], number[]> = { empty: [], full: [] };
// A warm-up, then ANALYZE: plans made while the empty database's tables were empty scan them whole,
// and would until autovacuum analyzed them (a minute or more into the rounds).
for (let i = 0; i < 100; i++) for (const db of dbs) await runOne(stores[db], 'live-0', emptySamples());
for (const db of dbs) await stores[db].pool.query('analyze');
for (let round = 0; round < ROUNDS; round++) {
  const samples = { empty: emptySamples(), full: emptySamples() };
  const cpuBefore = await Promise.all(dbs.map((db) => backendCpuMs(admin, names[db])));
  for (let i = 0; i < LIVE; i++) for (const db of dbs) await runOne(stores[db], 'live-0', samples[db]);
  const cpuAfter = await Promise.all(dbs.map((db) => backendCpuMs(admin, names[db])));
  dbs.forEach((db, i) => {
    const [b, a] = [cpuBefore[i], cpuAfter[i]];
    if (a !== undefined && b !== undefined) cpu[db].push((a - b) / LIVE);
    for (const [call, xs] of Object.entries(samples[db]) as [keyof Samples, number[]][]) {
      sequential[db][call].push(...xs);
      roundP50s[db][call].push(median(xs));
    }
  });
  log(`round ${round + 1} of ${ROUNDS}`);
}
const row = (name: string, e: number[], f: number[], er: number, fr: number) => [
  name,
  fmt(median(e)),
  fmt(median(f)),
  ratio(median(f), median(e)),
  fmt(er),
  fmt(fr),
  fmt(percentile(e, 99)),
  fmt(percentile(f, 99)),
];
out.push(
  '',
  `Live workflows one at a time (${ROUNDS} rounds of ${LIVE} on each database, alternating workflow by workflow), in ms; "round p50" is the median of the rounds' medians; CPU is the databases' backends', per workflow, median of the rounds:`,
  '',
  table(
    [
      'call',
      'empty p50',
      'full p50',
      'full / empty p50',
      'empty round p50',
      'full round p50',
      'empty p99',
      'full p99',
    ],
    [
      ...(Object.keys(sequential.empty) as (keyof Samples)[]).map((call) =>
        row(
          call,
          sequential.empty[call],
          sequential.full[call],
          median(roundP50s.empty[call]),
          median(roundP50s.full[call]),
        ),
      ),
      [
        'Postgres CPU',
        fmt(median(cpu.empty)),
        fmt(median(cpu.full)),
        ratio(median(cpu.full), median(cpu.empty)),
        '',
        '',
        '',
        '',
      ],
    ],
  ),
);

// Retention: the oldest day, while live loops go on; first the same loops without it.
const { rows: bounds } = await sql.query(
  `select min(closed_at) + interval '1 day' as cutoff from reel.workflows where closed_at is not null`,
);
const cutoff: Date = bounds[0].cutoff;
const doomed = async () =>
  (
    await sql.query(
      `select count(distinct w.run_id)::float8 as runs, count(*)::float8 as events
         from reel.workflows w join reel.history h using (run_id) where w.closed_at < $1`,
      [cutoff],
    )
  ).rows[0];
const expired = await doomed();
const lockClient = new pg.Client({ connectionString: urlOf(names.full) });
await lockClient.connect();
/** Live loops until `work` settles, with the lock waits seen meanwhile (`involving` retention's statement). */
async function livePhase<T>(work: Promise<T>) {
  const samples = emptySamples();
  const locks = sampleLockWaits(lockClient, 'done_batches');
  const started = performance.now();
  let working = true;
  const [value, workflows] = await Promise.all([
    work.finally(() => {
      working = false;
    }),
    runLoops(stores.full, LIVE_TYPES, samples, () => !working),
  ]);
  const seconds = (performance.now() - started) / 1000;
  return { value, samples, workflows, seconds, waits: await locks.stop() };
}
const baseline = await livePhase(new Promise<unknown>((resolve) => setTimeout(resolve, 20_000)));
const batches: number[] = [];
const timedPurge = {
  purgeClosed: async (closedBefore: Date, limit: number) => {
    const start = performance.now();
    const n = await stores.full.purgeClosed(closedBefore, limit);
    batches.push(performance.now() - start);
    return n;
  },
} as Pick<Store, 'purgeClosed'> as Store;
const during = await livePhase(purgeExpired(timedPurge, cutoff));
await lockClient.end();
const left = await doomed();
for (const store of Object.values(stores)) await store.close(); // their sessions' statistics are flushed
const states = [{ when: 'after the delete', rows: await statesOnceDeleted(sql, expired.events) }];
const days = await retentionDays(sql, urlOf(names.full), {
  days: DAYS_AFTER,
  perDay,
  events: EVENTS,
  first: RUNS + 1,
  from: now,
});
states.push({ when: `after ${DAYS_AFTER} more days`, rows: await tableStates(sql) });
t = performance.now();
await sql.query('vacuum reel.workflows, reel.history');
const plainVacuumS = (performance.now() - t) / 1000;
states.push({ when: 'after VACUUM', rows: await tableStates(sql) });

const liveRow = (name: string, phase: typeof baseline) => [
  name,
  String(phase.workflows),
  fmt(median(phase.samples.claim)),
  fmt(percentile(phase.samples.claim, 99)),
  fmt(median(phase.samples.commit)),
  fmt(percentile(phase.samples.commit, 99)),
  fmt(percentile(phase.samples.close, 99)),
  fmt(percentile(phase.samples.start, 99)),
  fmt(phase.waits.any.ms),
  fmt(phase.waits.involving.ms),
];
const wait = (w: LockWait) => (w.what ? `${fmt(w.ms)} ms (${w.what})` : 'none');
out.push(
  '',
  `Retention of the oldest day (closed before ${cutoff.toISOString()}): ${expired.runs.toLocaleString('en-US')} runs and ${expired.events.toLocaleString('en-US')} history rows, deleted by \`purgeExpired\` (${during.value.toLocaleString('en-US')} runs reported, ${left.runs} left) in ${during.seconds.toFixed(1)} s, ${batches.length} batches: median ${fmt(median(batches))} ms, longest ${fmt(Math.max(...batches))} ms.`,
  '',
  `${LOOPS} live loops at once, in ms; lock waits are the longest seen by 5 ms polls of pg_locks, of any statement and of those where retention's statement waits or is waited for:`,
  '',
  table(
    [
      'phase',
      'workflows',
      'claim p50',
      'claim p99',
      'commit p50',
      'commit p99',
      'close p99',
      'start p99',
      'lock wait',
      'retention lock wait',
    ],
    [liveRow('20 s before', baseline), liveRow('during the delete', during)],
  ),
  '',
  `Longest lock wait before: ${wait(baseline.waits.any)}; during: ${wait(during.waits.any)}; involving retention: ${wait(during.waits.involving)}.`,
  '',
  `Then ${DAYS_AFTER} days, each a new day of runs (${perDay.toLocaleString('en-US')}) inserted, then the oldest day deleted by \`purgeExpired\`, with the server's autovacuum:`,
  '',
  days,
  '',
  `A plain VACUUM of reel.workflows and reel.history at the end: ${plainVacuumS.toFixed(1)} s.`,
  '',
  statesTable(states),
);
console.log(out.join('\n'));

await sql.end();
if (!process.env.SIZE_KEEP)
  for (const name of Object.values(names)) await admin.query(`drop database ${name} with (force)`);
await admin.end();
await server?.stop();
