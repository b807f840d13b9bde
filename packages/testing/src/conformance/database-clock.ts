import { randomUUID } from 'node:crypto';
import type { ClaimedRun, ClaimedTask, NewTask } from '@reel/sdk';
import { describe, expect } from 'vitest';
import { type Harness, LEASE, type StoreFactory, storePerTest } from './harness.ts';

const DAY = 86_400_000;
/** A caller whose clock is a day ahead of the store's (near the wall clock). */
const ahead = () => new Date(Date.now() + DAY);
/** A caller whose clock is a day behind. */
const behind = () => new Date(Date.now() - DAY);

/**
 * A store that times leases and claims by its own clock (the database's), near the wall clock:
 * whatever clock a caller's `now` comes from, a live lease stays its holder's, and a run made ready
 * is claimable at once. The margins are a day, so the time the calls take does not matter.
 */
export function databaseClockBehaviour(h: Harness, makeStore: StoreFactory): void {
  const { it } = h;
  describe('leases and claims by the database clock', () => {
    const store = storePerTest(makeStore);
    /** Claims the one run of `type` for a caller at `now`. */
    async function claimOne(type: string, now: Date): Promise<ClaimedRun> {
      const claimed = await store().claim('holder', [type], 1, now, LEASE);
      expect(claimed).toHaveLength(1);
      return claimed[0] as ClaimedRun;
    }
    /** A type registered on this store, and a run of it started by a caller at `now`. */
    async function started(now: Date, lease?: { owner: string; ms: number }) {
      const type = `type_${randomUUID().replaceAll('-', '')}`;
      await store().registerTypes([type], now);
      const workflowId = h.id();
      const runId = randomUUID();
      const req = { workflowId, runId, type, input: 1, now, ...(lease ? { lease } : {}) };
      expect(await store().start(req)).toMatchObject({ created: true });
      return { type, workflowId, runId };
    }

    it('a claimer whose clock is far ahead cannot take a run whose lease is live by the store clock', async () => {
      const { type, runId } = await started(behind());
      expect((await claimOne(type, behind())).runId).toBe(runId);
      expect(await store().claim('ahead', [type], 1, ahead(), LEASE)).toEqual([]);
      // So is a run started already leased by a worker of the starting process.
      const local = await started(behind(), { owner: 'local', ms: LEASE });
      expect(await store().claim('ahead', [local.type], 1, ahead(), LEASE)).toEqual([]);
    });

    it('renewals extend leases by the store clock, whatever the renewer clock says', async () => {
      const { type } = await started(new Date());
      const lease = await claimOne(type, new Date());
      expect(await store().renew([lease], behind(), LEASE)).toEqual([]);
      expect(await store().claim('ahead', [type], 1, ahead(), LEASE)).toEqual([]);
      // The wait until the lease ends is measured on the store clock too, whatever `now` is given.
      const wait = await store().nextReadyIn([type], behind());
      expect(wait).toBeGreaterThan(LEASE - 10_000);
      expect(wait).toBeLessThanOrEqual(LEASE);
    });

    it('a run made ready is claimable at once by the store clock, whatever the clock of the call', async () => {
      const { type, workflowId, runId } = await started(ahead());
      const lease = await claimOne(type, behind());
      expect(lease.runId).toBe(runId);
      // Released to wait for input; a signal from a caller far ahead makes it ready now.
      const { version } = await store().readInbox(runId);
      const release = { readyAt: null, inboxVersion: version };
      const released = await store().commit({
        ...lease,
        now: behind(),
        events: [],
        consumedInbox: [],
        release,
      });
      expect(released).toBe('ok');
      await store().enqueue(workflowId, { kind: 'signal', name: 'go', payload: 1 }, ahead());
      const again = await claimOne(type, behind());
      expect(again.runId).toBe(runId);
      // A successor started by a worker far ahead is ready now.
      const successor = randomUUID();
      const now = ahead();
      const continued = await store().continueAsNew({
        ...again,
        inboxVersion: (await store().readInbox(again.runId)).version,
        now,
        events: [{ type: 'workflow_continued_as_new', input: 2, seq: 1, at: now.toISOString() }],
        consumedInbox: [],
        newRunId: successor,
        input: 2,
      });
      expect(continued).toBe('ok');
      expect((await store().claim('behind', [type], 1, behind(), LEASE)).map((c) => c.runId)).toEqual([
        successor,
      ]);
    });

    it('task claims and renewals are timed by the store clock', async () => {
      const { type } = await started(new Date());
      const lease = await claimOne(type, new Date());
      const task: NewTask = {
        runId: lease.runId,
        cmd: 1,
        attempt: 1,
        name: h.id('render'),
        args: [],
        queue: h.id('gpu'),
        availableAt: ahead(), // a first attempt, enqueued by a worker far ahead: available now
      };
      expect(await store().enqueueTask(lease, task, task.availableAt)).toBe(true);
      const claim = (now: Date) => store().claimTasks('tw', [task.queue], [task.name], 10, now, LEASE);
      const [claimed] = await claim(behind());
      expect(claimed?.cmd).toBe(1);
      expect(await claim(ahead())).toEqual([]);
      expect(await store().renewTasks([claimed as ClaimedTask], behind(), LEASE)).toEqual([]);
      expect(await claim(ahead())).toEqual([]);
      const wait = await store().nextTaskIn([task.queue], [task.name], behind());
      expect(wait).toBeGreaterThan(LEASE - 10_000);
      expect(wait).toBeLessThanOrEqual(LEASE);
    });
  });
}
