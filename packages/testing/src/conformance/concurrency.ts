import { randomUUID } from 'node:crypto';
import type { ClaimedRun, ConcurrencyLimit } from '@reel/sdk';
import { describe, expect, vi } from 'vitest';
import { at, event, type Harness, LEASE } from './harness.ts';

/** Concurrency limits by key: admission at start, waiting unclaimable, and hand-over at close. */
export function concurrencyBehaviour(h: Harness): void {
  const { it } = h;
  const key = () => `key-${randomUUID()}`;
  const startKeyed = (type: string, concurrency: ConcurrencyLimit, ms = 0) =>
    h.start(type, { now: at(ms), input: null, concurrency });
  const close = (lease: ClaimedRun, ms: number) =>
    h.store.commit({
      ...lease,
      now: at(ms),
      events: [event(1, ms, { type: 'workflow_completed', result: null })],
      consumedInbox: [],
      close: { inboxVersion: 0, status: 'completed', result: null },
    });

  describe('concurrency limits by key', () => {
    it('admits runs of a key up to its limit; the others wait unclaimable, saying for what', async () => {
      const type = await h.type();
      const k = key();
      const runs = [];
      for (let i = 0; i < 4; i++) runs.push(await startKeyed(type, { key: k, limit: 2 }, i));
      const claimed = await h.claimable([type], at(LEASE * 100));
      expect(new Set(claimed)).toEqual(new Set([runs[0]?.runId, runs[1]?.runId]));
      expect((await h.store.describe(runs[2]?.workflowId as string))?.waitingFor).toEqual({
        concurrencyKey: k,
      });
      expect((await h.store.describe(runs[0]?.workflowId as string))?.waitingFor).toBeUndefined();
    });

    it('a closing holder hands its slot to the oldest waiter, claimable at once and woken (waiters are not)', async () => {
      const type = await h.type();
      const k = key();
      const woken: string[] = [];
      const unlisten = await h.store.listen({ onWake: (runId) => woken.push(runId) });
      const holder = await startKeyed(type, { key: k, limit: 1 }, 0);
      const first = await startKeyed(type, { key: k, limit: 1 }, 1);
      const second = await startKeyed(type, { key: k, limit: 1 }, 2);
      const lease = await h.claimOne(type);
      expect(lease.runId).toBe(holder.runId);
      expect(await close(lease, 10)).toBe('ok');
      expect(await h.claimable([type], at(10))).toEqual([first.runId]);
      expect((await h.store.describe(second.workflowId))?.waitingFor).toEqual({ concurrencyKey: k });
      // Notifications arrive in order: once the hand-over's is heard, a waiter's start's would have been.
      await vi.waitFor(() => expect(woken).toContain(first.runId), { timeout: 5000, interval: 5 });
      expect(woken.filter((id) => id === first.runId || id === second.runId)).toEqual([first.runId]);
      await unlisten();
    });

    it('a parked or sleeping run keeps its slot; keys do not share slots', async () => {
      const type = await h.type();
      const k = key();
      await startKeyed(type, { key: k, limit: 1 });
      const lease = await h.claimOne(type);
      await h.store.park(lease, { name: 'Error', message: 'stuck' }, at(1), at(1_000_000));
      const waiting = await startKeyed(type, { key: k, limit: 1 }, 2);
      const other = await startKeyed(type, { key: key(), limit: 1 }, 3);
      expect(await h.claimable([type], at(10))).toEqual([other.runId]);
      expect((await h.store.describe(waiting.workflowId))?.waitingFor).toEqual({ concurrencyKey: k });
    });

    it('terminating a waiter frees nothing; terminating a holder admits the next waiter', async () => {
      const type = await h.type();
      const k = key();
      const holder = await startKeyed(type, { key: k, limit: 1 }, 0);
      const doomed = await startKeyed(type, { key: k, limit: 1 }, 1);
      const next = await startKeyed(type, { key: k, limit: 1 }, 2);
      expect(await h.store.terminate(doomed.workflowId, 'no', at(3))).toBe(true);
      expect((await h.store.describe(doomed.workflowId))?.waitingFor).toBeUndefined();
      expect(await h.claimable([type], at(4))).toEqual([holder.runId]);
      expect(await h.store.terminate(holder.workflowId, 'done', at(5))).toBe(true);
      expect(await h.claimable([type], at(6))).toEqual([next.runId]);
    });

    it('a successor by continue-as-new keeps its predecessor slot', async () => {
      const type = await h.type();
      const k = key();
      await startKeyed(type, { key: k, limit: 1 }, 0);
      const waiting = await startKeyed(type, { key: k, limit: 1 }, 1);
      const lease = await h.claimOne(type);
      const newRunId = randomUUID();
      const outcome = await h.store.continueAsNew({
        ...lease,
        inboxVersion: 0,
        now: at(2),
        events: [event(1, 2, { type: 'workflow_continued_as_new', input: null })],
        consumedInbox: [],
        newRunId,
        input: null,
      });
      expect(outcome).toBe('ok');
      expect(await h.claimable([type], at(3))).toEqual([newRunId]);
      expect((await h.store.describe(waiting.workflowId))?.waitingFor).toEqual({ concurrencyKey: k });
    });

    it('a signal or a retry does not make a waiting run claimable', async () => {
      const type = await h.type();
      const k = key();
      await startKeyed(type, { key: k, limit: 1 }, 0);
      await h.claimOne(type);
      const waiting = await startKeyed(type, { key: k, limit: 1 }, 1);
      await h.store.enqueue(waiting.workflowId, { kind: 'signal', name: 's', payload: 1 }, at(2));
      expect(await h.store.retryNow(waiting.workflowId, at(3))).toBe(true);
      expect(await h.claimable([type], at(LEASE - 1))).toEqual([]);
    });

    it("a child's outcome does not make a waiting run claimable: a reset's new run, waiting, with the children it took over", async () => {
      const [type, kids] = [await h.type(), await h.type()];
      const k = key();
      const { workflowId, runId } = await startKeyed(type, { key: k, limit: 1 }, 0);
      const lease = await h.claimOne(type);
      const childIds = [h.id('done'), h.id('stopped')];
      const events = childIds.map((childId, cmd) =>
        event(cmd + 1, 1, {
          type: 'child_scheduled',
          cmd,
          workflowType: kids,
          workflowId: childId,
          input: null,
          parentClosePolicy: 'abandon',
        }),
      );
      expect(await h.store.commit({ ...lease, now: at(1), events, consumedInbox: [], leaseMs: LEASE })).toBe(
        'ok',
      );
      for (const [cmd, childId] of childIds.entries())
        await h.store.start({
          workflowId: childId,
          runId: randomUUID(),
          type: kids,
          input: null,
          now: at(2),
          newRun: true,
          parent: { runId, cmd, closePolicy: 'abandon', fencingToken: lease.fencingToken },
        });
      const waiter = await startKeyed(type, { key: k, limit: 1 }, 3);
      const newRunId = randomUUID();
      const reset = { workflowId, runId, historyLength: 3, toEvent: 2, newRunId, seed: runId, now: at(4) };
      expect(await h.store.reset(reset)).toBe('ok');
      // The reset freed the slot for the waiter; its new run waits behind it, and hears of its children.
      expect(await close(await h.claimOne(kids, at(5)), 5)).toBe('ok');
      expect(await h.store.terminate(childIds[1] as string, 'stop', at(6))).toBe(true);
      expect(await h.claimable([type], at(7))).toEqual([waiter.runId]);
      expect((await h.store.describe(workflowId))?.waitingFor).toEqual({ concurrencyKey: k });
      expect((await h.store.readInbox(newRunId)).items.map((i) => i.kind)).toEqual(['child', 'child']);
    });

    it("a parent's close that cancels its child does not make the child, waiting for its slot, claimable", async () => {
      const [type, parents] = [await h.type(), await h.type()];
      const k = key();
      await startKeyed(type, { key: k, limit: 1 }, 0);
      await h.claimOne(type);
      await h.start(parents);
      const parent = await h.claimOne(parents);
      const child = await h.store.start({
        workflowId: h.id('child'),
        runId: randomUUID(),
        type,
        input: null,
        now: at(1),
        newRun: true,
        concurrency: { key: k, limit: 1 },
        parent: {
          runId: parent.runId,
          cmd: 0,
          closePolicy: 'requestCancel',
          fencingToken: parent.fencingToken,
        },
      });
      expect(await close(parent, 2)).toBe('ok');
      expect((await h.store.readInbox(child.runId)).items.map((i) => i.kind)).toEqual(['cancel']);
      expect(await h.claimable([type], at(LEASE - 1))).toEqual([]);
    });
  });
}
