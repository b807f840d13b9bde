/** Scenario 3, first half: a run of `steps` activities that then suspends, waiting for a signal. */
import { pool, SUSPENDED_ON_SIGNAL, until } from './db.ts';
import { createClient, createWorker, stepsThenSignals } from './workflows.ts';

export default async function build({ url, id, steps }: { url: string; id: string; steps: number }) {
  const worker = await createWorker(url);
  const running = worker.run();
  const client = createClient(url);
  const db = pool(url);
  const t = performance.now();
  await client.start(stepsThenSignals, steps, { id });
  await until(db, SUSPENDED_ON_SIGNAL, [id], 600_000);
  const buildMs = performance.now() - t;
  const { rows } = await db.query('select history_length from reel.workflows where workflow_id = $1', [id]);
  await client.close();
  await db.end();
  await worker.shutdown();
  await running;
  return { events: rows[0].history_length as number, buildMs };
}
