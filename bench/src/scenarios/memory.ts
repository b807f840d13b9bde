/** Scenario 4: memory of a worker process holding many suspended workflows. */
import { Client } from '@reel/sdk';
import pg from 'pg';
import { runChild, startChild } from '../child.ts';
import { lanes, sleep } from '../load.ts';
import { waitForever } from '../reel/workflows.ts';
import { type BenchContext, type Row, type Section, withDatabase } from '../section.ts';
import { fmt, ratio } from '../stats.ts';

interface Mem {
  rss: number;
  heapUsed: number;
}
interface Result {
  before: Mem;
  after: Mem;
  suspendMs: number;
}

/** The Reel worker runs in a child; this process starts the workflows, as an application would. */
async function reel(url: string, n: number): Promise<Result> {
  const worker = startChild<object>('reel', 'memory-worker', { url });
  const before = (await worker.next('ready')).memory as Mem;
  const client = new Client({ connectionString: url });
  const db = new pg.Pool({ connectionString: url, max: 1 });
  const t = performance.now();
  await lanes(n, 50, (i) => client.start(waitForever, undefined, { id: `memory-${i}` }));
  const suspended = `select count(*)::int as n from reel.workflows
                      where status = 'running' and lease_owner is null and ready_at is null`;
  while ((await db.query(suspended)).rows[0].n < n) await sleep(100);
  const suspendMs = performance.now() - t;
  await sleep(500);
  worker.send({ type: 'measure' });
  const after = (await worker.next('memory')).memory as Mem;
  worker.send({ type: 'stop' });
  await worker.result;
  await client.close();
  await db.end();
  return { before, after, suspendMs };
}

export async function memoryScenario(ctx: BenchContext): Promise<Section> {
  const n = ctx.config.suspended;
  const got: { reel?: Result; dbos?: Result } = {};
  for (const system of ctx.systems) {
    ctx.log(`4. memory: ${system}, ${n} suspended workflows`);
    got[system] = await withDatabase(ctx, (url) =>
      system === 'reel' ? reel(url, n) : runChild<Result>('dbos', 'memory', { url, n }),
    );
  }
  const mb = (b: number | undefined) => (b === undefined ? undefined : b / 2 ** 20);
  const perWf = (r: Result | undefined, k: keyof Mem) => (r ? (r.after[k] - r.before[k]) / n : undefined);
  const rows: Row[] = [];
  const add = (metric: string, r: number | undefined, d: number | undefined, unit: string) =>
    rows.push({ scenario: '4. memory', metric, reel: fmt(r, unit), dbos: fmt(d, unit), ratio: ratio(r, d) });
  add('RSS before', mb(got.reel?.before.rss), mb(got.dbos?.before.rss), 'MiB');
  add(
    `RSS with ${n.toLocaleString('en-US')} suspended`,
    mb(got.reel?.after.rss),
    mb(got.dbos?.after.rss),
    'MiB',
  );
  add('heap before', mb(got.reel?.before.heapUsed), mb(got.dbos?.before.heapUsed), 'MiB');
  add(
    `heap with ${n.toLocaleString('en-US')} suspended`,
    mb(got.reel?.after.heapUsed),
    mb(got.dbos?.after.heapUsed),
    'MiB',
  );
  add('heap per suspended workflow', perWf(got.reel, 'heapUsed'), perWf(got.dbos, 'heapUsed'), 'B');
  add('RSS per suspended workflow', perWf(got.reel, 'rss'), perWf(got.dbos, 'rss'), 'B');
  add(
    'time to start and suspend all',
    (got.reel?.suspendMs ?? Number.NaN) / 1000,
    (got.dbos?.suspendMs ?? Number.NaN) / 1000,
    's',
  );
  return {
    title: '4. Worker memory with suspended workflows',
    rows,
    notes: [
      `${n.toLocaleString('en-US')} workflows that each wait for a signal that never comes, started 50 at a time. Memory is read in the worker process after three forced garbage collections, before the first start and once every workflow is waiting.`,
      'Reel: the worker runs in a process of its own (the workflows are started from another process), and a run that waits for a signal is suspended: its lease is released and its state dropped from memory, so the figure per workflow is what the worker keeps after suspending, which should be close to nothing. DBOS: a workflow runs in the process that starts it and stays there, an async function blocked in `DBOS.recv`, so that process is the worker.',
    ],
  };
}
