import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, type RecordedEvent, type WorkflowContext } from '@reel/sdk';
import { type EmbeddedPostgresServer, recordingLogger, startEmbeddedPostgres } from '@reel/testing';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';

// A Postgres of this file's own, restarted (fast shutdown, then start) on the same data and port.
let parent: string;
let server: EmbeddedPostgresServer;
let url: string;
let pool: pg.Pool;
let child: ChildProcess | undefined;
let stderr = '';
let exited: string | undefined;

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'reel-restart-'));
  await chmod(parent, 0o755); // under root, Postgres runs as another user that must reach it
  server = await startEmbeddedPostgres({ dir: join(parent, 'pg') });
  url = server.connectionString;
  pool = new pg.Pool({ connectionString: url });
  pool.on('error', () => undefined); // its idle connections die with each restart
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await pool?.end();
  await server?.stop();
  if (parent) await rm(parent, { recursive: true, force: true });
});

async function restartPostgres(): Promise<void> {
  await server.stop(); // SIGINT: Postgres's fast shutdown, which ends every session
  await startPostgresAgain();
}

async function startPostgresAgain(): Promise<void> {
  server = await startEmbeddedPostgres({ dir: join(parent, 'pg'), port: Number(new URL(url).port) });
}

/** Polls `check` until it holds; fails at once if the worker process has exited. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check().catch(() => false))) {
    if (exited)
      throw new Error(`The worker process exited (${exited}) while waiting for ${what}:\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const count = async (sql: string) => (await pool.query<{ n: number }>(sql)).rows[0]?.n ?? 0;

/** Events recorded twice: the same command's event, or the same signal. */
function duplicates(events: RecordedEvent[]): string[] {
  const seen = new Set<string>();
  return events.flatMap((e) => {
    const key =
      'cmd' in e ? `${e.type} ${e.cmd}` : e.type === 'signal_received' ? `${e.type} ${e.payload}` : e.type;
    if (seen.has(key)) return [key];
    seen.add(key);
    return [];
  });
}

it('a worker process survives Postgres restarting under it, and every workflow completes once', async () => {
  child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fixtures/outage-worker-main.ts', import.meta.url))],
    { env: { ...process.env, DATABASE_URL: url, REEL_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  child.once('exit', (code, signal) => (exited = `code ${code}, signal ${signal}`));
  await until('the worker to be ready', async () => stdout.includes('ready'));

  const client = new Client({ connectionString: url });
  await client.schedules.create({ id: 'every-second', workflow: 'tick', cron: '* * * * * *' });
  const ids = [0, 1, 2, 3, 4, 5];
  for (const i of ids) await client.start('errand', i, { id: `errand-${i}` });

  // 1. While a connection is checked out: the scheduler's transaction waits on a lock the test holds.
  const locker = new pg.Client({ connectionString: url });
  locker.on('error', () => undefined); // ended by the restart
  await locker.connect();
  // EXCLUSIVE blocks the scheduler's claim (FOR UPDATE) but not its plain reads: a lock that also
  // blocked those could catch the scheduler at its read after a pass, never reaching the claim.
  await locker.query('begin; lock table reel.schedules in exclusive mode');
  await until('the scheduler to wait on the lock', async () => {
    const sql = `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%previous_open%'`;
    return (await count(sql)) > 0;
  });
  await restartPostgres();

  // 2. As soon as the worker makes progress again: runs are mid-flight.
  const events = await count('select count(*)::int as n from reel.history');
  await until('progress after the restart', async () => {
    return (await count('select count(*)::int as n from reel.history')) > events;
  });
  await restartPostgres();

  // Queries reach the worker again once it listens again.
  await until('the worker to listen again', async () => {
    const sql = `select count(*)::int as n from pg_stat_activity where state = 'idle' and query like 'listen %listen reel_query;%'`;
    return (await count(sql)) > 0;
  });
  expect(await client.query('errand-0', 'progress')).toBeGreaterThanOrEqual(0);

  // 3. Every errand waits for its signal (it has slept three times); signal them, and restart twice.
  await until('every errand to wait for its signal', async () => {
    const sql = `select count(*)::int as n from reel.history h join reel.workflows w using (run_id)
                  where w.type = 'errand' and h.type = 'timer_fired'`;
    return (await count(sql)) === ids.length * 3;
  });
  for (const i of ids) await client.signal(`errand-${i}`, 'go', `go ${i}`);
  await restartPostgres();
  await restartPostgres();

  const restartedAt = new Date();
  const died = new Promise<never>((_, reject) =>
    child?.once('exit', () => reject(new Error(`The worker process exited (${exited}):\n${stderr}`))),
  );
  died.catch(() => undefined);
  const results = await Promise.race([
    Promise.all(ids.map((i) => client.result(`errand-${i}`, { timeout: '20s' }))),
    died,
  ]);
  expect(results).toEqual(
    ids.map((i) => [`${i}.0 done`, `${i}.1 done`, `${i}.2 done`, `go ${i}`, `${i}.last done`]),
  );
  for (const i of ids) expect(duplicates((await client.history(`errand-${i}`)).events)).toEqual([]);

  // The schedule fires again after the restarts; each tick started one run, and each run ran once.
  await until('a tick after the restarts to complete', async () => {
    const { items } = await client.list({ type: 'tick', status: 'completed', limit: 1000 });
    return items.some((r) => r.createdAt > restartedAt);
  });
  const { items: ticks } = await client.list({ type: 'tick', limit: 1000 });
  expect(new Set(ticks.map((t) => t.workflowId)).size).toBe(ticks.length);
  for (const t of ticks.filter((t) => t.status === 'completed')) {
    expect(t.result).toBe(`${t.workflowId} done`);
    expect(duplicates((await client.history(t.workflowId)).events)).toEqual([]);
  }

  expect(exited).toBeUndefined();
  expect(stderr).not.toMatch(/unhandled|uncaught/i);
  // Its log says when the connection went and came back, each time, and that claiming works again.
  // The runs may finish on the pool's connections before the listener's is back: wait for its line.
  const logs = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string });
  const said = (start: string) => logs().filter((l) => l.msg.startsWith(start));
  await until('the log to say the connection came back', async () => {
    const lost = said('Postgres connection lost').length;
    return lost >= 1 && said('Postgres connection regained').length >= lost;
  });
  const lost = said('Postgres connection lost');
  expect(lost.every((l) => l.level === 40)).toBe(true);
  expect(said('Postgres connection regained')).toHaveLength(lost.length);
  expect(said('claiming runs works again')).not.toEqual([]);
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
  await client.close();
});

it('a run whose write failed while Postgres was down resumes once it is back, not when its lease runs out', async () => {
  exited = undefined; // this test's worker runs in process; the worker process before it was stopped
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const entered: number[] = [];
  const activities = {
    async waitAtGate() {
      entered.push(Date.now());
      await gate;
      return 'through';
    },
    async after() {
      return 'after';
    },
  };
  async function gated(ctx: WorkflowContext) {
    return [await ctx.activity(activities.waitAtGate), await ctx.activity(activities.after)];
  }
  const logger = recordingLogger();
  const worker = await Worker.create({
    connectionString: url,
    workflows: { gated },
    activities,
    leaseMs: 60_000, // far longer than the test may take: waiting it out fails the test
    logger,
  });
  const running = worker.run();
  const client = new Client({ connectionString: url });
  try {
    await client.start(gated, undefined, { id: 'gated' });
    await until('the activity to start', async () => entered.length === 1);
    await server.stop();
    open(); // its result reaches the worker while Postgres is down: the write fails
    await logger.waitFor(/^run stopped/);
    await startPostgresAgain();
    expect(await client.result('gated', { timeout: '20s' })).toEqual(['through', 'after']);
    expect(entered).toHaveLength(2); // its result was never recorded: the activity ran again
  } finally {
    await client.close();
    await worker.shutdown();
    await running;
  }
});
