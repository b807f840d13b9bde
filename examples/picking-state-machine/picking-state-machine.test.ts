import { createTestEnv } from '@reel/testing';
import { describe, expect, it } from 'vitest';
import { warehouseLog } from './activities.ts';
import { activities, type OrderState, pickingStateMachine, type Transition, workflows } from './workflows.ts';

const startTime = '2026-03-02T09:00:00Z';

/** Starts order `id` in a fresh env; `move` sends a transition and answers the new state. */
async function setup(id: string) {
  const env = await createTestEnv({ workflows, activities, startTime });
  const handle = await env.client.start(pickingStateMachine, { id }, { id: `order-${id}` });
  const move = (to: Transition['to'], by: string) =>
    env.client.update<OrderState>(handle.id, 'transition', { to, by } satisfies Transition);
  return { env, handle, move };
}

describe('pickingStateMachine', () => {
  it('moves idle → picking → assigned → done, each update answering the new state', async () => {
    const { env, handle, move } = await setup('1');
    await using _ = env;
    expect(await env.client.query(handle.id, 'state')).toEqual({
      state: 'idle',
      by: 'system',
      since: '2026-03-02T09:00:00.000Z',
      expiresAt: '2026-03-02T09:30:00.000Z',
    });

    await env.sleep('10 minutes');
    expect(await move('picking', 'sam')).toEqual({
      state: 'picking',
      by: 'sam',
      since: '2026-03-02T09:10:00.000Z',
      expiresAt: '2026-03-02T10:10:00.000Z',
    });
    await env.sleep('45 minutes');
    expect(await move('assigned', 'dock-3')).toEqual({
      state: 'assigned',
      by: 'dock-3',
      since: '2026-03-02T09:55:00.000Z',
    });
    await env.sleep('5 hours'); // assigned has no timeout
    expect(await move('done', 'lin')).toMatchObject({ state: 'done', by: 'lin' });

    const result = await handle.result();
    expect(result.state).toBe('done');
    expect(result.trail.map((s) => s.state)).toEqual(['idle', 'picking', 'assigned', 'done']);
    expect(warehouseLog.get('1')).toEqual([
      'idle (system)',
      'picking (sam)',
      'assigned (dock-3)',
      'done (lin)',
    ]);
  });

  it('refuses a transition the current state does not allow, with a message, and goes on', async () => {
    const { env, handle, move } = await setup('2');
    await using _ = env;
    await move('picking', 'sam');
    await move('assigned', 'dock-3');

    await expect(move('picking', 'sam')).rejects.toMatchObject({
      code: 'REEL_UPDATE_REJECTED',
      message: expect.stringContaining(
        'Order 2 cannot go from assigned to picking: from assigned it can only go to done.',
      ),
    });
    await expect(move('done', '')).rejects.toMatchObject({
      code: 'REEL_UPDATE_REJECTED',
      message: expect.stringContaining('Say who moves order 2 to done'),
    });
    expect(await env.client.query(handle.id, 'state')).toMatchObject({ state: 'assigned' });
    expect(await move('done', 'lin')).toMatchObject({ state: 'done' });
    expect((await handle.result()).trail.map((s) => s.state)).toEqual([
      'idle',
      'picking',
      'assigned',
      'done',
    ]);
    const { events } = await env.client.history(handle.id);
    expect(events.filter((e) => e.type === 'update_accepted')).toHaveLength(3); // refusals leave no trace
  });

  it('expires an order nobody starts picking within 30 minutes', async () => {
    const { env, handle } = await setup('3');
    await using _ = env;

    const result = await handle.result();
    expect(result.state).toBe('expired');
    expect(result.trail.at(-1)).toEqual({
      state: 'expired',
      by: 'timeout',
      since: '2026-03-02T09:30:00.000Z',
    });
    expect(warehouseLog.get('3')).toEqual(['idle (system)', 'expired (timeout)']);
  });

  it('expires an order not picked within 60 minutes of starting, and then refuses moves', async () => {
    const { env, handle, move } = await setup('4');
    await using _ = env;
    await env.sleep('20 minutes');
    await move('picking', 'sam');

    const result = await handle.result();
    expect(result.trail.map((s) => [s.state, s.since])).toEqual([
      ['idle', '2026-03-02T09:00:00.000Z'],
      ['picking', '2026-03-02T09:20:00.000Z'],
      ['expired', '2026-03-02T10:20:00.000Z'],
    ]);
    await expect(move('assigned', 'dock-3')).rejects.toMatchObject({ code: 'REEL_WORKFLOW_CLOSED' });
  });
});
