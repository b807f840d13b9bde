import { randomUUID } from 'node:crypto';
import type { ClaimedRun, Json } from '@reel/sdk';
import { describe, expect, vi } from 'vitest';
import { at, event, type Harness } from './harness.ts';

/** Updates: sent once per id to the latest open run, and read back from history or a rejection. */
export function updateBehaviour(h: Harness): void {
  const { it } = h;
  const accepted = (seq: number, updateId: string, arg: Json) =>
    event(seq, seq, { type: 'update_accepted', updateId, name: 'add', arg });
  const completed = (seq: number, updateId: string, outcome: Record<string, Json>) =>
    event(seq, seq, { type: 'update_completed', updateId, ...outcome });
  /** Commits events continuing a run whose history has `from` events, consuming `consumed`. */
  const commit = (lease: ClaimedRun, events: ReturnType<typeof event>[], consumed: string[] = []) =>
    h.store.commit({ ...lease, now: at(5), events, consumedInbox: consumed, leaseMs: 30_000 });

  describe('updates', () => {
    it('sends an update once per id as an inbox item of kind update, and answers for unknown or closed workflows', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const before = (await h.store.readInbox(runId)).version;
      const update = { updateId: 'u-1', name: 'add', arg: { sku: 'A' } };
      expect(await h.store.sendUpdate(workflowId, update, at(1))).toBe('sent');
      expect(await h.store.sendUpdate(workflowId, { ...update, arg: 'other' }, at(2))).toBe('known');
      const inbox = await h.store.readInbox(runId);
      expect(inbox.version).toBe(before + 1);
      expect(inbox.items).toMatchObject([
        { kind: 'update', name: 'add', payload: { updateId: 'u-1', arg: { sku: 'A' } } },
      ]);
      expect(await h.store.readUpdate(workflowId, 'u-1')).toEqual({ status: 'pending' });
      expect(await h.store.readUpdate(workflowId, 'u-2')).toBeUndefined();
      expect(await h.store.sendUpdate(h.id(), { ...update, updateId: 'u-3' }, at(1))).toBe('not_found');
      await h.store.terminate(workflowId, undefined, at(3));
      expect(await h.store.sendUpdate(workflowId, { ...update, updateId: 'u-4' }, at(4))).toBe('closed');
      // a known id is answered by its outcome, open run or not
      expect(await h.store.sendUpdate(workflowId, update, at(4))).toBe('known');
      expect(await h.store.readUpdate(workflowId, 'u-1')).toEqual({
        status: 'closed',
        runStatus: 'terminated',
      });
    });

    it('reads an update completed or failed from history, and tells its callers', async () => {
      const type = await h.type();
      const { workflowId } = await h.start(type);
      const heard: string[] = [];
      const unlisten = await h.store.listen({ onUpdate: (id) => heard.push(id) });
      await h.store.sendUpdate(workflowId, { updateId: 'ok', name: 'add', arg: 1 }, at(1));
      await h.store.sendUpdate(workflowId, { updateId: 'bad', name: 'add', arg: 2 }, at(1));
      const lease = await h.claimOne(type);
      const items = (await h.store.readInbox(lease.runId)).items.map((i) => i.id);
      expect(await commit(lease, [accepted(1, 'ok', 1), accepted(2, 'bad', 2)], items)).toBe('ok');
      expect(await h.store.readUpdate(workflowId, 'ok')).toEqual({ status: 'pending' });
      expect((await h.store.readInbox(lease.runId)).items).toEqual([]);
      const error = { name: 'Error', message: 'out of stock' };
      expect(await commit(lease, [completed(3, 'ok', { result: 41 }), completed(4, 'bad', { error })])).toBe(
        'ok',
      );
      expect(await h.store.readUpdate(workflowId, 'ok')).toEqual({ status: 'completed', result: 41 });
      expect(await h.store.readUpdate(workflowId, 'bad')).toEqual({ status: 'failed', error });
      await vi.waitFor(() => expect(heard).toContain(workflowId), { timeout: 5000, interval: 5 });
      await unlisten();
    });

    it('records a rejection only under the current lease, and tells the callers', async () => {
      const type = await h.type();
      const { workflowId } = await h.start(type);
      await h.store.sendUpdate(workflowId, { updateId: 'r', name: 'add', arg: null }, at(1));
      const stale = await h.claimOne(type, at(2), 10);
      const lease = await h.claimOne(type, at(100), 30_000, 'worker-2');
      const error = { name: 'ReelError', code: 'REEL_UPDATE_REJECTED', message: 'no sku' };
      const heard: string[] = [];
      const unlisten = await h.store.listen({ onUpdate: (id) => heard.push(id) });
      await h.store.rejectUpdate(stale, 'r', error);
      expect(await h.store.readUpdate(workflowId, 'r')).toEqual({ status: 'pending' });
      await h.store.rejectUpdate(lease, 'r', error);
      expect(await h.store.readUpdate(workflowId, 'r')).toEqual({ status: 'rejected', error });
      await vi.waitFor(() => expect(heard).toContain(workflowId), { timeout: 5000, interval: 5 });
      await unlisten();
    });

    /** A run that accepted update `updateId` right after its start, with no outcome for it yet. */
    const acceptedUpdate = async (updateId: string) => {
      const type = await h.type();
      const { workflowId } = await h.start(type);
      await h.store.sendUpdate(workflowId, { updateId, name: 'add', arg: null }, at(1));
      const lease = await h.claimOne(type);
      const items = (await h.store.readInbox(lease.runId)).items.map((i) => i.id);
      await commit(lease, [accepted(1, updateId, null)], items);
      return { workflowId, lease };
    };

    it('reads an update accepted by a run that closed before completing it as closed', async () => {
      const { workflowId, lease } = await acceptedUpdate('c');
      const { version } = await h.store.readInbox(lease.runId);
      const closing = event(2, 2, { type: 'workflow_completed', result: null });
      expect(
        await h.store.commit({
          ...lease,
          now: at(6),
          events: [closing],
          consumedInbox: [],
          close: { status: 'completed', result: null, inboxVersion: version },
        }),
      ).toBe('ok');
      expect(await h.store.readUpdate(workflowId, 'c')).toEqual({ status: 'closed', runStatus: 'completed' });
    });

    it('reads an update accepted before a reset point and not completed as pending: the new run has it', async () => {
      const { workflowId, lease } = await acceptedUpdate('r');
      const reset = { workflowId, runId: lease.runId, historyLength: 2, toEvent: 1, seed: 's', now: at(6) };
      expect(await h.store.reset({ ...reset, newRunId: randomUUID() })).toBe('ok');
      expect(await h.store.readUpdate(workflowId, 'r')).toEqual({ status: 'pending' });
    });

    it('hands an update its run never read to the successor of a continue-as-new', async () => {
      const type = await h.type();
      const { workflowId } = await h.start(type);
      const lease = await h.claimOne(type);
      await h.store.sendUpdate(workflowId, { updateId: 'n', name: 'add', arg: 7 }, at(1));
      const { version } = await h.store.readInbox(lease.runId);
      const newRunId = randomUUID();
      const outcome = await h.store.continueAsNew({
        ...lease,
        now: at(2),
        events: [event(1, 2, { type: 'workflow_continued_as_new', input: null })],
        consumedInbox: [],
        inboxVersion: version,
        newRunId,
        input: null,
      });
      expect(outcome).toBe('ok');
      expect((await h.store.readInbox(newRunId)).items).toMatchObject([
        { kind: 'update', name: 'add', payload: { updateId: 'n', arg: 7 } },
      ]);
      expect(await h.store.readUpdate(workflowId, 'n')).toEqual({ status: 'pending' });
      expect(await h.store.sendUpdate(workflowId, { updateId: 'n', name: 'add', arg: 7 }, at(3))).toBe(
        'known',
      );
    });
  });
}
