// A worker process of bench/activity-rate.ts: serves `call`, whose activity keeps the rate limit.
import { defineActivity, type WorkflowContext } from '../packages/sdk/src/index.ts';
import { Worker } from '../packages/worker/src/index.ts';

const LIMIT = Number(process.env.RATE_LIMIT);
const pool = (await import('pg')).default.Pool;
const db = new pool({ connectionString: process.env.DATABASE_URL, max: 2 });

/** Records when it started, by the database's clock. */
const partnerCall = defineActivity(
  async () => {
    await db.query('insert into bench_starts (at) values (clock_timestamp())');
  },
  { rateLimit: { key: 'partner', limit: LIMIT, per: '1s' } },
);

async function call(ctx: WorkflowContext) {
  await ctx.activity(partnerCall);
}

const worker = await Worker.create({
  connectionString: process.env.DATABASE_URL as string,
  workflows: { call },
  activities: { partnerCall },
});
process.stdout.write('ready\n');
await worker.run();
await db.end();
