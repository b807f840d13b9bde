import type { StatementCounts } from './profile/query-log.ts';

/**
 * Runs before every throughput measurement, in the measuring process: 1,000 workflows, 50 at a time.
 * Connections open, and V8 optimizes the code a long-running process runs: after the 100 workflows
 * that warmed up before, Reel's app CPU per workflow at c=50 measured about twice its steady value,
 * which a worker reaches within its first seconds.
 */
export function warmUp(one: (i: number) => Promise<unknown>): Promise<unknown> {
  return lanes(1000, 50, one);
}

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
