import { MemoryStore, recordingLogger } from '@reel/testing';
import { expect, it, vi } from 'vitest';
import { Doorbell } from '../src/doorbell.ts';
import { Wakes } from '../src/wakes.ts';

/** Worker `a`'s wake handling over the memory store, with `free` slots, and the wakes it passes on. */
async function wakesWith(free: number) {
  const store = new MemoryStore();
  const passed: string[] = [];
  await store.listen({ onWake: (runId, to, runs) => passed.push(`${runId} ${to?.join(' ')} ×${runs}`) });
  const room = () => free;
  const wakes = new Wakes({
    identity: 'a',
    store,
    bell: new Doorbell(),
    clock: () => new Date(),
    room,
    logger: recordingLogger(),
  });
  return { wakes, passed };
}

/** Lets the passes this turn queued go out, and the store deliver them. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

it('a worker takes as many wakes as it has free slots between two claims, and passes the rest on', async () => {
  const { wakes, passed } = await wakesWith(2);
  for (const run of ['r1', 'r2', 'r3']) wakes.heard(run, ['a', 'b', 'c']);
  await vi.waitFor(() => expect(passed).toEqual(['r3 b c ×1']));
  wakes.claiming(); // the claim takes r1 and r2; the slots it leaves free take more wakes
  wakes.heard('r4', ['a', 'b']);
  wakes.heard('r5', ['b', 'a']); // the second named: its fallback, never a pass
  wakes.heard('r6', ['a']); // no one to pass it to
  await nextTurn();
  await nextTurn();
  expect(passed).toEqual(['r3 b c ×1']);
});

it('the wakes of a turn that a full worker cannot take go on in one pass per set of workers, counting the runs', async () => {
  const { wakes, passed } = await wakesWith(0);
  for (let i = 1; i <= 500; i++) wakes.heard(`r${i}`, ['a', 'b', 'c']);
  wakes.heard('s1', ['a', 'c', 'b']);
  await vi.waitFor(() => expect(passed).toEqual(['r500 b c ×500', 's1 c b ×1']));
});

it('a passed wake of several runs is taken up to the free slots, and the rest passed on', async () => {
  const { wakes, passed } = await wakesWith(3);
  wakes.heard('r9', ['a', 'c'], 10);
  await vi.waitFor(() => expect(passed).toEqual(['r9 c ×7']));
});
