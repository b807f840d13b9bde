// The throughput cost of flow control: the same runs (one activity each) with no option, with a
// concurrency key that never binds (100 keys, limit 1000), and with a random priority, interleaved
// over three rounds in one process against one database: DATABASE_URL=... node --import tsx bench/flow-control.ts
import { Client, PostgresStore, type StartOptions, type WorkflowContext } from '../packages/sdk/src/index.ts';
import { Worker } from '../packages/worker/src/index.ts';

const RUNS = 1000;
const base = process.env.DATABASE_URL ?? 'postgres://postgres@localhost:5433/postgres';
const dbName = `reel_bench_flow_${process.pid}`;
const admin = new PostgresStore({ connectionString: base });
await admin.pool.query(`create database ${dbName}`);
const connectionString = base.replace(/\/[^/]*$/, `/${dbName}`);

async function step(n: number) {
  return n;
}
async function plain(ctx: WorkflowContext, n: number) {
  return ctx.activity(step, n);
}

const modes: Record<string, (i: number) => StartOptions> = {
  none: () => ({}),
  concurrencyKey: (i) => ({ concurrency: { key: `k${i % 100}`, limit: 1000 } }),
  priority: (i) => ({ priority: i % 11 }),
};

const worker = await Worker.create({
  connectionString,
  workflows: { plain },
  activities: { step },
  concurrency: 50,
});
void worker.run();
const client = new Client({ connectionString });
const times: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
for (let round = 0; round < 3; round++) {
  for (const [mode, options] of Object.entries(modes)) {
    const t = performance.now();
    const handles = [];
    for (let i = 0; i < RUNS; i += 50)
      handles.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, j) => client.start(plain, i + j, options(i + j))),
        )),
      );
    await Promise.all(handles.map((h) => h.result({ timeout: '5 minutes' })));
    times[mode]?.push(RUNS / ((performance.now() - t) / 1000));
  }
}
await client.close();
await worker.shutdown();
await admin.pool.query(`drop database ${dbName} with (force)`);
await admin.close();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const none = median(times.none as number[]);
for (const [mode, xs] of Object.entries(times))
  console.log(
    `${mode}: ${median(xs).toFixed(0)} runs/s (median of 3), ${(median(xs) / none).toFixed(2)} x none`,
  );
