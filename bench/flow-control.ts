// The throughput cost of flow control: the same runs (one activity each) with no option, with a
// concurrency key that never binds (100 keys, limit 1000), and with a random priority; then the same
// activity with no option, on a task queue (the path an activity with a limit takes), with an
// activity concurrency key that never binds (100 keys, limit 1000) and with a rate limit that never
// binds (1,000,000 a second). Interleaved over three rounds in one
// process against one database, on DATABASE_URL's server or else an embedded one:
// pnpm --filter @reel/bench bench:flow
import {
  Client,
  defineActivity,
  PostgresStore,
  type StartOptions,
  type WorkflowContext,
} from '../packages/sdk/src/index.ts';
import { startEmbeddedPostgres } from '../packages/testing/src/index.ts';
import { Worker } from '../packages/worker/src/index.ts';

const RUNS = 1000;
// DATABASE_URL's server, else an embedded one started for the run.
const server = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres();
const base = process.env.DATABASE_URL ?? (server?.connectionString as string);
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
const keyedStep = defineActivity(async (n: number) => n, {
  concurrency: { key: (n: number) => `k${n % 100}`, limit: 1000 },
});
async function keyed(ctx: WorkflowContext, n: number) {
  return ctx.activity(keyedStep, n);
}
const queuedStep = defineActivity(async (n: number) => n, { taskQueue: 'bench' });
async function queued(ctx: WorkflowContext, n: number) {
  return ctx.activity(queuedStep, n);
}
const ratedStep = defineActivity(async (n: number) => n, {
  rateLimit: { limit: 1_000_000, per: '1s' },
});
async function rated(ctx: WorkflowContext, n: number) {
  return ctx.activity(ratedStep, n);
}

/** Each mode: the workflow it starts and its start options. */
const modes: Record<string, [typeof plain, (i: number) => StartOptions]> = {
  none: [plain, () => ({})],
  concurrencyKey: [plain, (i) => ({ concurrency: { key: `k${i % 100}`, limit: 1000 } })],
  priority: [plain, (i) => ({ priority: i % 11 })],
  activityTaskQueue: [queued, () => ({})],
  activityConcurrencyKey: [keyed, () => ({})],
  activityRateLimit: [rated, () => ({})],
};

const worker = await Worker.create({
  connectionString,
  workflows: { plain, queued, keyed, rated },
  activities: { step, queuedStep, keyedStep, ratedStep },
  taskQueues: ['bench'],
  concurrency: 50,
  taskConcurrency: 50, // as many attempts with a limit at once as local ones
});
void worker.run();
const client = new Client({ connectionString });
const times: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
for (let round = 0; round < 3; round++) {
  for (const [mode, [workflow, options]] of Object.entries(modes)) {
    const t = performance.now();
    const handles = [];
    for (let i = 0; i < RUNS; i += 50)
      handles.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, j) => client.start(workflow, i + j, options(i + j))),
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
await server?.stop();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const none = median(times.none as number[]);
for (const [mode, xs] of Object.entries(times))
  console.log(
    `${mode}: ${median(xs).toFixed(0)} runs/s (median of 3), ${(median(xs) / none).toFixed(2)} x none`,
  );
