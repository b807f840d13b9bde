/** Scenario 6: one worker process of a fleet; serves until the parent says stop. */
import { hear, tell } from '../ipc.ts';
import { createWorker } from './workflows.ts';

export default async function fleetWorker({ url }: { url: string }) {
  const worker = await createWorker(url);
  const running = worker.run();
  tell('ready');
  await hear('stop');
  await worker.shutdown();
  await running;
  return {};
}
