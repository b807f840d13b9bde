import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Client, defineActivity, type WorkflowContext } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { LIMIT, RATE } from './fixtures/activity-limits-workflow.ts';
import { spawnFixture, until } from './helpers.ts';

// Activity limits across three worker processes on one database: a concurrency limit holds while one
// process is SIGKILLed mid-activity, a rate limit holds its rate, and priorities order a backlog.

const db = useTestDatabase();
const children: ChildProcess[] = [];
let pool: pg.Pool;
let client: Client;

/** A worker process serving the fixture's workflows; with `holdAfter`, its n-th limited activity never ends. */
const startWorkerProcess = (holdAfter = 0) =>
  spawnFixture(
    'activity-limits-worker-main.ts',
    { DATABASE_URL: db.connectionString, HOLD_AFTER: String(holdAfter) },
    children,
  );

let workers: ReturnType<typeof startWorkerProcess>[];
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.connectionString });
  await pool.query(`create table holders (workflow_id text primary key, key text not null, pid int not null);
                    create table dead (pid int primary key);
                    create table peaks (key text not null, n int not null);
                    create table starts (id bigserial primary key, workflow_id text not null, key text not null)`);
  workers = [startWorkerProcess(2), startWorkerProcess(), startWorkerProcess()];
  for (const w of workers)
    await until(() => w.lines.includes('ready'), 'a worker process to be ready', 30_000);
  client = new Client({ connectionString: db.connectionString });
  // The time of each claim of a rate-limited task: what the rate limit governs.
  await pool.query(`create table claims (at timestamptz not null);
    create function record_claim() returns trigger language plpgsql as $$
      begin insert into claims values (clock_timestamp()); return null; end $$;
    create trigger record_claim after update of claim on reel.tasks
      for each row when (new.claimed_by is not null and new.rate_key is not null) execute function record_claim()`);
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await client.close();
  await pool.end();
});

const peakOf = async (key: string) =>
  (await pool.query('select max(n)::int as max from peaks where key = $1', [key])).rows[0].max as number;

it('three worker processes keep a rate limit: under a backlog, attempts are claimed at its rate (±10%)', async () => {
  // Enough runs that a backlog outlasts their scheduling by a second or more, though the machine is
  // busy and scheduling them all is slow: at 50, a loaded run left 10 claims to measure.
  const RUNS = 70;
  const handles = await Promise.all(
    Array.from({ length: RUNS }, (_, i) => client.start('rateFlow', undefined, { id: `rate-${i}` })),
  );
  await Promise.all(handles.map((h) => h.result({ timeout: '30s' })));
  const { rows } = await pool.query<{ ms: number }>(
    'select extract(epoch from at) * 1000 as ms from claims order by at',
  );
  const times = rows.map((r) => Number(r.ms));
  expect(times).toHaveLength(RUNS);
  // Measured while a backlog waited: from one token after the last attempt was scheduled.
  const { rows: scheduled } = await pool.query<{ ms: number }>(
    `select extract(epoch from max(at)) * 1000 as ms from reel.history where type = 'activity_scheduled'`,
  );
  const backlog = times.filter((t) => t > Number(scheduled[0]?.ms) + RATE.per / RATE.limit);
  expect(backlog.length).toBeGreaterThanOrEqual(15);
  // The slope of claim times over their order (least squares): a claim delayed by a busy process
  // moves it little, where it would move a rate counted between the first and last claim.
  const mid = (backlog.length - 1) / 2;
  const mean = backlog.reduce((a, t) => a + t, 0) / backlog.length;
  let cov = 0;
  let variance = 0;
  backlog.forEach((t, i) => {
    cov += (i - mid) * (t - mean);
    variance += (i - mid) ** 2;
  });
  const measured = 1000 / (cov / variance);
  const expected = (RATE.limit / RATE.per) * 1000;
  expect(measured).toBeGreaterThan(expected * 0.9);
  expect(measured).toBeLessThan(expected * 1.1);
}, 60_000);

it('three worker processes never run more attempts of a key than its limit, one SIGKILLed mid-activity', async () => {
  const handles = await Promise.all(
    Array.from({ length: 30 }, (_, i) => client.start('limitedFlow', 'slots', { id: `limited-${i}` })),
  );
  const killed = workers[0] as ReturnType<typeof startWorkerProcess>;
  await until(() => killed.lines.some((l) => l.startsWith('holding ')), 'a worker to hold an activity');
  const heldRun = (killed.lines.find((l) => l.startsWith('holding ')) as string).slice('holding '.length);
  // The limit is reached with the held attempt among those active, before its process dies: after,
  // only the other slots serve until its claim lapses, and the runs left may not fill three again.
  await until(async () => (await peakOf('slots')) >= LIMIT, 'the limit to be reached');
  killed.child.kill('SIGKILL');
  await once(killed.child, 'exit');
  // Its attempts are no longer active; their claims stay live until they lapse, so nothing is admitted meanwhile.
  await pool.query('insert into dead (pid) values ($1)', [killed.child.pid]);

  await Promise.all(handles.map((h) => h.result({ timeout: '60s' })));
  // The limit was reached (attempts did overlap) and never passed.
  expect(await peakOf('slots')).toBe(LIMIT);
  // The attempt whose worker died kept its slot until its claim lapsed, then ran again elsewhere.
  const { rows } = await pool.query('select 1 from starts where workflow_id = $1', [heldRun]);
  expect(rows).toHaveLength(2);
  const { rows: left } = await pool.query('select 1 from reel.tasks');
  expect(left).toEqual([]);
}, 60_000);

it('without the option, the same activity runs more attempts at once than that limit', async () => {
  const handles = await Promise.all(
    Array.from({ length: 30 }, (_, i) => client.start('unlimitedFlow', 'free', { id: `free-${i}` })),
  );
  await Promise.all(handles.map((h) => h.result({ timeout: '30s' })));
  expect(await peakOf('free')).toBeGreaterThan(LIMIT);
}, 60_000);

it('a backlog of attempts of a key goes in priority order: the activity’s own, else its run’s', async () => {
  const order: string[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const inOrder = defineActivity(
    async (label: string) => {
      order.push(label);
      if (label === 'first') await gate;
    },
    { concurrency: { key: 'in-order', limit: 1 } },
  );
  const urgent = defineActivity(async (label: string) => void order.push(label), {
    concurrency: { key: 'in-order', limit: 1 },
    priority: 10,
  });
  async function prioritized(ctx: WorkflowContext, label: string) {
    await ctx.activity(label === 'urgent' ? urgent : inOrder, label);
  }
  const worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { prioritized },
    activities: { inOrder, urgent },
    concurrency: 20,
  });
  const running = worker.run();
  const first = await client.start(prioritized, 'first');
  await until(() => order.length === 1, 'the first attempt to hold the slot');
  const handles = [first];
  for (const priority of [0, 3, 9, 1, 5])
    handles.push(await client.start(prioritized, `p${priority}`, { priority }));
  handles.push(await client.start(prioritized, 'urgent'));
  await until(
    async () =>
      (await pool.query(`select 1 from reel.tasks where waiting_for = 'concurrency'`)).rows.length === 6,
    'the backlog to wait for the slot',
  );
  release();
  await Promise.all(handles.map((h) => h.result({ timeout: '30s' })));
  expect(order).toEqual(['first', 'urgent', 'p9', 'p5', 'p3', 'p1', 'p0']);
  await worker.shutdown();
  await running;
}, 60_000);

it('a run stays in memory for an attempt under way up to stickyMs, then lets go until its outcome', async () => {
  const quick = defineActivity(async () => 'quick', { concurrency: { key: 'sticky', limit: 5 } });
  // Returns once its run has been let go (no worker holds it), so the run waited longer than stickyMs.
  const slow = defineActivity(
    async (workflowId: string) => {
      await until(
        async () =>
          (await pool.query('select lease_owner from reel.workflows where workflow_id = $1', [workflowId]))
            .rows[0]?.lease_owner === null,
        'the run to be let go',
      );
      return 'slow';
    },
    { concurrency: { key: 'sticky', limit: 5 } },
  );
  async function stays(ctx: WorkflowContext, which: string) {
    return which === 'slow' ? ctx.activity(slow, ctx.info.workflowId) : ctx.activity(quick);
  }
  const worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { stays },
    activities: { quick, slow },
    stickyMs: 2000,
  });
  const running = worker.run();
  const fast = await client.start(stays, 'quick');
  const late = await client.start(stays, 'slow');
  expect(await fast.result()).toBe('quick');
  expect(await late.result()).toBe('slow');
  // Every claim of a run increments its fencing token: the quick run was claimed once.
  const tokens = await pool.query<{ workflow_id: string; fencing_token: number }>(
    'select workflow_id, fencing_token::int from reel.workflows where workflow_id = any($1)',
    [[fast.id, late.id]],
  );
  expect(Object.fromEntries(tokens.rows.map((r) => [r.workflow_id, r.fencing_token]))).toEqual({
    [fast.id]: 1,
    [late.id]: 2,
  });
  await worker.shutdown();
  await running;
}, 60_000);
