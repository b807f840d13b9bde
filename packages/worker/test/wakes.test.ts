import { MemoryStore, recordingLogger } from '@reel/testing';
import { expect, it, vi } from 'vitest';
import { Doorbell } from '../src/doorbell.ts';
import { Wakes } from '../src/wakes.ts';

/** A worker's wake handling over the memory store, with `free` slots, and the wakes passed on. */
async function wakesWith(free: number) {
  const store = new MemoryStore();
  const passed: string[] = [];
  await store.listen({ onWake: (runId, to) => passed.push(`${runId} ${to?.join(' ')}`) });
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

it('a worker takes as many wakes as it has free slots between two claims, and passes the rest on', async () => {
  const { wakes, passed } = await wakesWith(2);
  for (const run of ['r1', 'r2', 'r3']) wakes.heard(run, ['a', 'b', 'c']);
  await vi.waitFor(() => expect(passed).toEqual(['r3 b c']));
  wakes.claiming(); // the claim takes r1 and r2; the slots it leaves free take more wakes
  wakes.heard('r4', ['a', 'b']);
  wakes.heard('r5', ['b', 'a']); // the second named: its fallback, never a pass
  wakes.heard('r6', ['a']); // no one to pass it to
  await new Promise((resolve) => setImmediate(resolve));
  expect(passed).toEqual(['r3 b c']);
});

it('a worker with no room passes every wake that names it first', async () => {
  const { wakes, passed } = await wakesWith(0);
  wakes.heard('r1', ['a', 'b']);
  wakes.heard('r2', ['a', 'c', 'b']);
  await vi.waitFor(() => expect(passed).toEqual(['r1 b', 'r2 c b']));
});
