/**
 * Round trips on Reel's hot path: every statement of `n` workflows of scenario 1, one at a time, by
 * statement and pool (client or worker), with WAL and row changes per workflow. `prepare` sends
 * Reel's statements as prepared statements, to measure what that would save.
 */
import { Client } from '@reel/sdk';
import { Worker } from '@reel/worker';
import type pg from 'pg';
import { log, prepareStatements, record, taggedPool } from '../profile/query-log.ts';
import { activities, threeSteps, workflows } from './workflows.ts';

export interface StatementCost {
  pool: string;
  name: string;
  perWorkflow: number;
  meanMs: number;
}

export interface ReelProfile {
  prepared: boolean;
  msPerWorkflow: number;
  statementsPerWorkflow: number;
  statements: StatementCost[];
  walBytesPerWorkflow: number;
  tables: { table: string; inserts: number; updates: number; hotUpdates: number; deletes: number }[];
  workflowIndexes: string[];
  timeline: { atMs: number; pool: string; name: string; ms: number }[];
}

const wal = async (pool: pg.Pool) =>
  Number((await pool.query("select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as w")).rows[0].w);
const tableStats = async (pool: pg.Pool) =>
  (
    await pool.query(
      `select relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del from pg_stat_user_tables where schemaname = 'reel'`,
    )
  ).rows;

export default async function profile({ url, n, prepare }: { url: string; n: number; prepare: boolean }) {
  prepareStatements(prepare);
  const workerPool = taggedPool(url, 'worker');
  const clientPool = taggedPool(url, 'client');
  const worker = await Worker.create({ pool: workerPool, workflows, activities, handleSignals: false });
  const running = worker.run();
  const client = new Client({ pool: clientPool, worker });
  for (let i = 0; i < 20; i++) await (await client.start(threeSteps, i)).result();

  const before = await tableStats(workerPool);
  const wal0 = await wal(workerPool);
  record(true);
  let last = { t0: 0, t1: 0, from: 0, to: 0 };
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const from = log.length;
    const t0 = performance.now();
    await (await client.start(threeSteps, i)).result();
    last = { t0, t1: performance.now(), from, to: log.length };
  }
  const msPerWorkflow = (performance.now() - t) / n;
  record(false);
  await new Promise((r) => setTimeout(r, 1200)); // table statistics reach the stats system
  const wal1 = await wal(workerPool);
  const after = await tableStats(workerPool);

  const groups = new Map<string, number[]>();
  for (const q of log)
    groups.set(`${q.pool}\t${q.name}`, [...(groups.get(`${q.pool}\t${q.name}`) ?? []), q.ms]);
  const statements = [...groups.entries()]
    .map(([key, ms]) => {
      const [pool, name] = key.split('\t') as [string, string];
      return { pool, name, perWorkflow: ms.length / n, meanMs: ms.reduce((a, b) => a + b, 0) / ms.length };
    })
    .filter((s) => s.perWorkflow >= 0.1)
    .sort((a, b) => b.perWorkflow * b.meanMs - a.perWorkflow * a.meanMs);
  const delta = (a: Record<string, string>, col: string) =>
    (Number(a[col]) - Number(before.find((b) => b.relname === a.relname)?.[col] ?? 0)) / n;
  const { rows: indexes } = await workerPool.query(
    `select indexrelname from pg_stat_user_indexes where schemaname = 'reel' and relname = 'workflows'`,
  );
  const result: ReelProfile = {
    prepared: prepare,
    msPerWorkflow,
    statementsPerWorkflow: log.filter((q) => q.pool !== 'other').length / n,
    statements,
    walBytesPerWorkflow: (wal1 - wal0) / n,
    tables: after
      .map((a) => ({
        table: a.relname,
        inserts: delta(a, 'n_tup_ins'),
        updates: delta(a, 'n_tup_upd'),
        hotUpdates: delta(a, 'n_tup_hot_upd'),
        deletes: delta(a, 'n_tup_del'),
      }))
      .filter((r) => r.inserts + r.updates + r.deletes > 0.01),
    workflowIndexes: indexes.map((r) => r.indexrelname),
    timeline: log
      .slice(last.from, last.to)
      .map((q) => ({ atMs: q.startMs - last.t0, pool: q.pool, name: q.name, ms: q.ms })),
  };
  await client.close();
  await worker.shutdown();
  await running;
  await workerPool.end();
  await clientPool.end();
  return result;
}
