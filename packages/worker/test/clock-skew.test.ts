import { Client, type WorkflowContext } from '@reel/sdk';
import { recordingLogger } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import { afterAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';

// Leases are timed by the database's clock: a worker whose clock runs ahead takes no live lease.
const db = useTestDatabase();
const LEASE_MS = 3000;

/** Each start of the slow activity, by workflow id. */
const starts: string[] = [];
let open!: () => void;
const gate = new Promise<void>((resolve) => (open = resolve));

export async function slowStep(id: string): Promise<string> {
  starts.push(id);
  await gate;
  return `done ${id}`;
}

export async function quickStep(): Promise<string> {
  return 'quick';
}

export async function slow(ctx: WorkflowContext) {
  return ctx.activity(slowStep, ctx.info.workflowId);
}

/** Served only by the worker whose clock is ahead: when it has run, that worker has claimed. */
export async function marker(ctx: WorkflowContext) {
  return ctx.activity(quickStep);
}

const workers: Worker[] = [];
const clients: Client[] = [];
afterAll(async () => {
  open();
  await Promise.all(workers.map((w) => w.shutdown()));
  await Promise.all(clients.map((c) => c.close()));
});

async function worker(workflows: Parameters<typeof Worker.create>[0]['workflows'], clock?: () => Date) {
  const w = await Worker.create({
    connectionString: db.connectionString,
    workflows,
    activities: { slowStep, quickStep },
    leaseMs: LEASE_MS,
    pollIntervalMs: 50,
    handleSignals: false,
    logger: recordingLogger(),
    ...(clock ? { clock } : {}),
  });
  workers.push(w);
  void w.run();
  return w;
}

it('a worker whose clock runs three leases ahead does not take a run another worker holds', async () => {
  const client = new Client({ connectionString: db.connectionString });
  clients.push(client);
  await worker({ slow });
  const held = await client.start(slow, undefined, { id: 'held' });
  await expect.poll(() => starts, { timeout: 10_000 }).toEqual(['held']);

  // Its renewals keep the lease 2–3 s ahead of the database's clock, which this worker's passes.
  await worker({ slow, marker }, () => new Date(Date.now() + 3 * LEASE_MS));
  const probe = await client.start(marker, undefined, { id: 'marker' });
  // The marker run is claimable only by the worker ahead, in the same claims as the held run would be.
  expect(await probe.result({ timeout: '10s' })).toBe('quick');
  expect(starts).toEqual(['held']);

  open();
  expect(await held.result({ timeout: '10s' })).toBe('done held');
  expect(starts).toEqual(['held']);
});
