import { useTestDatabase, useTestWorker } from '@reel/testing/vitest';
import { expect, it } from 'vitest';
import { warehouseLog } from './activities.ts';
import { activities, type OrderState, pickingStateMachine, workflows } from './workflows.ts';

// One order driven to done with client.update on a real Postgres with a real worker;
// picking-state-machine.test.ts covers every transition, a refusal and both timeouts.
const db = useTestDatabase();
const reel = useTestWorker(db, { workflows, activities });

it('drives an order from idle to done, each update answering the new state', async () => {
  const handle = await reel.client.start(pickingStateMachine, { id: 'pg-1' }, { id: 'order-pg-1' });
  const states: string[] = [];
  for (const [to, by] of [
    ['picking', 'sam'],
    ['assigned', 'dock-3'],
    ['done', 'lin'],
  ] as const) {
    const answer = await reel.client.update<OrderState>(handle.id, 'transition', { to, by });
    states.push(answer.state);
  }
  expect(states).toEqual(['picking', 'assigned', 'done']);

  const result = await handle.result();
  expect(result.state).toBe('done');
  expect(result.trail.map((s) => s.state)).toEqual(['idle', 'picking', 'assigned', 'done']);
  expect(warehouseLog.get('pg-1')?.at(-1)).toBe('done (lin)');
});
