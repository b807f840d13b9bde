import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import { at, event, type Harness, LEASE } from './harness.ts';

/** migrate, the type registry, and idempotent start. */
export function startBehaviour(h: Harness): void {
  const { it } = h;
  describe('migrate, type registry and start', () => {
    it('migrate() is idempotent', async () => {
      await h.store.migrate();
      await h.store.migrate();
      const type = await h.type();
      await h.start(type);
    });

    it('start after registerTypes creates a running run with workflow_started as event 0', async () => {
      const type = await h.type();
      const workflowId = h.id();
      const runId = randomUUID();
      const now = at(123_456);
      const input = { order: 7, lines: ['a', 'b'] };
      expect(await h.store.start({ workflowId, runId, type, input, now })).toEqual({
        runId,
        created: true,
        knownType: true,
        type,
      });

      const described = await h.store.describe(workflowId);
      expect(described).toMatchObject({
        workflowId,
        runId,
        type,
        status: 'running',
        input,
        historyLength: 1,
      });
      expect(described?.createdAt).toEqual(now);
      expect(described?.updatedAt).toEqual(now);
      expect(described?.closedAt).toBeUndefined();
      expect(described?.parked).toBeUndefined();
      const started = [
        { type: 'workflow_started', workflowType: type, input, seq: 0, at: now.toISOString() },
      ];
      expect(await h.store.loadHistory(runId)).toEqual(started);
      expect(await h.store.loadHistory(runId)).toEqual(started);
      expect(await h.store.readInbox(runId)).toEqual({ items: [], version: 0 });
    });

    it('a start with a lease creates the run held by its owner with token 1, claimable only once the lease ends', async () => {
      const type = await h.type();
      const workflowId = h.id();
      const runId = randomUUID();
      const lease = { owner: 'local-worker', ms: LEASE };
      const started = await h.store.start({ workflowId, runId, type, input: 1, now: at(0), lease });
      expect(started).toEqual({ runId, created: true, knownType: true, type });
      expect(await h.claimable([type], at(LEASE - 1))).toEqual([]);
      expect(
        await h.store.commit({
          runId,
          fencingToken: 1,
          now: at(1),
          events: [event(1, 1)],
          consumedInbox: [],
          close: { inboxVersion: 0, status: 'completed', result: null },
        }),
      ).toBe('ok');
      expect(await h.store.describe(workflowId)).toMatchObject({ status: 'completed', result: null });
    });

    it('an unused lease lapses: the run is claimed by another worker with token 2', async () => {
      const type = await h.type();
      const workflowId = h.id();
      const lease = { owner: 'crashed-worker', ms: LEASE };
      const { runId } = await h.store.start({
        workflowId,
        runId: randomUUID(),
        type,
        input: 1,
        now: at(0),
        lease,
      });
      const claimed = await h.claimOne(type, at(LEASE), LEASE);
      expect(claimed).toMatchObject({ runId, fencingToken: 2 });
      expect(
        await h.store.commit({ runId, fencingToken: 1, now: at(LEASE + 1), events: [], consumedInbox: [] }),
      ).toBe('lost');
    });

    it('a second start of the same id returns the same run with created: false and changes nothing', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type, { input: { first: true } });
      const again = await h.store.start({
        workflowId,
        runId: randomUUID(),
        type,
        input: { first: false },
        now: at(5000),
      });
      expect(again).toEqual({ runId, created: false, knownType: true, type });

      const described = await h.store.describe(workflowId);
      expect(described).toMatchObject({ runId, input: { first: true }, historyLength: 1 });
      expect(described?.updatedAt).toEqual(at(0));
      expect(await h.store.loadHistory(runId)).toHaveLength(1);
      expect((await h.store.list({ type })).items.map((d) => d.runId)).toEqual([runId]);
    });

    it('a second start of a closed run returns that run, not a new one', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const lease = await h.claimOne(type);
      await h.store.commit({
        ...lease,
        now: at(1),
        events: [],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'completed' },
      });
      const again = await h.store.start({ workflowId, runId: randomUUID(), type, input: null, now: at(2) });
      expect(again).toEqual({ runId, created: false, knownType: true, type });
      expect((await h.store.describe(workflowId))?.status).toBe('completed');
    });

    it('a start of an id taken by a run of another type returns that run and its type', async () => {
      const type = await h.type();
      const other = await h.type();
      const { workflowId, runId } = await h.start(type);
      const again = await h.store.start({
        workflowId,
        runId: randomUUID(),
        type: other,
        input: null,
        now: at(1),
      });
      expect(again).toEqual({ runId, created: false, knownType: true, type });
      expect((await h.store.list({ type: other })).items).toEqual([]);
    });

    it('start of an unregistered type returns knownType: false and creates nothing', async () => {
      const workflowId = h.id();
      const runId = randomUUID();
      const type = `unregistered_${randomUUID().replaceAll('-', '')}`;
      expect(await h.store.start({ workflowId, runId, type, input: null, now: at(0) })).toEqual({
        runId,
        created: false,
        knownType: false,
        type,
      });
      expect(await h.store.describe(workflowId)).toBeUndefined();
      expect(await h.store.loadHistory(runId)).toEqual([]);
      expect(
        await h.store.enqueue(workflowId, { kind: 'signal', name: 'go', payload: null }, at(1)),
      ).toBeUndefined();
      expect(await h.store.claim('w', [type], 10, at(1000), 1000)).toEqual([]);
      expect(await h.store.nextReadyIn([type], at(0))).toBeUndefined();
    });

    it('registerTypes is idempotent and registers every type given', async () => {
      const a = `type_${randomUUID().replaceAll('-', '')}`;
      const b = `type_${randomUUID().replaceAll('-', '')}`;
      await h.store.registerTypes([a, b], at(0));
      await h.store.registerTypes([a], at(1000));
      await h.start(a);
      await h.start(b);
    });

    it('start without input records none', async () => {
      const type = await h.type();
      const workflowId = h.id();
      const { runId } = await h.store.start({
        workflowId,
        runId: randomUUID(),
        type,
        input: undefined,
        now: at(0),
      });
      expect((await h.store.describe(workflowId))?.input).toBeUndefined();
      const [first] = await h.store.loadHistory(runId);
      expect(first).toEqual({
        type: 'workflow_started',
        workflowType: type,
        seq: 0,
        at: at(0).toISOString(),
      });
      expect(first && 'input' in first && first.input !== undefined).toBe(false);
    });
  });
}
