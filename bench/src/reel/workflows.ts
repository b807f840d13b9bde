/** The Reel side of every scenario: workflows and activities written as a user would. */
import type { WorkflowContext } from '@reel/sdk';
import { Client } from '@reel/sdk';
import { Worker, type WorkerOptions } from '@reel/worker';

export async function noop(i: number): Promise<number> {
  return i;
}

const ticks = new Map<string, number>();
const tickWaiters = new Map<string, (at: number) => void>();

/** Records when it ran, under `key`, for the parent process to read (see `tickedAt`). */
export async function tick(key: string): Promise<string> {
  const at = performance.now();
  const waiter = tickWaiters.get(key);
  if (waiter) waiter(at);
  else ticks.set(key, at);
  return key;
}

/** When `tick(key)` ran in this process (`performance.now()`), waiting for it if it has not yet. */
export function tickedAt(key: string): Promise<number> {
  const at = ticks.get(key);
  if (at !== undefined) return Promise.resolve(at);
  return new Promise((resolve) => tickWaiters.set(key, resolve));
}

/** Scenario 1 and 6: three no-op activities. */
export async function threeSteps(ctx: WorkflowContext, i: number): Promise<number> {
  await ctx.activity(noop, i);
  await ctx.activity(noop, i);
  await ctx.activity(noop, i);
  return i;
}

/** Scenarios 2 and 3: `steps` activities, then forever: wait for 'go', tick with its payload. */
export async function stepsThenSignals(ctx: WorkflowContext, steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) await ctx.activity(noop, i);
  for (;;) {
    const key = await ctx.signal<string>('go');
    await ctx.activity(tick, key);
  }
}

/** Scenario 4: waits for a signal that never comes. */
export async function waitForever(ctx: WorkflowContext): Promise<void> {
  await ctx.signal('go');
}

/** Scenario 5: a week and a half of sleeping, with five activities on the way. */
export async function tenDays(ctx: WorkflowContext): Promise<number> {
  let sum = 0;
  for (let day = 0; day < 10; day++) {
    await ctx.sleep('1 day');
    if (day % 2 === 0) sum += await ctx.activity(noop, day);
  }
  return sum;
}

export const workflows = { threeSteps, stepsThenSignals, waitForever, tenDays };
export const activities = { noop, tick };

/** A worker serving every bench workflow, not handling process signals (the parent manages them). */
export function createWorker(url: string, options: Partial<WorkerOptions> = {}): Promise<Worker> {
  return Worker.create({
    connectionString: url,
    workflows,
    activities,
    concurrency: 100,
    handleSignals: false,
    ...options,
  } as WorkerOptions);
}

/** A client; given the process's worker, the workflows it starts run on that worker at once. */
export function createClient(url: string, worker?: Worker): Client {
  return new Client({ connectionString: url, ...(worker ? { worker } : {}) });
}
