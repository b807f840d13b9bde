/**
 * Scenario 5: one unit test in the time-skipping test environment — ten one-day sleeps and five
 * activities — from `createTestEnv` to `close`, repeated.
 */
import { createTestEnv } from '@reel/testing';
import { median, percentile } from '../stats.ts';
import { noop, tenDays } from './workflows.ts';

export default async function testEnv({ runs }: { runs: number }) {
  const times: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const t = performance.now();
    const env = await createTestEnv({ workflows: { tenDays }, activities: { noop } });
    const handle = await env.client.start(tenDays, undefined);
    const result = await handle.result();
    const skippedDays = (env.now().getTime() - t - performance.timeOrigin) / 86_400_000;
    await env.close();
    if (result !== 20) throw new Error(`tenDays returned ${result}`);
    if (skippedDays < 9.99) throw new Error(`the virtual clock moved only ${skippedDays.toFixed(1)} days`);
    times.push(performance.now() - t);
  }
  const [first, ...rest] = times;
  return { firstMs: first as number, p50: median(rest), p99: percentile(rest, 99), runs };
}
