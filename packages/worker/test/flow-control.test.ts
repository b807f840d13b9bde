import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Client } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnFixture, until } from './helpers.ts';

const db = useTestDatabase();
const children: ChildProcess[] = [];
let pool: pg.Pool;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.connectionString });
  await pool.query(`create table holders (workflow_id text primary key, key text not null);
                    create table peaks (key text not null, n int not null);
                    create table starts (id bigserial primary key, workflow_id text not null, key text not null)`);
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await pool.end();
});

/** A worker process serving `limited`; with `holdAfter`, its n-th activity never ends. */
const startWorkerProcess = (holdAfter = 0) =>
  spawnFixture(
    'flow-worker-main.ts',
    { DATABASE_URL: db.connectionString, HOLD_AFTER: String(holdAfter) },
    children,
  );

const LIMITS = { one: 1, two: 2, three: 3 } as const;
/** 100 in CI; `FLOW_RUNS_PER_KEY=1000` runs the same check over 3,000 runs (docs/flow-control.md). */
const RUNS_PER_KEY = Number(process.env.FLOW_RUNS_PER_KEY ?? 100);

it(
  'three worker processes never run more than the limit of a key at once, one SIGKILLed mid-activity',
  async () => {
    const workers = [startWorkerProcess(12), startWorkerProcess(), startWorkerProcess()];
    for (const w of workers) await until(() => w.lines.includes('ready'), 'a worker process to be ready');
    const client = new Client({ connectionString: db.connectionString });
    // Each key's runs start one after another, so their start order is known.
    const handles = (
      await Promise.all(
        Object.entries(LIMITS).map(async ([key, limit]) => {
          const started = [];
          for (let i = 0; i < RUNS_PER_KEY; i++)
            started.push(
              await client.start('limited', key, { id: `${key}-${i}`, concurrency: { key, limit } }),
            );
          return started;
        }),
      )
    ).flat();

    const killed = workers[0] as ReturnType<typeof startWorkerProcess>;
    await until(
      () => killed.lines.some((l) => l.startsWith('holding ')),
      'the first worker to hold an activity',
      60_000,
    );
    const heldRun = (killed.lines.find((l) => l.startsWith('holding ')) as string).slice('holding '.length);
    killed.child.kill('SIGKILL');
    await once(killed.child, 'exit');

    await Promise.all(handles.map((h) => h.result({ timeout: RUNS_PER_KEY * 1200 })));

    const { rows: peaks } = await pool.query<{ key: string; max: number }>(
      'select key, max(n)::int as max from peaks group by key order by key',
    );
    // Each limit was reached (so runs did overlap) and never passed.
    expect(Object.fromEntries(peaks.map((p) => [p.key, p.max]))).toEqual(LIMITS);
    // The run whose worker died kept its slot until another worker took it over and ran its activity again.
    const { rows: heldStarts } = await pool.query('select 1 from starts where workflow_id = $1', [heldRun]);
    expect(heldStarts).toHaveLength(2);
    // With a limit of 1, runs went strictly in start order.
    const { rows: order } = await pool.query<{ workflow_id: string }>(
      `select workflow_id from starts where key = 'one' group by workflow_id order by min(id)`,
    );
    expect(order.map((r) => r.workflow_id)).toEqual(
      Array.from({ length: RUNS_PER_KEY }, (_, i) => `one-${i}`),
    );
    const { rows: slots } = await pool.query('select 1 from reel.workflows where slot is not null');
    expect(slots).toEqual([]);
    await client.close();
  },
  60_000 + RUNS_PER_KEY * 1200,
);
