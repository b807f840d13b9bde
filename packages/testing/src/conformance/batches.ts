import { randomUUID } from 'node:crypto';
import type { BatchOperation, NewBatch } from '@reel/sdk';
import { describe, expect } from 'vitest';
import { at, type Harness, LEASE } from './harness.ts';

/** Batches (bulk actions): the row and its lease, the operation once per workflow, the fenced cursor. */
export function batchBehaviour(h: Harness): void {
  const { it } = h;
  const cancel: BatchOperation = { kind: 'cancel', reason: 'bulk' };
  const newBatch = (fields: Partial<NewBatch> = {}): NewBatch => ({
    id: `batch-${randomUUID()}`,
    operation: cancel,
    filter: { type: 'some_type' },
    pageSize: 10,
    matched: 3,
    ...fields,
  });
  const inbox = async (runId: string) =>
    (await h.store.readInbox(runId)).items.map(({ kind, name, payload }) => ({ kind, name, payload }));

  describe('batches', () => {
    it('counts the runs list would give, by status, type, attributes and creation time', async () => {
      const type = await h.type();
      await h.start(type, { now: at(1000) });
      const b = await h.start(type, { now: at(2000) });
      await h.store.start({
        workflowId: h.id(),
        runId: randomUUID(),
        type,
        input: null,
        now: at(3000),
        attributes: { tenant: 'acme' },
      });
      expect(await h.store.countRuns({ type })).toBe(3);
      expect(await h.store.countRuns({ type, createdAfter: at(2000) })).toBe(2);
      expect(await h.store.countRuns({ type, createdBefore: at(2000) })).toBe(1);
      expect(await h.store.countRuns({ type, createdAfter: at(1500), createdBefore: at(2500) })).toBe(1);
      expect(await h.store.countRuns({ type, attributes: { tenant: 'acme' } })).toBe(1);
      expect(await h.store.countRuns({ type, status: ['completed'] })).toBe(0);
      const page = await h.store.list({ type, createdAfter: at(1500), createdBefore: at(2500) });
      expect(page.items.map((d) => d.runId)).toEqual([b.runId]);
    });

    it('creates a batch once per id and describes it with no progress', async () => {
      const batch = newBatch({
        filter: { type: 'x', status: ['running'], attributes: { a: 1 }, createdBefore: at(5) },
        operation: { kind: 'signal', name: 'go', payload: { n: [1, null] } },
      });
      expect(await h.store.createBatch(batch, at(0), 0)).toBe(true);
      expect(await h.store.createBatch({ ...batch, matched: 99 }, at(1), 0)).toBe(false);
      expect(await h.store.getBatch(batch.id)).toEqual({
        ...batch,
        status: 'running',
        done: 0,
        skipped: 0,
        createdAt: at(0),
        updatedAt: at(0),
      });
      expect(await h.store.getBatch(`batch-${randomUUID()}`)).toBeUndefined();
      expect(await h.store.claimBatch(`batch-${randomUUID()}`, 'r', at(0), LEASE)).toBeUndefined();
    });

    it('leases a batch to one runner at a time, by the store clock, with a new token each claim', async () => {
      const batch = newBatch();
      await h.store.createBatch(batch, at(0), 0);
      const first = await h.store.claimBatch(batch.id, 'r1', at(0), LEASE);
      if (!first || !('claimed' in first)) throw new Error(`expected a claim, got ${JSON.stringify(first)}`);
      expect(first.batch).toMatchObject({ id: batch.id, status: 'running', runner: { owner: 'r1' } });
      expect(await h.store.claimBatch(batch.id, 'r2', at(1000), LEASE)).toEqual({
        held: true,
        heldForMs: LEASE - 1000,
      });
      const second = await h.store.claimBatch(batch.id, 'r2', at(LEASE), LEASE);
      if (!second || !('claimed' in second)) throw new Error('expected the lapsed lease to be taken');
      expect(second.claimed.fencingToken).toBeGreaterThan(first.claimed.fencingToken);
      const step = { cursor: 'c1', skipped: 1, last: false };
      expect(await h.store.advanceBatch(first.claimed, step, at(LEASE + 1), LEASE)).toBe(false);
      expect(await h.store.advanceBatch(second.claimed, step, at(LEASE + 1), LEASE)).toBe(true);
      expect(await h.store.getBatch(batch.id)).toMatchObject({
        cursor: 'c1',
        skipped: 1,
        runner: { owner: 'r2', leaseExpiresAt: at(LEASE + 1 + LEASE) },
      });
    });

    it('lists the running batches no runner holds: their lease lapsed, or never claimed once reserved no more', async () => {
      const fresh = newBatch();
      const reserved = newBatch();
      const held = newBatch();
      const ended = newBatch();
      for (const b of [fresh, held, ended]) await h.store.createBatch(b, at(0), 0);
      await h.store.createBatch(reserved, at(0), LEASE);
      await h.store.claimBatch(held.id, 'r1', at(0), LEASE);
      await h.store.stopBatch(ended.id, at(0));
      const orphans = await h.store.orphanedBatches(at(1000), 1000);
      expect(orphans).toContain(fresh.id);
      expect(orphans).not.toContain(reserved.id);
      expect(orphans).not.toContain(held.id);
      expect(orphans).not.toContain(ended.id);
      expect(await h.store.orphanedBatches(at(LEASE), 1000)).toEqual(
        expect.arrayContaining([reserved.id, held.id]),
      );
      expect(await h.store.orphanedBatches(at(LEASE), 1)).toHaveLength(1);
      // A reservation keeps workers off, not runners: any runner may claim a reserved batch.
      const claim = await h.store.claimBatch(reserved.id, 'r2', at(1000), LEASE);
      expect(claim && 'claimed' in claim).toBe(true);
      expect((await h.store.getBatch(reserved.id))?.runner).toEqual({
        owner: 'r2',
        leaseExpiresAt: at(1000 + LEASE),
      });
    });

    it('applies a cancel once per workflow, however often the page is done', async () => {
      const type = await h.type();
      const run = await h.start(type);
      const batch = newBatch();
      await h.store.createBatch(batch, at(0), 0);
      expect(await h.store.applyBatch(batch.id, run.workflowId, cancel, at(1))).toBe('applied');
      expect(await h.store.applyBatch(batch.id, run.workflowId, cancel, at(2))).toBe('already');
      expect(await inbox(run.runId)).toEqual([{ kind: 'cancel', name: null, payload: 'bulk' }]);
      // Another batch is another operation: it reaches the workflow too.
      const other = newBatch();
      await h.store.createBatch(other, at(0), 0);
      expect(await h.store.applyBatch(other.id, run.workflowId, { kind: 'cancel' }, at(3))).toBe('applied');
      expect(await inbox(run.runId)).toHaveLength(2);
    });

    it('applies a signal and a terminate as enqueue and terminate do', async () => {
      const type = await h.type();
      const a = await h.start(type);
      const b = await h.start(type);
      const batch = newBatch();
      await h.store.createBatch(batch, at(0), 0);
      const signal: BatchOperation = { kind: 'signal', name: 'go', payload: { x: 1 } };
      expect(await h.store.applyBatch(batch.id, a.workflowId, signal, at(1))).toBe('applied');
      expect(await inbox(a.runId)).toEqual([{ kind: 'signal', name: 'go', payload: { x: 1 } }]);
      const terminate: BatchOperation = { kind: 'terminate', reason: 'bulk' };
      expect(await h.store.applyBatch(batch.id, b.workflowId, terminate, at(1))).toBe('applied');
      expect(await h.store.describe(b.workflowId)).toMatchObject({ status: 'terminated' });
      expect(await h.store.applyBatch(batch.id, b.workflowId, terminate, at(2))).toBe('already');
      expect(
        (await h.store.loadHistory(b.runId)).filter((e) => e.type === 'workflow_terminated'),
      ).toHaveLength(1);
    });

    it('reports a closed or missing workflow without marking it reached', async () => {
      const type = await h.type();
      const run = await h.start(type);
      await h.store.terminate(run.workflowId, 'gone', at(1));
      const batch = newBatch();
      await h.store.createBatch(batch, at(0), 0);
      expect(await h.store.applyBatch(batch.id, run.workflowId, cancel, at(2))).toBe('closed');
      expect(await h.store.applyBatch(batch.id, run.workflowId, cancel, at(3))).toBe('closed');
      expect(await h.store.applyBatch(batch.id, h.id('missing'), cancel, at(3))).toBe('missing');
    });

    it('counts the workflows reached as done, completes a batch on its last page, and does nothing for it after', async () => {
      const type = await h.type();
      const [a, b, run] = [await h.start(type), await h.start(type), await h.start(type)];
      const batch = newBatch();
      await h.store.createBatch(batch, at(0), 0);
      const claim = await h.store.claimBatch(batch.id, 'r1', at(0), LEASE);
      if (!claim || !('claimed' in claim)) throw new Error('expected a claim');
      await h.store.applyBatch(batch.id, a.workflowId, cancel, at(1));
      await h.store.applyBatch(batch.id, a.workflowId, cancel, at(1));
      expect(await h.store.getBatch(batch.id)).toMatchObject({ done: 1 });
      await h.store.advanceBatch(claim.claimed, { cursor: 'c1', skipped: 1, last: false }, at(1), LEASE);
      await h.store.applyBatch(batch.id, b.workflowId, cancel, at(2));
      const last = { cursor: undefined, skipped: 0, last: true };
      expect(await h.store.advanceBatch(claim.claimed, last, at(2), LEASE)).toBe(true);
      const done = await h.store.getBatch(batch.id);
      expect(done).toMatchObject({
        status: 'completed',
        done: 2,
        skipped: 1,
        closedAt: at(2),
        updatedAt: at(2),
      });
      expect(done?.cursor).toBeUndefined();
      expect(done?.runner).toBeUndefined();
      expect(await h.store.claimBatch(batch.id, 'r2', at(3), LEASE)).toEqual({ closed: done });
      expect(await h.store.applyBatch(batch.id, run.workflowId, cancel, at(3))).toBe('stopped');
      expect(await inbox(run.runId)).toEqual([]);
    });

    it('retention deletes the batches closed before its cutoff, and keeps running ones', async () => {
      const [closed, running] = [newBatch(), newBatch()];
      await h.store.createBatch(closed, at(0), 0);
      await h.store.createBatch(running, at(0), 0);
      const claim = await h.store.claimBatch(closed.id, 'r1', at(0), LEASE);
      if (!claim || !('claimed' in claim)) throw new Error('expected a claim');
      await h.store.advanceBatch(claim.claimed, { cursor: undefined, skipped: 0, last: true }, at(1), LEASE);
      await h.store.purgeClosed(at(1), 100);
      expect(await h.store.getBatch(closed.id)).toBeDefined(); // closed at the cutoff, not before
      await h.store.purgeClosed(at(2), 100);
      expect(await h.store.getBatch(closed.id)).toBeUndefined();
      expect(await h.store.getBatch(running.id)).toMatchObject({ status: 'running' });
    });

    it('stops a running batch: no operation or cursor move after it', async () => {
      const type = await h.type();
      const run = await h.start(type);
      const batch = newBatch();
      await h.store.createBatch(batch, at(0), 0);
      const claim = await h.store.claimBatch(batch.id, 'r1', at(0), LEASE);
      if (!claim || !('claimed' in claim)) throw new Error('expected a claim');
      expect(await h.store.stopBatch(batch.id, at(1))).toBe(true);
      expect(await h.store.stopBatch(batch.id, at(2))).toBe(false);
      expect(await h.store.stopBatch(`batch-${randomUUID()}`, at(2))).toBeUndefined();
      expect(await h.store.applyBatch(batch.id, run.workflowId, cancel, at(3))).toBe('stopped');
      const step = { cursor: 'c1', skipped: 1, last: false };
      expect(await h.store.advanceBatch(claim.claimed, step, at(3), LEASE)).toBe(false);
      expect(await h.store.getBatch(batch.id)).toMatchObject({
        status: 'cancelled',
        done: 0,
        skipped: 0,
        closedAt: at(1),
      });
      expect(await inbox(run.runId)).toEqual([]);
    });
  });
}
