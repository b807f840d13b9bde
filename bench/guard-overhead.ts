// Replay cost with and without the determinism guard, each mode in its own process (the guard's
// hook, once installed, stays for the process): node --import tsx bench/guard-overhead.ts
import { execFileSync } from 'node:child_process';
import { type RecordedEvent, type WorkflowContext, WorkflowExecution } from '../packages/sdk/src/index.ts';

async function step(n: number) {
  return n;
}
async function wf(ctx: WorkflowContext) {
  let s = 0;
  for (let i = 0; i < 2000; i++) s += await ctx.activity(step, i);
  return s;
}
const at = new Date().toISOString();
const history: RecordedEvent[] = [{ type: 'workflow_started', workflowType: 'wf', input: null, seq: 0, at }];
for (let i = 0; i < 2000; i++) {
  history.push({ type: 'activity_scheduled', cmd: i, name: 'step', args: [i], seq: history.length, at });
  history.push({ type: 'activity_completed', cmd: i, result: i, seq: history.length, at });
}
async function run(guard: 'off' | 'throw') {
  const t = performance.now();
  const e = new WorkflowExecution({
    workflowId: 'w',
    runId: 'r',
    workflowType: 'wf',
    fn: wf,
    history,
    clock: () => new Date(),
    guard,
  });
  await e.advance();
  return performance.now() - t;
}
const mode = process.argv[2] as 'off' | 'throw' | undefined;
if (mode) {
  for (let i = 0; i < 5; i++) await run(mode);
  const times: number[] = [];
  for (let i = 0; i < 21; i++) times.push(await run(mode));
  times.sort((x, y) => x - y);
  process.stdout.write(String(times[times.length >> 1]));
} else {
  const measure = (m: string) =>
    Number(execFileSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, m]));
  const rows = [1, 2, 3].map(() => [measure('off'), measure('throw')] as const);
  for (const [off, on] of rows)
    console.log(
      `replay of ${history.length} events: guard off ${off.toFixed(1)} ms, on ${on.toFixed(1)} ms, ratio ${(on / off).toFixed(2)}`,
    );
}
