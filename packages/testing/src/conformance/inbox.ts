import { describe, expect } from 'vitest';
import { at, event, type Harness, LEASE } from './harness.ts';

/** enqueue, readInbox, consumption, and the conditional release of a lease. */
export function inboxBehaviour(h: Harness): void {
  const { it } = h;
  describe('inbox and release', () => {
    it('enqueue to an unknown workflow id returns undefined', async () => {
      expect(
        await h.store.enqueue(h.id('missing'), { kind: 'signal', name: 'go', payload: null }, at(0)),
      ).toBeUndefined();
    });

    it('enqueue to a closed run returns false and stores nothing', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const lease = await h.claimOne(type);
      const error = { name: 'Error', message: 'boom' };
      await h.store.commit({
        ...lease,
        now: at(1),
        events: [],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'failed', error },
      });
      expect(await h.store.enqueue(workflowId, { kind: 'signal', name: 'go', payload: null }, at(2))).toBe(
        false,
      );
      expect(await h.store.enqueue(workflowId, { kind: 'cancel', name: null, payload: 'late' }, at(2))).toBe(
        false,
      );
      expect(await h.store.readInbox(runId)).toEqual({ items: [], version: 0 });
      expect((await h.store.describe(workflowId))?.updatedAt).toEqual(at(1));
    });

    it('a close computed from an older inbox writes nothing (unread); from the current one it closes', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const lease = await h.claimOne(type);
      const { version } = await h.store.readInbox(runId);
      // The signal lands while the closing commit is on its way.
      await h.store.enqueue(workflowId, { kind: 'signal', name: 'late', payload: 1 }, at(1));
      const close = (inboxVersion: number, seq: number) =>
        h.store.commit({
          ...lease,
          now: at(2),
          events: [event(seq, 2, { type: 'workflow_completed', result: 'done' })],
          consumedInbox: [],
          close: { inboxVersion, status: 'completed', result: 'done' },
        });
      expect(await close(version, 1)).toBe('unread');
      expect(await h.store.loadHistory(runId)).toHaveLength(1);
      expect((await h.store.describe(workflowId))?.status).toBe('running');
      expect(await h.store.renew([lease], at(3), LEASE)).toEqual([]); // still held
      const inbox = await h.store.readInbox(runId);
      expect(inbox.items).toHaveLength(1);
      expect(await close(inbox.version, 1)).toBe('ok');
      expect((await h.store.describe(workflowId))?.status).toBe('completed');
    });

    it('enqueue to an open run returns true, keeps items in order and bumps the inbox version', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      expect(await h.store.enqueue(workflowId, { kind: 'signal', name: 'a', payload: 1 }, at(1))).toBe(true);
      expect(await h.store.enqueue(workflowId, { kind: 'cancel', name: null, payload: 'why' }, at(2))).toBe(
        true,
      );
      expect(
        await h.store.enqueue(workflowId, { kind: 'signal', name: 'b', payload: { x: [1] } }, at(3)),
      ).toBe(true);
      const inbox = await h.store.readInbox(runId);
      expect(inbox.version).toBe(3);
      expect(inbox.items.map(({ kind, name, payload }) => ({ kind, name, payload }))).toEqual([
        { kind: 'signal', name: 'a', payload: 1 },
        { kind: 'cancel', name: null, payload: 'why' },
        { kind: 'signal', name: 'b', payload: { x: [1] } },
      ]);
      expect(new Set(inbox.items.map((i) => i.id)).size).toBe(3);
      for (const item of inbox.items) expect(typeof item.id).toBe('string');
      expect((await h.store.describe(workflowId))?.updatedAt).toEqual(at(3));
    });

    it('consumed items disappear in the commit that consumes them; the others stay, in order', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      for (const name of ['a', 'b', 'c'])
        await h.store.enqueue(workflowId, { kind: 'signal', name, payload: name }, at(1));
      const lease = await h.claimOne(type, at(2));
      const before = await h.store.readInbox(runId);
      const [a, b, c] = before.items;
      expect(
        await h.store.commit({
          ...lease,
          now: at(3),
          events: [event(1, 3, { type: 'signal_received', name: 'b', payload: 'b' })],
          consumedInbox: [b?.id as string],
        }),
      ).toBe('ok');
      expect(await h.store.readInbox(runId)).toEqual({ items: [a, c], version: before.version });
    });

    it('enqueue makes a released run claimable at the enqueue now', async () => {
      const type = await h.type();
      const { workflowId } = await h.start(type);
      const lease = await h.claimOne(type);
      const { version } = await h.store.readInbox(lease.runId);
      const release = { readyAt: at(100 * LEASE), inboxVersion: version };
      expect(await h.store.commit({ ...lease, now: at(1), events: [], consumedInbox: [], release })).toBe(
        'ok',
      );

      expect(
        await h.store.enqueue(workflowId, { kind: 'signal', name: 'go', payload: null }, at(5 * LEASE)),
      ).toBe(true);
      expect(await h.claimable([type], at(5 * LEASE - 1))).toEqual([]);
      expect((await h.claimOne(type, at(5 * LEASE))).fencingToken).toBeGreaterThan(lease.fencingToken);
    });

    it('enqueue to a leased run leaves it leased until its lease ends', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      await h.claimOne(type, at(0), LEASE);
      expect(await h.store.enqueue(workflowId, { kind: 'signal', name: 'go', payload: null }, at(1))).toBe(
        true,
      );
      expect(await h.claimable([type], at(LEASE - 1))).toEqual([]);
      expect(await h.claimable([type], at(LEASE))).toEqual([runId]);
    });

    it('enqueue to a parked run keeps it parked until its retry time', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const lease = await h.claimOne(type);
      await h.store.park(lease, { name: 'Error', message: 'stuck' }, at(1), at(10 * LEASE));
      expect(await h.store.enqueue(workflowId, { kind: 'signal', name: 'go', payload: null }, at(2))).toBe(
        true,
      );
      expect((await h.store.readInbox(runId)).version).toBe(1);
      expect(await h.claimable([type], at(10 * LEASE - 1))).toEqual([]);
      expect(await h.claimable([type], at(10 * LEASE))).toEqual([runId]);
    });

    it('release with the current inbox version frees the lease; the run is claimable at readyAt', async () => {
      const type = await h.type();
      const lease = await h.startClaimed(type);
      const { version } = await h.store.readInbox(lease.runId);
      const release = { readyAt: at(10 * LEASE), inboxVersion: version };
      expect(
        await h.store.commit({ ...lease, now: at(1), events: [event(1, 1)], consumedInbox: [], release }),
      ).toBe('ok');
      expect(await h.store.loadHistory(lease.runId)).toHaveLength(2);
      expect(await h.claimable([type], at(10 * LEASE - 1))).toEqual([]);
      expect(await h.claimable([type], at(10 * LEASE))).toEqual([lease.runId]);
    });

    it('release with readyAt null leaves the run unclaimable until input arrives', async () => {
      const type = await h.type();
      const { workflowId } = await h.start(type);
      const lease = await h.claimOne(type);
      const { version } = await h.store.readInbox(lease.runId);
      const release = { readyAt: null, inboxVersion: version };
      expect(await h.store.commit({ ...lease, now: at(1), events: [], consumedInbox: [], release })).toBe(
        'ok',
      );
      expect(await h.claimable([type], at(1000 * LEASE))).toEqual([]);
      expect(await h.store.nextReadyIn([type], at(0))).toBeUndefined();
      await h.store.enqueue(workflowId, { kind: 'cancel', name: null, payload: null }, at(1000 * LEASE));
      expect(await h.claimable([type], at(1000 * LEASE))).toEqual([lease.runId]);
    });

    it('release after the inbox moved returns kept: events are written and the lease is kept', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const lease = await h.claimOne(type, at(0), LEASE);
      const { version } = await h.store.readInbox(runId);
      await h.store.enqueue(workflowId, { kind: 'signal', name: 'approve', payload: { ok: true } }, at(500));

      const kept = await h.store.commit({
        ...lease,
        now: at(1000),
        events: [event(1, 1000)],
        consumedInbox: [],
        release: { readyAt: null, inboxVersion: version },
        leaseMs: 2 * LEASE - 1000,
      });
      expect(kept).toBe('kept');
      expect((await h.store.loadHistory(runId)).map((e) => e.seq)).toEqual([0, 1]);
      expect(await h.claimable([type], at(2 * LEASE - 1))).toEqual([]);

      const inbox = await h.store.readInbox(runId);
      expect(inbox.version).toBe(version + 1);
      const released = await h.store.commit({
        ...lease,
        now: at(2000),
        events: [event(2, 2000, { type: 'signal_received', name: 'approve', payload: { ok: true } })],
        consumedInbox: inbox.items.map((i) => i.id),
        release: { readyAt: at(10 * LEASE), inboxVersion: inbox.version },
      });
      expect(released).toBe('ok');
      expect(await h.claimable([type], at(10 * LEASE - 1))).toEqual([]);
      expect(await h.claimable([type], at(10 * LEASE))).toEqual([runId]);
    });
  });
}
