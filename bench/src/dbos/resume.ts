/**
 * Scenario 3 on DBOS, second half, in a fresh process: `DBOS.launch()` recovers the pending workflow
 * (it re-runs the function, reading each recorded step back); then send and time until the step after
 * `recv` has run. The process exits without shutting down, so the workflow stays pending for the next.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import { launch, tickedAt } from './workflows.ts';

export default async function resume({ url, id, key }: { url: string; id: string; key: string }) {
  const t0 = performance.now();
  await launch(url);
  const launchMs = performance.now() - t0;
  const t = performance.now();
  await DBOS.send(id, key, 'go');
  const ms = (await tickedAt(key)) - t;
  return { ms, launchMs };
}
