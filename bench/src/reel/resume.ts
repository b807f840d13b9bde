/**
 * Scenario 3, second half, in a fresh process with a new worker: signal the suspended run and time
 * until the activity after the signal has run. That takes a claim, loading the whole history and
 * replaying it. The first resume is cold (new process: connections, JIT); the run then suspends
 * again, freed from memory, and `warm` more resumes in the same process show the steady cost.
 */
import { sleep } from '../load.ts';
import { median } from '../stats.ts';
import { pool, SUSPENDED_ON_SIGNAL, until } from './db.ts';
import { createClient, createWorker, tickedAt } from './workflows.ts';

interface Args {
  url: string;
  id: string;
  key: string;
  warm: number;
}

export default async function resume({ url, id, key, warm }: Args) {
  const worker = await createWorker(url);
  const running = worker.run();
  const client = createClient(url);
  const db = pool(url);
  await sleep(200); // the worker is listening and has made its first claim
  await client.describe(id); // the client's connection is open: the time measured is the worker's
  const once = async (k: string) => {
    const t = performance.now();
    await client.signal(id, 'go', k);
    const ms = (await tickedAt(k)) - t;
    await until(db, SUSPENDED_ON_SIGNAL, [id]); // suspended again, out of memory
    return ms;
  };
  const coldMs = await once(key);
  const warmMs: number[] = [];
  for (let i = 0; i < warm; i++) warmMs.push(await once(`${key}-warm-${i}`));
  await client.close();
  await db.end();
  await worker.shutdown();
  await running;
  return { coldMs, warmMs: median(warmMs) };
}
