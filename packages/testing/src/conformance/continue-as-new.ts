import { randomUUID } from 'node:crypto';
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

    it('hands the successor only signals and cancel requests, never a child outcome', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const lease = await h.claimOne(type);
      const childType = await h.type();
      await h.store.start({
        workflowId: h.id('child'),
        runId: randomUUID(),
        type: childType,
        input: null,
        now: at(1),
        newRun: true,
        parent: { runId, cmd: 0, closePolicy: 'abandon' },
      });
      const child = await h.claimOne(childType, at(1));
      await h.store.commit({
        ...child,
        now: at(2),
        events: [event(1, 2, { type: 'workflow_completed', result: 7 })],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'completed', result: 7 },
      });
      await h.store.enqueue(workflowId, { kind: 'cancel', name: null, payload: 'stop' }, at(3));
      await h.store.enqueue(workflowId, { kind: 'signal', name: 'more', payload: 1 }, at(3));
      expect((await h.store.readInbox(runId)).items.map((i) => i.kind)).toEqual([
        'child',
        'cancel',
        'signal',
      ]);
      const outcome = await h.store.continueAsNew({
        ...lease,
        now: at(4),
        events: [event(1, 4, { type: 'workflow_continued_as_new', input: null })],
        consumedInbox: [],
        newRunId: randomUUID(),
        input: null,
      });
      expect(outcome).toBe('ok');
      const next = await h.store.describe(workflowId);
      const inbox = await h.store.readInbox(next?.runId as string);
      expect(inbox.items.map((i) => [i.kind, i.name])).toEqual([
        ['cancel', null],
        ['signal', 'more'],
      ]);
      expect((await h.store.readInbox(runId)).items).toEqual([]);
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
