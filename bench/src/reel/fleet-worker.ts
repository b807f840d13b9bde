/**
 * Scenario 6: one worker process of a fleet; serves until the parent says stop, and reports its CPU
 * and the statements it sent between the parent's 'mark' and 'stop'.
 */
import { hear, tell } from '../ipc.ts';
import { counts, record } from '../profile/query-log.ts';
import { createWorker } from './workflows.ts';

export default async function fleetWorker({ url }: { url: string }) {
  const worker = await createWorker(url);
  const running = worker.run();
  tell('ready');
  await hear('mark');
  const cpu = process.cpuUsage();
  record(true);
  tell('marked');
  await hear('stop');
  record(false);
  const used = process.cpuUsage(cpu);
  await worker.shutdown();
  await running;
  return { cpuMs: (used.user + used.system) / 1000, ...counts() };
}
