/** The determinism guard's replay overhead: runs `bench/guard-overhead.ts` and keeps its lines. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BenchContext, Section } from '../section.ts';

export async function guardScenario(ctx: BenchContext): Promise<Section> {
  ctx.log('guard overhead: bench/guard-overhead.ts');
  const script = new URL('../../guard-overhead.ts', import.meta.url).pathname;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script]);
  const lines = stdout.trim().split('\n');
  const ratios = lines.map((l) => Number(/ratio ([\d.]+)/.exec(l)?.[1])).filter((r) => !Number.isNaN(r));
  const sorted = [...ratios].sort((a, b) => a - b);
  const mid = sorted[sorted.length >> 1];
  return {
    title: 'Determinism guard overhead',
    rows: [
      {
        scenario: 'guard',
        metric: 'replay time, guard on / off (median of 3)',
        reel: mid === undefined ? '–' : `${mid.toFixed(2)}×`,
        dbos: 'no guard',
        ratio: '–',
      },
    ],
    notes: [
      '`bench/guard-overhead.ts` replays a recorded history of 2,000 activities (4,001 events) in memory, with the guard off and in `throw` mode, each mode in its own process (the hook stays for the life of a process), median of 21 replays after 5 for warm-up, three times:',
      `\`\`\`\n${lines.join('\n')}\n\`\`\``,
    ],
  };
}
