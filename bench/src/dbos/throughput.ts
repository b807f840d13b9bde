/** Scenario 1 on DBOS: start → result of three-step workflows, `concurrency` in flight. */
import { DBOS } from '@dbos-inc/dbos-sdk';
import { lanes, type Throughput, warmUp } from '../load.ts';
import { perUnit, serverCost } from '../server-cost.ts';
import { summarize } from '../stats.ts';
import { launch, threeSteps } from './workflows.ts';

export default async function throughput(args: {
  url: string;
  n: number;
  concurrency: number;
}): Promise<Throughput> {
  const { url, n, concurrency } = args;
  await launch(url);
  const one = async (i: number) => {
    const handle = await DBOS.startWorkflow(threeSteps)(i);
    await handle.getResult();
  };
  await warmUp(one);
  const server = await serverCost(url);
  const server0 = await server();
  const cpu = process.cpuUsage();
  const { latencies, wallMs } = await lanes(n, concurrency, one);
  const used = process.cpuUsage(cpu);
  const server1 = await server();
  await DBOS.shutdown();
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
  };
}
