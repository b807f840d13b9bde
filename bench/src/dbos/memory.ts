/**
 * Scenario 4 on DBOS: `n` workflows blocked in `DBOS.recv`. DBOS runs a workflow in the process that
 * starts it and keeps it there while it waits, so this process is the worker.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import pg from 'pg';
import { memory } from '../ipc.ts';
import { lanes, sleep } from '../load.ts';
import { launch, waitForever } from './workflows.ts';

export default async function dbosMemory({ url, n }: { url: string; n: number }) {
  await launch(url);
  const db = new pg.Pool({ connectionString: url, max: 1 });
  const before = await memory();
  const t = performance.now();
  await lanes(n, 50, async () => {
    await DBOS.startWorkflow(waitForever)();
  });
  // recv records its durable timeout as the workflow's first operation before it waits.
  for (;;) {
    const { rows } = await db.query(
      'select count(distinct workflow_uuid)::int as n from dbos.operation_outputs',
    );
    if (rows[0].n >= n) break;
    await sleep(100);
  }
  const suspendMs = performance.now() - t;
  await sleep(500);
  const after = await memory();
  await db.end();
  return { before, after, suspendMs };
}
