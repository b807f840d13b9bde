// A rate limit held for a full minute by three worker processes: RATE_LIMIT attempts a second (default
// 20), a backlog of runs started ahead so that one always waits, and the starts counted over the minute
// after the first five seconds, on DATABASE_URL's server or else an embedded one:
// pnpm --filter @reel/bench bench:rate
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, PostgresStore } from '../packages/sdk/src/index.ts';
import { startEmbeddedPostgres } from '../packages/testing/src/index.ts';

const LIMIT = Number(process.env.RATE_LIMIT ?? 20);
const WARMUP_S = 5;
const WINDOW_S = 60;
const RUNS = LIMIT * (WARMUP_S + WINDOW_S + 10);
// DATABASE_URL's server, else an embedded one started for the run.
const server = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres();
const base = process.env.DATABASE_URL ?? (server?.connectionString as string);
const dbName = `reel_bench_rate_${process.pid}`;
const admin = new PostgresStore({ connectionString: base });
await admin.pool.query(`create database ${dbName}`);
const connectionString = base.replace(/\/[^/]*$/, `/${dbName}`);
const store = new PostgresStore({ connectionString });
await store.migrate();
await store.pool.query('create table bench_starts (at timestamptz not null)');

const env = { ...process.env, DATABASE_URL: connectionString, RATE_LIMIT: String(LIMIT) };
const script = fileURLToPath(new URL('./activity-rate-worker.ts', import.meta.url));
const workers = Array.from({ length: 3 }, () =>
  spawn(process.execPath, ['--import', 'tsx', script], { env, stdio: ['ignore', 'pipe', 'inherit'] }),
);
await Promise.all(
  workers.map(
    (w) =>
      new Promise<void>((resolve) =>
        createInterface({ input: w.stdout }).on('line', (l) => l === 'ready' && resolve()),
      ),
  ),
);

const client = new Client({ connectionString });
const handles = [];
for (let i = 0; i < RUNS; i += 100)
  handles.push(
    ...(await Promise.all(
      Array.from({ length: Math.min(100, RUNS - i) }, () => client.start('call', undefined)),
    )),
  );
await Promise.all(handles.map((h) => h.result({ timeout: '10 minutes' })));

const { rows } = await store.pool.query<{ n: number; first: Date }>(
  `with first as (select min(at) as t from bench_starts)
   select count(*)::int as n, (select t from first) as first from bench_starts, first
    where at >= first.t + $1 * interval '1 second' and at < first.t + $2 * interval '1 second'`,
  [WARMUP_S, WARMUP_S + WINDOW_S],
);
const measured = (rows[0]?.n ?? 0) / WINDOW_S;
console.log(
  `rate limit ${LIMIT}/s over ${WINDOW_S} s, three worker processes, ${RUNS} runs: ${measured.toFixed(2)} starts/s (${((measured / LIMIT - 1) * 100).toFixed(2)}%)`,
);
for (const w of workers) w.kill('SIGTERM');
await Promise.all(workers.map((w) => once(w, 'exit')));
await client.close();
await store.close();
await admin.pool.query(`drop database ${dbName} with (force)`);
await admin.close();
await server?.stop();
