/** Scenario 1 (and the load of scenario 6): start → result of three-step workflows, `concurrency` in flight. */
import type { WorkerOptions } from '@reel/worker';
import { hear, tell } from '../ipc.ts';
import { lanes, type Throughput, warmUp } from '../load.ts';
import { perUnit, serverCost } from '../server-cost.ts';
import { summarize } from '../stats.ts';
import { createClient, createWorker, threeSteps } from './workflows.ts';

interface Args {
  url: string;
  n: number;
  concurrency: number;
  /**
   * False when worker processes of their own serve the workflows (scenario 6): after the warm-up the
   * child says 'warm' and waits for 'go', says 'measured' when done, and counts its statements.
   */
  worker?: boolean;
  /** Overrides for the in-process worker (the profile's variants). */
  workerOptions?: Partial<WorkerOptions>;
}

export default async function throughput({
  url,
  n,
  concurrency,
  worker = true,
  workerOptions,
}: Args): Promise<Throughput> {
  const w = worker ? await createWorker(url, workerOptions) : undefined;
  const running = w?.run();
  const client = createClient(url, w);
  const one = async (i: number) => {
    const handle = await client.start(threeSteps, i);
    await handle.result();
  };
  await warmUp(one);
  const log = w ? undefined : await import('../profile/query-log.ts');
  if (log) {
    tell('warm');
    await hear('go');
    log.record(true);
  }
  const server = await serverCost(url);
  const server0 = await server();
  const cpu = process.cpuUsage();
  const { latencies, wallMs } = await lanes(n, concurrency, one);
  const used = process.cpuUsage(cpu);
  const server1 = await server();
  if (log) {
    log.record(false);
    tell('measured');
  }
  await client.close();
  await w?.shutdown();
  await running;
  const s = summarize(latencies);
  const cpuMsPerWorkflow = (used.user + used.system) / 1000 / n;
  const { serverCpuMs, walBytes } = perUnit(server0, server1, n);
  return {
    n,
    concurrency,
    perSecond: (n / wallMs) * 1000,
    p50: s.p50,
    p99: s.p99,
    cpuMsPerWorkflow,
    serverCpuMsPerWorkflow: serverCpuMs,
    walBytesPerWorkflow: walBytes,
    statements: log?.counts(),
  };
}
