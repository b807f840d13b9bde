/**
 * Scenario 3 on DBOS, first half: a workflow of `steps` steps that then blocks in `DBOS.recv`. The
 * process then exits without shutting DBOS down, as a stopped or crashed process would.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import pg from 'pg';
import { sleep } from '../load.ts';
import { launch, stepsThenSignals } from './workflows.ts';

export default async function build({ url, id, steps }: { url: string; id: string; steps: number }) {
  await launch(url);
  const db = new pg.Pool({ connectionString: url, max: 1 });
  const t = performance.now();
  await DBOS.startWorkflow(stepsThenSignals, { workflowID: id })(steps);
  // Every step, then recv's durable timeout, is one row of operation_outputs.
  for (;;) {
    const { rows } = await db.query(
      'select count(*)::int as n from dbos.operation_outputs where workflow_uuid = $1',
      [id],
    );
    if (rows[0].n >= steps + 1) break;
    await sleep(5);
  }
  const buildMs = performance.now() - t;
  await sleep(50); // recv is waiting for its notification
  await db.end();
  return { events: steps + 1, buildMs };
}
