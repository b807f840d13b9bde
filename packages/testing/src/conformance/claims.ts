import { CLAIM_LOADS_EVENTS } from '@reel/sdk';
import { describe, expect } from 'vitest';
import { at, event, type Harness, LEASE } from './harness.ts';

/** claim, leases, orphans and renew. */
export function claimBehaviour(h: Harness): void {
  const { it } = h;
  describe('claims and leases', () => {
    it('claims only runs of the given types whose ready_at <= now, up to limit', async () => {
      const type = await h.type();
      const other = await h.type();
      const due = [
        await h.start(type, { now: at(0) }),
        await h.start(type, { now: at(1) }),
        await h.start(type, { now: at(2) }),
      ];
      const later = await h.start(type, { now: at(5000) });
      await h.start(other, { now: at(0) });

      const first = await h.store.claim('w', [type], 2, at(1000), LEASE);
      expect(first).toHaveLength(2);
      const second = await h.store.claim('w', [type], 2, at(1000), LEASE);
      expect(second).toHaveLength(1);
      expect(new Set([...first, ...second].map((c) => c.runId))).toEqual(new Set(due.map((r) => r.runId)));
      for (const c of [...first, ...second]) expect(c.type).toBe(type);

      expect(await h.store.claim('w', [type], 10, at(4999), LEASE)).toEqual([]);
      expect((await h.store.claim('w', [type], 10, at(5000), LEASE)).map((c) => c.runId)).toEqual([
        later.runId,
      ]);
    });

    it('returns what a worker needs: ids, type, fencing token, park attempts and since when it was ready', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type, { now: at(5) });
      const [claimed] = await h.store.claim('w', [type], 1, at(10), LEASE - 10);
      expect(claimed).toMatchObject({ workflowId, runId, type, parkAttempts: 0, readySince: at(5) });
      expect(claimed?.fencingToken).toEqual(expect.any(Number));
    });

    it('a claim brings a history of up to CLAIM_LOADS_EVENTS events and the inbox, as the run reads them', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const first = await h.claimOne(type, at(0), LEASE, 'crashed');
      expect(first.loaded).toEqual({
        history: await h.store.loadHistory(runId),
        inbox: { items: [], version: 0 },
      });
      // A history of exactly CLAIM_LOADS_EVENTS events, then a signal, then the lease runs out.
      const events = Array.from({ length: CLAIM_LOADS_EVENTS - 1 }, (_, i) => event(i + 1, 1));
      expect(await h.store.commit({ ...first, now: at(1), events, consumedInbox: [] })).toBe('ok');
      expect(await h.store.enqueue(workflowId, { kind: 'signal', name: 'go', payload: [1] }, at(2))).toBe(
        true,
      );
      const second = await h.claimOne(type, at(LEASE), LEASE, 'rescuer');
      const history = await h.store.loadHistory(runId);
      expect(history).toHaveLength(CLAIM_LOADS_EVENTS);
      expect(second.loaded).toEqual({ history, inbox: await h.store.readInbox(runId) });
      expect(second.loaded?.inbox.items).toMatchObject([{ kind: 'signal', name: 'go', payload: [1] }]);
      // One event more, and the worker reads the history and the inbox itself.
      const more = [event(CLAIM_LOADS_EVENTS, LEASE + 1)];
      expect(await h.store.commit({ ...second, now: at(LEASE + 1), events: more, consumedInbox: [] })).toBe(
        'ok',
      );
      expect((await h.claimOne(type, at(2 * LEASE), LEASE, 'third')).loaded).toBeUndefined();
    });

    it('claims several types at once, and nothing for no types', async () => {
      const a = await h.type();
      const b = await h.type();
      const ra = await h.start(a);
      const rb = await h.start(b);
      expect(await h.store.claim('w', [], 10, at(0), LEASE)).toEqual([]);
      const claimed = await h.store.claim('w', [a, b], 10, at(0), LEASE);
      expect(new Set(claimed.map((c) => c.runId))).toEqual(new Set([ra.runId, rb.runId]));
    });

    it('claims the earliest ready_at first', async () => {
      const type = await h.type();
      await h.start(type, { now: at(300) });
      const earliest = await h.start(type, { now: at(100) });
      const middle = await h.start(type, { now: at(200) });
      expect((await h.claimOne(type, at(1000))).runId).toBe(earliest.runId);
      expect((await h.claimOne(type, at(1000))).runId).toBe(middle.runId);
    });

    it('a claimed run is not claimable before its lease ends, then is (an orphan) with a higher token', async () => {
      const type = await h.type();
      const { runId } = await h.start(type);
      const first = await h.claimOne(type, at(0), LEASE, 'crashed');
      expect(await h.claimable([type], at(LEASE - 1))).toEqual([]);
      const second = await h.claimOne(type, at(LEASE), LEASE, 'rescuer');
      expect(second.runId).toBe(runId);
      expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
      const third = await h.claimOne(type, at(2 * LEASE), LEASE, 'rescuer');
      expect(third.fencingToken).toBeGreaterThan(second.fencingToken);
    });

    it('a commit with leaseMs extends the lease; one without keeps it', async () => {
      const type = await h.type();
      await h.start(type);
      const lease = await h.claimOne(type, at(0), LEASE);
      expect(await h.store.commit({ ...lease, now: at(1), events: [event(1, 1)], consumedInbox: [] })).toBe(
        'ok',
      );
      expect(await h.claimable([type], at(LEASE - 1))).toEqual([]);
      expect(
        await h.store.commit({
          ...lease,
          now: at(2),
          events: [event(2, 2)],
          consumedInbox: [],
          leaseMs: 3 * LEASE - 2,
        }),
      ).toBe('ok');
      expect(await h.claimable([type], at(3 * LEASE - 1))).toEqual([]);
      expect(await h.claimable([type], at(3 * LEASE))).toEqual([lease.runId]);
    });

    it('renew extends the leases still held and returns none lost', async () => {
      const type = await h.type();
      await h.start(type);
      const lease = await h.claimOne(type, at(0), LEASE);
      expect(await h.store.renew([lease], at(LEASE - 1000), 2 * LEASE + 1000)).toEqual([]);
      expect(await h.claimable([type], at(3 * LEASE - 1))).toEqual([]);
      expect(await h.claimable([type], at(3 * LEASE))).toEqual([lease.runId]);
      expect(await h.store.renew([], at(0), LEASE)).toEqual([]);
    });

    it('renew returns the run ids of leases lost to another claim, to a close or to a release', async () => {
      const type = await h.type();
      for (let i = 0; i < 4; i++) await h.start(type, { now: at(i) });
      const leases = await h.store.claim('w1', [type], 4, at(10), LEASE - 10);
      expect(leases).toHaveLength(4);
      const [held, taken, closed, released] = leases.map((l) => ({
        runId: l.runId,
        fencingToken: l.fencingToken,
      }));
      if (!held || !taken || !closed || !released) throw new Error('unreachable');

      await h.store.renew([held, closed, released], at(LEASE - 1000), 2 * LEASE + 1000);
      expect(await h.claimOne(type, at(LEASE), LEASE, 'w2')).toMatchObject({ runId: taken.runId });
      await h.store.commit({
        ...closed,
        now: at(LEASE),
        events: [],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'completed' },
      });
      const { version } = await h.store.readInbox(released.runId);
      await h.store.commit({
        ...released,
        now: at(LEASE),
        events: [],
        consumedInbox: [],
        release: { readyAt: null, inboxVersion: version },
      });

      const lost = await h.store.renew([held, taken, closed, released], at(LEASE + 1), 3 * LEASE - 1);
      expect(new Set(lost)).toEqual(new Set([taken.runId, closed.runId, released.runId]));
      // The held lease now runs to 4 LEASE; the lost renewal left the new holder's lease (to 2 LEASE) alone.
      expect(await h.claimable([type], at(2 * LEASE))).toEqual([taken.runId]);
    });
  });
}
