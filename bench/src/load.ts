import type { StatementCounts } from './profile/query-log.ts';

/** Drives `n` workflows through `concurrency` lanes, each starting the next one when its last returned. */
export async function lanes(
  n: number,
  concurrency: number,
  one: (i: number) => Promise<unknown>,
): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      const t = performance.now();
      await one(i);
      latencies.push(performance.now() - t);
    }
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, lane));
  return { latencies, wallMs: performance.now() - t };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** What a throughput measurement reports back to the parent. */
export interface Throughput {
  n: number;
  concurrency: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** CPU time (user + system) of the measuring process per workflow. */
  cpuMsPerWorkflow: number;
  /** CPU time of the Postgres server per workflow, when it runs on this machine. */
  serverCpuMsPerWorkflow: number | undefined;
  /** WAL the server wrote per workflow (server-wide, so anything else on it counts too). */
  walBytesPerWorkflow: number;
  /** The statements the measuring process sent (scenario 6 only). */
  statements?: StatementCounts;
}
