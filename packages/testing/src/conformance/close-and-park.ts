import { describe, expect } from 'vitest';
import { at, event, type Harness, LEASE } from './harness.ts';

/** Closing a run for good, and parking one that cannot go on. */
export function closeAndParkBehaviour(h: Harness): void {
  const { it } = h;
  describe('close and park', () => {
    it('commit with close sets status, result and closedAt, and the run is never claimable again', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const lease = await h.claimOne(type);
      const outcome = await h.store.commit({
        ...lease,
        now: at(5000),
        events: [event(1, 5000, { type: 'workflow_completed', result: { total: 3 } })],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'completed', result: { total: 3 } },
        leaseMs: LEASE,
      });
      expect(outcome).toBe('ok');
      const described = await h.store.describe(workflowId);
      expect(described).toMatchObject({ runId, status: 'completed', result: { total: 3 }, historyLength: 2 });
      expect(described?.error).toBeUndefined();
      expect(described?.closedAt).toEqual(at(5000));
      expect(described?.updatedAt).toEqual(at(5000));
      expect(await h.claimable([type], at(1000 * LEASE))).toEqual([]);
      expect(await h.store.nextReadyIn([type], at(0))).toBeUndefined();
    });

    it('commit with close and release closes: release does not keep a closed run claimable', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const lease = await h.claimOne(type);
      await h.store.enqueue(workflowId, { kind: 'signal', name: 'late', payload: null }, at(1));
      const { version } = await h.store.readInbox(runId);
      const outcome = await h.store.commit({
        ...lease,
        now: at(2),
        events: [],
        consumedInbox: [],
        close: {
          inboxVersion: version,
          status: 'cancelled',
          error: { name: 'CancelledError', message: 'cancelled' },
        },
        release: { readyAt: at(3), inboxVersion: version },
      });
      expect(outcome).toBe('ok');
      expect((await h.store.describe(workflowId))?.status).toBe('cancelled');
      expect(await h.claimable([type], at(1000 * LEASE))).toEqual([]);
    });

    it('commit with a failed close records the error and no result', async () => {
      const type = await h.type();
      const { workflowId } = await h.start(type);
      const lease = await h.claimOne(type);
      const error = { name: 'TypeError', message: 'x is not a function', stack: 'TypeError: x\n    at f' };
      await h.store.commit({
        ...lease,
        now: at(9),
        events: [],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'failed', error },
      });
      const described = await h.store.describe(workflowId);
      expect(described).toMatchObject({ status: 'failed', error });
      expect(described?.result).toBeUndefined();
      expect(described?.closedAt).toEqual(at(9));
    });

    it('park sets status parked with its error, attempts and retryAt; the run is claimable at retryAt', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const first = await h.claimOne(type, at(0));
      const error = {
        name: 'NonDeterminismError',
        message: 'not deterministic',
        code: 'REEL_NONDETERMINISM',
      };
      expect(await h.store.park(first, error, at(1000), at(60_000))).toBe(true);

      const parked = await h.store.describe(workflowId);
      expect(parked).toMatchObject({ status: 'parked', parked: { error, attempts: 1, retryAt: at(60_000) } });
      expect(parked?.updatedAt).toEqual(at(1000));
      expect((await h.store.list({ type, status: 'parked' })).items.map((d) => d.runId)).toEqual([runId]);
      expect(await h.claimable([type], at(59_999))).toEqual([]);

      const second = await h.claimOne(type, at(60_000));
      expect(second).toMatchObject({ runId, parkAttempts: 1 });
      expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
      expect(await h.store.park(second, error, at(61_000), at(120_000))).toBe(true);
      expect((await h.store.describe(workflowId))?.parked).toEqual({
        error,
        attempts: 2,
        retryAt: at(120_000),
      });
    });

    it('after a successful commit a parked run is running again and parked is gone', async () => {
      const type = await h.type();
      const { workflowId } = await h.start(type);
      const first = await h.claimOne(type, at(0));
      await h.store.park(first, { name: 'Error', message: 'stuck' }, at(1), at(LEASE));
      const second = await h.claimOne(type, at(LEASE), LEASE);
      expect((await h.store.describe(workflowId))?.status).toBe('parked');

      const outcome = await h.store.commit({
        ...second,
        now: at(LEASE + 1),
        events: [event(1, LEASE + 1)],
        consumedInbox: [],
        leaseMs: 2 * LEASE - 1,
      });
      expect(outcome).toBe('ok');
      const resumed = await h.store.describe(workflowId);
      expect(resumed?.status).toBe('running');
      expect(resumed?.parked).toBeUndefined();
      expect((await h.claimOne(type, at(3 * LEASE))).parkAttempts).toBe(0);
    });
  });
}
