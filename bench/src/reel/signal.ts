/**
 * Scenario 2: a run waits for a signal; time from `client.signal` to the end of the activity the
 * signal unblocks. A wait for a signal suspends the run (lease released), so the signal wakes it
 * through the inbox, a claim and a replay: the common case.
 */
import { summarize } from '../stats.ts';
import { pool, SUSPENDED_ON_SIGNAL, until } from './db.ts';
import { createClient, createWorker, stepsThenSignals, tickedAt } from './workflows.ts';

export default async function signal({ url, n }: { url: string; n: number }) {
  const worker = await createWorker(url);
  const running = worker.run();
  const client = createClient(url);
  const db = pool(url);
  const samples: number[] = [];
  for (let i = -10; i < n; i++) {
    const handle = await client.start(stepsThenSignals, 0);
    await until(db, SUSPENDED_ON_SIGNAL, [handle.id]);
    const t = performance.now();
    await client.signal(handle.id, 'go', `tick-${i}`);
    const at = await tickedAt(`tick-${i}`);
    if (i >= 0) samples.push(at - t); // the first ten warm up
    await client.terminate(handle.id);
  }
  await client.close();
  await db.end();
  await worker.shutdown();
  await running;
  return summarize(samples);
}
