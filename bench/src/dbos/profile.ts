/** Statements per workflow for DBOS on scenario 1's workflow, one at a time, for comparison with Reel's. */
import { DBOS } from '@dbos-inc/dbos-sdk';
import { log, record, taggedPool } from '../profile/query-log.ts';
import { threeSteps } from './workflows.ts';

export default async function profile({ url, n }: { url: string; n: number }) {
  const pool = taggedPool(url, 'dbos');
  DBOS.setConfig({ name: 'reel-bench', systemDatabaseUrl: url, systemDatabasePool: pool, logLevel: 'error' });
  await DBOS.launch();
  for (let i = 0; i < 20; i++) await (await DBOS.startWorkflow(threeSteps)(i)).getResult();
  record(true);
  const t = performance.now();
  for (let i = 0; i < n; i++) await (await DBOS.startWorkflow(threeSteps)(i)).getResult();
  const msPerWorkflow = (performance.now() - t) / n;
  record(false);
  const transactions = log.filter((q) => /^commit$/i.test(q.name)).length / n;
  return { msPerWorkflow, statementsPerWorkflow: log.length / n, transactionsPerWorkflow: transactions };
}
