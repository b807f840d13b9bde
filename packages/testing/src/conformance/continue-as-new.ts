import { describe, expect } from 'vitest';
import { at, event, type Harness } from './harness.ts';

/** A run that continues as new: closed as `continued`, its successor started under the same id. */
export function continueAsNewBehaviour(h: Harness): void {
  const { it } = h;
  describe('continue as new', () => {
    it('closes the run as continued, starts its successor, and hands it the input the run never read', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const lease = await h.claimOne(type);
      await h.store.enqueue(workflowId, { kind: 'signal', name: 'seen', payload: 1 }, at(1));
      const [seen] = (await h.store.readInbox(runId)).items;
      await h.store.enqueue(workflowId, { kind: 'signal', name: 'unseen', payload: 2 }, at(2));
      const outcome = await h.store.continueAsNew({
        ...lease,
        now: at(3),
        events: [
          event(1, 3, { type: 'signal_received', name: 'seen', payload: 1 }),
          event(2, 3, { type: 'workflow_continued_as_new', input: { page: 2 } }),
        ],
        consumedInbox: [seen?.id as string],
        newRunId: '00000000-0000-4000-8000-000000000042',
        input: { page: 2 },
      });
      expect(outcome).toBe('ok');
      expect(await h.store.describe(workflowId, runId)).toMatchObject({
        status: 'continued',
        historyLength: 3,
      });
      const next = await h.store.describe(workflowId);
      expect(next).toMatchObject({
        runId: '00000000-0000-4000-8000-000000000042',
        status: 'running',
        input: { page: 2 },
      });
      expect(await h.store.loadHistory(next?.runId as string)).toMatchObject([
        { seq: 0, type: 'workflow_started', input: { page: 2 } },
      ]);
      const inbox = await h.store.readInbox(next?.runId as string);
      expect(inbox.items.map((i) => i.name)).toEqual(['unseen']);
      expect(await h.claimable([type], at(4))).toEqual([next?.runId]);
    });

    it('is fenced: a stale lease continues nothing', async () => {
      const type = await h.type();
      const { workflowId } = await h.start(type);
      const lease = await h.claimOne(type);
      const outcome = await h.store.continueAsNew({
        ...lease,
        fencingToken: lease.fencingToken + 1,
        now: at(3),
        events: [event(1, 3, { type: 'workflow_continued_as_new', input: null })],
        consumedInbox: [],
        newRunId: '00000000-0000-4000-8000-000000000043',
        input: null,
      });
      expect(outcome).toBe('lost');
      expect(await h.store.describe(workflowId)).toMatchObject({ status: 'running', historyLength: 1 });
    });
  });
}
