import { randomUUID } from 'node:crypto';
import type { ClosedNotice, Json, Store } from '@reel/sdk';
import { describe, expect, vi } from 'vitest';
import { at, type Harness } from './harness.ts';

type Note = ['wake' | 'input' | 'closed' | 'tick closed', string];

/** Delivery may lag the write (Postgres NOTIFY), so checks on what was heard retry for a while. */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 5000, interval: 5 });

/** Records what a listener of a worker (default: the harness's, `claimOne`'s owner) hears. */
async function record(store: Store, worker = 'worker-1') {
  const heard: Note[] = [];
  const unlisten = await store.listen({
    worker,
    onWake: (runId) => heard.push(['wake', runId]),
    onInput: (runId) => heard.push(['input', runId]),
    onClosed: (workflowId) => heard.push(['closed', workflowId]),
    onTickClosed: (workflowId) => heard.push(['tick closed', workflowId]),
  });
  return {
    unlisten,
    /** What was heard about these run or workflow ids, in order (a shared store has other traffic). */
    about: (...ids: string[]) => heard.filter(([, id]) => ids.includes(id)),
  };
}

/** Wakes and closes reach listeners: workers and clients wait on them instead of polling. */
export function notificationBehaviour(h: Harness): void {
  const { it } = h;
  describe('notifications via listen', () => {
    it('a start with a lease wakes no one: its owner runs it', async () => {
      const listener = await record(h.store);
      const type = await h.type();
      const leased = await h.store.start({
        workflowId: h.id(),
        runId: randomUUID(),
        type,
        input: null,
        now: at(0),
        lease: { owner: 'local-worker', ms: 30_000 },
      });
      const { runId } = await h.start(type);
      // Notifications arrive in order: once the later start's is heard, the leased one's would have been.
      await eventually(() => expect(listener.about(runId)).toEqual([['wake', runId]]));
      expect(listener.about(leased.runId)).toEqual([]);
      await listener.unlisten();
    });

    it('wakes passed on reach the listener of a worker they name, naming the workers and counting the runs', async () => {
      const heard: [string[] | undefined, number | undefined][] = [];
      const runIds: string[] = [randomUUID(), randomUUID()];
      const unlisten = await h.store.listen({
        worker: 'worker-c',
        onWake: (id, to, runs) => runIds.includes(id) && heard.push([to, runs]),
      });
      await h.store.passWake(runIds[0] as string, ['worker-b', 'worker-c'], 1);
      await h.store.passWake(runIds[1] as string, ['worker-c'], 40);
      await eventually(() =>
        expect(heard).toEqual([
          [['worker-b', 'worker-c'], 1],
          [['worker-c'], 40],
        ]),
      );
      await unlisten();
    });

    it("a start fires onWake(runId), input for a held run its holder's onInput(runId), a close onClosed(workflowId)", async () => {
      const listener = await record(h.store);
      const other = await record(h.store, 'worker-2');
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      await eventually(() => expect(listener.about(runId, workflowId)).toEqual([['wake', runId]]));

      const lease = await h.claimOne(type);
      // A held run's holder learns that input arrived; no other worker hears of it.
      await h.store.enqueue(workflowId, { kind: 'signal', name: 'go', payload: null }, at(1));
      await eventually(() =>
        expect(listener.about(runId, workflowId)).toEqual([
          ['wake', runId],
          ['input', runId],
        ]),
      );
      expect(other.about(runId).filter(([kind]) => kind === 'input')).toEqual([]);
      await other.unlisten();

      await h.store.commit({
        ...lease,
        now: at(2),
        events: [],
        consumedInbox: [],
        close: { inboxVersion: 1, status: 'completed' },
      });
      await eventually(() =>
        expect(listener.about(runId, workflowId)).toEqual([
          ['wake', runId],
          ['input', runId],
          ['closed', workflowId],
        ]),
      );
      await listener.unlisten();
    });

    it("a close of a schedule's run (an id with `@`) fires onClosed and onTickClosed", async () => {
      const listener = await record(h.store);
      const type = await h.type();
      const workflowId = `${h.id()}@2030-01-01T00:00:00.000Z`;
      const { runId } = await h.start(type, { workflowId });
      const lease = await h.claimOne(type);
      await h.store.commit({
        ...lease,
        now: at(1),
        events: [],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'completed' },
      });
      await eventually(() =>
        expect(listener.about(runId, workflowId)).toEqual([
          ['wake', runId],
          ['closed', workflowId],
          ['tick closed', workflowId],
        ]),
      );
      await listener.unlisten();
    });

    it('a repeated start, a commit that does not close and an enqueue to a closed run fire nothing', async () => {
      const listener = await record(h.store);
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      await eventually(() => expect(listener.about(runId)).toEqual([['wake', runId]]));
      await h.store.start({ workflowId, runId: randomUUID(), type, input: null, now: at(1) });
      const lease = await h.claimOne(type);
      await h.store.commit({ ...lease, now: at(2), events: [], consumedInbox: [], leaseMs: 1 });
      await h.store.commit({
        ...lease,
        now: at(3),
        events: [],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'completed' },
      });
      await h.store.enqueue(workflowId, { kind: 'signal', name: 'late', payload: null }, at(4));

      // Notifications arrive in write order: once a later run's wake is heard, nothing else is on its way.
      const marker = await h.start(type);
      await eventually(() =>
        expect(listener.about(runId, workflowId, marker.runId)).toEqual([
          ['wake', runId],
          ['closed', workflowId],
          ['wake', marker.runId],
        ]),
      );
      await listener.unlisten();
    });

    it("a close's notice names the run and carries a small outcome; a large one is left to a read", async () => {
      const notices = new Map<string, ClosedNotice | undefined>();
      const unlisten = await h.store.listen({ onClosed: (id, notice) => notices.set(id, notice) });
      const type = await h.type();
      const close = async (result: Json | undefined) => {
        const { workflowId, runId } = await h.start(type);
        const lease = await h.claimOne(type);
        await h.store.commit({
          ...lease,
          now: at(1),
          events: [],
          consumedInbox: [],
          close: { inboxVersion: 0, status: 'completed', ...(result === undefined ? {} : { result }) },
        });
        return { workflowId, runId };
      };
      const small = await close({ ok: 1, b: [null] });
      const none = await close(undefined);
      const large = await close('x'.repeat(2000));
      const ended = await h.start(type);
      await h.store.terminate(ended.workflowId, 'stop', at(2));
      await eventually(() => expect(notices.has(ended.workflowId)).toBe(true));
      expect(notices.get(small.workflowId)).toEqual({
        runId: small.runId,
        status: 'completed',
        outcome: { result: { ok: 1, b: [null] } },
      });
      expect(notices.get(none.workflowId)).toEqual({ runId: none.runId, status: 'completed', outcome: {} });
      expect(notices.get(large.workflowId)).toEqual({ runId: large.runId, status: 'completed' });
      expect(notices.get(ended.workflowId)).toEqual({
        runId: ended.runId,
        status: 'terminated',
        outcome: { error: { name: 'WorkflowTerminatedError', message: 'stop' } },
      });
      await unlisten();
    });

    it('after unlisten a listener hears nothing more; other listeners still do', async () => {
      const leaving = await record(h.store);
      const staying = await record(h.store);
      await leaving.unlisten();
      const type = await h.type();
      const { runId } = await h.start(type);
      await eventually(() => expect(staying.about(runId)).toEqual([['wake', runId]]));
      expect(leaving.about(runId)).toEqual([]);
      await staying.unlisten();
    });
  });
}
