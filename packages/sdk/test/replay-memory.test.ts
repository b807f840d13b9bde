import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { type RecordedEvent, type WorkflowContext, WorkflowExecution } from '../src/index.ts';

setFlagsFromString('--expose-gc');
/** A full collection, from a context made after the flag (the process's own has no `gc`). */
const gc = runInNewContext('gc') as () => void;

const STEPS = 200;
const at = '2026-03-01T09:00:00.000Z';

async function step(i: number) {
  return i;
}

it('a run in memory keeps none of the promises of the commands it has settled', async () => {
  const promises: WeakRef<Promise<unknown>>[] = [];
  // The steps in a function of their own, which has returned: its frame holds no promise either.
  async function steps(ctx: WorkflowContext) {
    for (let i = 0; i < STEPS; i++) {
      const result = ctx.activity(step, i);
      promises.push(new WeakRef(result));
      await result;
    }
  }
  async function loop(ctx: WorkflowContext) {
    await steps(ctx);
    await ctx.signal('never');
  }
  const history: RecordedEvent[] = [
    { type: 'workflow_started', workflowType: 'loop', input: null, seq: 0, at },
  ];
  for (let cmd = 0; cmd < STEPS; cmd++) {
    history.push({ type: 'activity_scheduled', cmd, name: 'step', args: [cmd], seq: history.length, at });
    history.push({ type: 'activity_completed', cmd, result: cmd, seq: history.length, at });
  }
  const exec = new WorkflowExecution({
    workflowId: 'loop-1',
    runId: 'loop-run-1',
    workflowType: 'loop',
    fn: loop,
    history,
    clock: () => new Date(at),
  });
  await exec.advance();
  expect(promises).toHaveLength(STEPS);
  expect(exec.outcome).toBeUndefined(); // still held: waiting for the signal

  // A WeakRef keeps its target through the job that made or read it: collect in a later one.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  expect(promises.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  expect(exec.isSettled(STEPS - 1)).toBe(true);
});
