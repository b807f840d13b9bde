import { Client } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { Worker } from '@reel/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { warehouseLog } from './activities.ts';
import { activities, type OrderState, pickingStateMachine, workflows } from './workflows.ts';

// One order driven to done with client.update on a real Postgres with a real worker;
// picking-state-machine.test.ts covers every transition, a refusal and both timeouts.
const db = useTestDatabase();
let worker: Worker;
let client: Client;

beforeAll(async () => {
  worker = await Worker.create({
    connectionString: db.connectionString,
    workflows,
    activities,
    handleSignals: false,
  });
  void worker.run();
  client = new Client({ connectionString: db.connectionString });
});

afterAll(async () => {
  await worker?.shutdown();
  await client?.close();
});

it('drives an order from idle to done, each update answering the new state', async () => {
  const handle = await client.start(pickingStateMachine, { id: 'pg-1' }, { id: 'order-pg-1' });
  const states: string[] = [];
  for (const [to, by] of [
    ['picking', 'sam'],
    ['assigned', 'dock-3'],
    ['done', 'lin'],
  ] as const) {
    const answer = await client.update<OrderState>(handle.id, 'transition', { to, by });
    states.push(answer.state);
  }
  expect(states).toEqual(['picking', 'assigned', 'done']);

  const result = await handle.result();
  expect(result.state).toBe('done');
  expect(result.trail.map((s) => s.state)).toEqual(['idle', 'picking', 'assigned', 'done']);
  expect(warehouseLog.get('pg-1')?.at(-1)).toBe('done (lin)');
});
