import { describe, expect } from 'vitest';
import { at, type Harness, LEASE } from './harness.ts';

/** ready_at decides when a run is claimable, by the `now` the engine passes, never the wall clock. */
export function timerBehaviour(h: Harness): void {
  const { it } = h;
  describe('timers, ready_at and the injected now', () => {
    it('judges readiness by the now given, far from the wall clock either way', async () => {
      const future = await h.type();
      const farFuture = new Date('2100-01-01T00:00:00.000Z');
      const { runId } = await h.start(future, { now: farFuture });
      expect(await h.claimable([future], new Date(farFuture.getTime() - 1))).toEqual([]);
      expect(await h.claimable([future], farFuture)).toEqual([runId]);

      const past = await h.type();
      const farPast = new Date('2001-01-01T00:00:00.000Z');
      const old = await h.start(past, { now: farPast });
      expect(await h.claimable([past], new Date(farPast.getTime() - 1))).toEqual([]);
      expect(await h.claimable([past], farPast)).toEqual([old.runId]);
    });

    it('nextReadyAt gives the earliest ready_at of the given types only', async () => {
      const type = await h.type();
      const other = await h.type();
      expect(await h.store.nextReadyAt([type])).toBeUndefined();
      await h.start(type, { now: at(5000) });
      await h.start(type, { now: at(3000) });
      await h.start(other, { now: at(1000) });
      expect(await h.store.nextReadyAt([type])).toEqual(at(3000));
      expect(await h.store.nextReadyAt([type, other])).toEqual(at(1000));
      expect(await h.store.nextReadyAt([])).toBeUndefined();
    });

    it('nextReadyAt follows claims, releases and closes', async () => {
      const type = await h.type();
      const { runId } = await h.start(type, { now: at(0) });
      const lease = await h.claimOne(type, at(0), at(LEASE));
      // A held run is ready again when its lease ends (if its holder died).
      expect(await h.store.nextReadyAt([type])).toEqual(at(LEASE));

      const { version } = await h.store.readInbox(runId);
      const release = { readyAt: at(7 * LEASE), inboxVersion: version };
      await h.store.commit({ ...lease, now: at(1), events: [], consumedInbox: [], release });
      expect(await h.store.nextReadyAt([type])).toEqual(at(7 * LEASE));

      const again = await h.claimOne(type, at(7 * LEASE));
      await h.store.commit({
        ...again,
        now: at(7 * LEASE),
        events: [],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'completed' },
      });
      expect(await h.store.nextReadyAt([type])).toBeUndefined();
    });

    it('a claim moves ready_at to the lease expiry it was given', async () => {
      const type = await h.type();
      const { runId } = await h.start(type, { now: at(0) });
      await h.claimOne(type, at(10), at(12_345));
      expect(await h.claimable([type], at(12_344))).toEqual([]);
      expect(await h.claimable([type], at(12_345))).toEqual([runId]);
    });
  });
}
