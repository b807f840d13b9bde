/** Scenario 4: a worker process on its own; reports its memory when the parent asks. */
import { hear, memory, tell } from '../ipc.ts';
import { createWorker } from './workflows.ts';

export default async function memoryWorker({ url }: { url: string }) {
  const worker = await createWorker(url);
  const running = worker.run();
  tell('ready', { memory: await memory() });
  await hear('measure');
  tell('memory', { memory: await memory() });
  await hear('stop');
  await worker.shutdown();
  await running;
  return {};
}
