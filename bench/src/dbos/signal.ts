/** Scenario 2 on DBOS: a workflow blocked in `DBOS.recv`; time from `DBOS.send` to the end of the next step. */
import { DBOS } from '@dbos-inc/dbos-sdk';
import { sleep } from '../load.ts';
import { summarize } from '../stats.ts';
import { launch, stepsThenSignals, tickedAt } from './workflows.ts';

export default async function signal({ url, n }: { url: string; n: number }) {
  await launch(url);
  const samples: number[] = [];
  for (let i = -10; i < n; i++) {
    const handle = await DBOS.startWorkflow(stepsThenSignals)(0);
    await sleep(30); // well past the point where recv waits for its notification
    const t = performance.now();
    await DBOS.send(handle.workflowID, `tick-${i}`, 'go');
    const at = await tickedAt(`tick-${i}`);
    if (i >= 0) samples.push(at - t); // the first ten warm up
    await DBOS.cancelWorkflow(handle.workflowID);
  }
  await DBOS.shutdown();
  return summarize(samples);
}
