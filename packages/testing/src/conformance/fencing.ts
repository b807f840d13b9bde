import { randomUUID } from 'node:crypto';
import type { ClaimedRun } from '@reel/sdk';
import { describe, expect } from 'vitest';
import { at, event, type Harness, LEASE } from './harness.ts';

/** Every write presents the lease's fencing token; a zombie worker can never write. */
export function fencingBehaviour(h: Harness): void {
  const { it } = h;
  describe('fencing', () => {
    it('a commit with a stale token returns lost and applies nothing; the new holder commits', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const old = await h.claimOne(type, at(0), LEASE, 'old-worker');
      expect(await h.store.enqueue(workflowId, { kind: 'signal', name: 'go', payload: 1 }, at(1000))).toBe(
        true,
      );
      const inbox = await h.store.readInbox(runId);
      const current = await h.claimOne(type, at(LEASE), LEASE, 'new-worker');

      const stale = await h.store.commit({
        ...old,
        now: at(LEASE + 1),
        events: [event(1, LEASE + 1, { type: 'signal_received', name: 'go', payload: 1 })],
        consumedInbox: inbox.items.map((i) => i.id),
        close: { inboxVersion: 0, status: 'completed', result: 'zombie' },
      });
      expect(stale).toBe('lost');
      expect((await h.store.loadHistory(runId)).map((e) => e.seq)).toEqual([0]);
      expect(await h.store.readInbox(runId)).toEqual(inbox);
      const described = await h.store.describe(workflowId);
      expect(described).toMatchObject({ status: 'running', historyLength: 1 });
      expect(described?.result).toBeUndefined();
      expect(described?.closedAt).toBeUndefined();
      // Still leased to the new holder.
      expect(await h.claimable([type], at(2 * LEASE - 1))).toEqual([]);

      const fresh = await h.store.commit({
        ...current,
        now: at(LEASE + 2),
        events: [event(1, LEASE + 2, { type: 'signal_received', name: 'go', payload: 1 })],
        consumedInbox: inbox.items.map((i) => i.id),
        leaseMs: 2 * LEASE - 2,
      });
      expect(fresh).toBe('ok');
      expect((await h.store.loadHistory(runId)).map((e) => e.seq)).toEqual([0, 1]);
      expect((await h.store.readInbox(runId)).items).toEqual([]);
    });

    it('a commit after the lease was released returns lost, even with the last token', async () => {
      const type = await h.type();
      const lease = await h.startClaimed(type);
      const { version } = await h.store.readInbox(lease.runId);
      const release = { readyAt: at(10 * LEASE), inboxVersion: version };
      expect(await h.store.commit({ ...lease, now: at(1), events: [], consumedInbox: [], release })).toBe(
        'ok',
      );
      expect(await h.store.commit({ ...lease, now: at(2), events: [event(1, 2)], consumedInbox: [] })).toBe(
        'lost',
      );
      expect(await h.store.loadHistory(lease.runId)).toHaveLength(1);
      expect(await h.claimable([type], at(10 * LEASE - 1))).toEqual([]);
    });

    it('a commit after the run closed returns lost', async () => {
      const lease = await h.startClaimed();
      const close = { inboxVersion: 0, status: 'completed' as const, result: 1 };
      expect(await h.store.commit({ ...lease, now: at(1), events: [], consumedInbox: [], close })).toBe('ok');
      expect(
        await h.store.commit({
          ...lease,
          now: at(2),
          events: [event(1, 2)],
          consumedInbox: [],
          close: { inboxVersion: 0, status: 'failed' },
        }),
      ).toBe('lost');
      expect(await h.store.loadHistory(lease.runId)).toHaveLength(1);
    });

    it('a commit after the run was parked returns lost', async () => {
      const lease = await h.startClaimed();
      expect(await h.store.park(lease, { name: 'Error', message: 'stuck' }, at(1), at(LEASE))).toBe(true);
      expect(await h.store.commit({ ...lease, now: at(2), events: [event(1, 2)], consumedInbox: [] })).toBe(
        'lost',
      );
      expect(await h.store.loadHistory(lease.runId)).toHaveLength(1);
    });

    it('a commit to an unknown run returns lost', async () => {
      expect(
        await h.store.commit({
          runId: randomUUID(),
          fencingToken: 1,
          now: at(0),
          events: [],
          consumedInbox: [],
        }),
      ).toBe('lost');
    });

    it('commits of several runs made at once each get their own outcome', async () => {
      const type = await h.type();
      await h.start(type);
      const stale = await h.claimOne(type, at(0), 10);
      const held = [];
      for (let i = 0; i < 5; i++) held.push(await h.startClaimed(type));
      await h.claimOne(type, at(10), LEASE - 10, 'new-worker'); // `stale` lapsed and was taken
      const runs = [stale, ...held];
      const outcomes = await Promise.all(
        runs.map((run, i) =>
          h.store.commit({
            ...run,
            now: at(11),
            events: [event(1, 11), event(2, 11)],
            consumedInbox: [],
            ...(i % 2 ? { close: { inboxVersion: 0, status: 'completed' as const, result: i } } : {}),
          }),
        ),
      );
      expect(outcomes).toEqual(['lost', 'ok', 'ok', 'ok', 'ok', 'ok']);
      expect(await h.store.loadHistory(stale.runId)).toHaveLength(1);
      for (const [i, run] of held.entries()) {
        expect(await h.store.loadHistory(run.runId)).toHaveLength(3);
        expect((await h.store.describe(run.workflowId))?.status).toBe(i % 2 ? 'running' : 'completed');
      }
    });

    it('a commit that breaks the history fails alone among commits made with it', async () => {
      const type = await h.type();
      const [first, bad, good] = [
        await h.startClaimed(type),
        await h.startClaimed(type),
        await h.startClaimed(type),
      ];
      const commit = (run: ClaimedRun, seq: number) =>
        h.store.commit({ ...run, now: at(1), events: [event(seq, 1)], consumedInbox: [] });
      // (A store that groups commits writes the first alone and the two after it together.)
      const [, badOutcome, goodOutcome] = await Promise.allSettled([
        commit(first, 1),
        commit(bad, 5),
        commit(good, 1),
      ]);
      expect(badOutcome.status).toBe('rejected');
      expect(goodOutcome).toEqual({ status: 'fulfilled', value: 'ok' });
      expect(await h.store.loadHistory(bad.runId)).toHaveLength(1);
      expect(await h.store.loadHistory(good.runId)).toHaveLength(2);
    });

    it("a child's start is fenced by its parent's lease, and a parent command gets one run", async () => {
      const type = await h.type();
      const old = await h.startClaimed(type);
      const childId = h.id('child');
      const startChild = (fencingToken: number, runId = randomUUID()) =>
        h.store.start({
          workflowId: childId,
          runId,
          type,
          input: null,
          now: at(1),
          newRun: true,
          parent: { runId: old.runId, cmd: 0, closePolicy: 'abandon', fencingToken },
        });
      // Another worker takes the parent over; the old holder's start of the child starts nothing.
      const current = await h.claimOne(type, at(LEASE), LEASE, 'new-worker');
      expect(current.runId).toBe(old.runId);
      expect(await startChild(old.fencingToken)).toMatchObject({ created: false, parentLost: true });
      expect(await h.store.describe(childId)).toBeUndefined();
      // The holder starts it; the child closes; starting it again returns that run, never a second one.
      const first = await startChild(current.fencingToken);
      expect(first).toMatchObject({ created: true, ofParent: true });
      const child = await h.claimOne(type, at(LEASE + 1), LEASE, 'child-worker');
      const close = { inboxVersion: 0, status: 'completed' as const, result: 1 };
      await h.store.commit({ ...child, now: at(LEASE + 2), events: [], consumedInbox: [], close });
      expect(await startChild(current.fencingToken)).toMatchObject({
        runId: first.runId,
        created: false,
        ofParent: true,
      });
      expect((await h.store.list({ type })).items.filter((r) => r.workflowId === childId)).toHaveLength(1);
    });

    it("a child's close made at once with its parent's release still reaches the parent", async () => {
      const type = await h.type();
      const parent = await h.startClaimed(type);
      const other = await h.startClaimed(type);
      await h.store.start({
        workflowId: h.id('child'),
        runId: randomUUID(),
        type,
        input: null,
        now: at(0),
        parent: { runId: parent.runId, cmd: 1, closePolicy: 'abandon', fencingToken: parent.fencingToken },
      });
      const child = await h.claimOne(type);
      const { version } = await h.store.readInbox(parent.runId);
      const nothing = { now: at(1), events: [], consumedInbox: [] };
      // (A store that groups commits writes the first alone and may take the two after it together.)
      const [, released, closed] = await Promise.all([
        h.store.commit({ ...other, ...nothing, events: [event(1, 1)] }),
        h.store.commit({ ...parent, ...nothing, release: { readyAt: null, inboxVersion: version } }),
        h.store.commit({ ...child, ...nothing, close: { inboxVersion: 0, status: 'completed', result: 42 } }),
      ]);
      expect(closed).toBe('ok');
      expect((await h.store.readInbox(parent.runId)).items).toEqual([
        expect.objectContaining({
          kind: 'child',
          payload: expect.objectContaining({ cmd: 1, status: 'completed', result: 42 }),
        }),
      ]);
      // Released before the outcome came, the parent is claimable; or the outcome came first and it kept its lease.
      if (released === 'ok') expect(await h.claimable([type], at(2))).toEqual([parent.runId]);
      else expect(released).toBe('kept');
    });

    it('park with a stale token or without a held lease returns false and changes nothing', async () => {
      const type = await h.type();
      const { workflowId } = await h.start(type);
      const old = await h.claimOne(type, at(0), LEASE);
      const current = await h.claimOne(type, at(LEASE), LEASE);
      const error = { name: 'Error', message: 'stuck' };
      expect(await h.store.park(old, error, at(LEASE + 1), at(LEASE + 2))).toBe(false);
      expect((await h.store.describe(workflowId))?.status).toBe('running');

      const { version } = await h.store.readInbox(current.runId);
      const release = { readyAt: null, inboxVersion: version };
      expect(
        await h.store.commit({ ...current, now: at(LEASE + 3), events: [], consumedInbox: [], release }),
      ).toBe('ok');
      expect(await h.store.park(current, error, at(LEASE + 4), at(LEASE + 5))).toBe(false);
      const described = await h.store.describe(workflowId);
      expect(described?.status).toBe('running');
      expect(described?.parked).toBeUndefined();
      expect(await h.claimable([type], at(100 * LEASE))).toEqual([]);
    });
  });
}
