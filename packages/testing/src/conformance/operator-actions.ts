import { randomUUID } from 'node:crypto';
import type { ClaimedRun, RecordedEvent, ResetRequest } from '@reel/sdk';
import { describe, expect } from 'vitest';
import { at, event, type Harness, LEASE } from './harness.ts';

/** Operator actions: retry now (wakes what waits out a backoff) and reset (a new run from a point). */
export function operatorActionBehaviour(h: Harness): void {
  const { it } = h;

  /** Commits `events` on the lease and releases the run until `readyAt`. */
  async function commitAndRelease(lease: ClaimedRun, events: RecordedEvent[], readyAt: Date | null) {
    const { version } = await h.store.readInbox(lease.runId);
    const outcome = await h.store.commit({
      ...lease,
      now: at(10),
      events,
      consumedInbox: [],
      release: { readyAt, inboxVersion: version },
    });
    expect(outcome).toBe('ok');
  }

  /** A held run whose activity 0 completed and activity 1 waits out an hour's backoff (history of 5). */
  async function retrying() {
    const type = await h.type();
    const { workflowId, runId } = await h.start(type);
    const lease = await h.claimOne(type);
    const history = [
      event(1, 1, { type: 'activity_scheduled', cmd: 0, name: 'reserve', args: [] }),
      event(2, 2, { type: 'activity_completed', cmd: 0, result: 'ok' }),
      event(3, 3, { type: 'activity_scheduled', cmd: 1, name: 'ship', args: [] }),
      event(4, 4, {
        type: 'activity_retrying',
        cmd: 1,
        attempt: 1,
        error: { name: 'Error', message: 'down' },
        retryAt: at(3_600_000).toISOString(),
      }),
    ];
    const outcome = await h.store.commit({
      ...lease,
      now: at(4),
      events: history,
      consumedInbox: [],
      leaseMs: LEASE,
    });
    expect(outcome).toBe('ok');
    return { type, workflowId, runId, lease };
  }

  const resetRequest = (
    workflowId: string,
    runId: string,
    fields: Partial<ResetRequest> = {},
  ): ResetRequest => ({
    workflowId,
    runId,
    historyLength: 5,
    toEvent: 2,
    newRunId: randomUUID(),
    seed: runId,
    now: at(100),
    ...fields,
  });

  describe('operator actions', () => {
    it('retryNow puts a retry item in the inbox and makes a released run waiting out a backoff claimable now', async () => {
      const { type, workflowId, runId, lease } = await retrying();
      await commitAndRelease(lease, [], at(3_600_000));
      expect(await h.claimable([type], at(20))).toEqual([]);
      expect(await h.store.retryNow(workflowId, at(20))).toBe(true);
      const { items } = await h.store.readInbox(runId);
      expect(items).toEqual([expect.objectContaining({ kind: 'retry', name: null, payload: null })]);
      expect(await h.claimable([type], at(20))).toEqual([runId]);
    });

    it('retryNow leaves a held run to its holder: the lease stays, and the holder cannot release past the item', async () => {
      const { type, workflowId, runId, lease } = await retrying();
      const { version } = await h.store.readInbox(runId);
      expect(await h.store.retryNow(workflowId, at(20))).toBe(true);
      expect(await h.claimable([type], at(20))).toEqual([]);
      const outcome = await h.store.commit({
        ...lease,
        now: at(21),
        events: [],
        consumedInbox: [],
        release: { readyAt: at(3_600_000), inboxVersion: version },
        leaseMs: LEASE,
      });
      expect(outcome).toBe('kept');
    });

    it('retryNow makes a parked run claimable now, and a queued task waiting out a backoff claimable now', async () => {
      const { type, workflowId, runId, lease } = await retrying();
      const task = {
        runId,
        cmd: 1,
        attempt: 2,
        name: h.id('ship'),
        args: [],
        queue: h.id('carrier'),
        availableAt: at(3_600_000),
      };
      expect(await h.store.enqueueTask(lease, task, at(5))).toBe(true);
      expect(await h.store.park(lease, { name: 'Error', message: 'parked' }, at(6), at(600_000))).toBe(true);
      expect(await h.claimable([type], at(20))).toEqual([]);
      expect(await h.store.claimTasks('probe', [task.queue], [task.name], 10, at(20), LEASE)).toEqual([]);
      expect(await h.store.retryNow(workflowId, at(20))).toBe(true);
      expect((await h.store.describe(workflowId))?.status).toBe('parked');
      expect(await h.store.claimTasks('probe', [task.queue], [task.name], 10, at(20), LEASE)).toHaveLength(1);
      expect(await h.claimable([type], at(20))).toEqual([runId]);
    });

    it('retryNow answers false for a closed run and undefined for an unknown id', async () => {
      const type = await h.type();
      const { workflowId } = await h.start(type);
      await h.store.terminate(workflowId, undefined, at(1));
      expect(await h.store.retryNow(workflowId, at(2))).toBe(false);
      expect(await h.store.retryNow(h.id(), at(2))).toBeUndefined();
    });

    it('reset of a held run closes it as reset, fenced, and starts the new run from the point with the signals after it and the unread input', async () => {
      const { type, workflowId, runId, lease } = await retrying();
      const signal = event(5, 5, { type: 'signal_received', name: 'late', payload: { n: 1 } });
      expect(
        await h.store.commit({ ...lease, now: at(5), events: [signal], consumedInbox: [], leaseMs: LEASE }),
      ).toBe('ok');
      await h.store.enqueue(workflowId, { kind: 'signal', name: 'unread', payload: 2 }, at(6));
      await h.store.sendUpdate(workflowId, { updateId: 'u', name: 'add', arg: 3 }, at(6));
      const req = resetRequest(workflowId, runId, { historyLength: 6, reason: 'fixed' });
      expect(await h.store.reset(req)).toBe('ok');

      const old = await h.store.describe(workflowId, runId);
      expect(old).toMatchObject({ status: 'reset', resetTo: req.newRunId, closedAt: at(100) });
      const oldHistory = await h.store.loadHistory(runId);
      expect(oldHistory.at(-1)).toMatchObject({
        seq: 6,
        type: 'workflow_reset',
        newRunId: req.newRunId,
        toEvent: 2,
      });
      expect(await h.store.describe(workflowId)).toMatchObject({
        runId: req.newRunId,
        status: 'running',
        historyLength: 4,
      });
      const history = await h.store.loadHistory(req.newRunId);
      expect(history.slice(0, 3)).toEqual(oldHistory.slice(0, 3));
      expect(history[3]).toMatchObject({
        seq: 3,
        type: 'reset_point',
        fromRunId: runId,
        toEvent: 2,
        seed: runId,
        reason: 'fixed',
        at: at(100).toISOString(),
      });
      const { items } = await h.store.readInbox(req.newRunId);
      expect(items.map((i) => [i.kind, i.name, i.payload])).toEqual([
        ['signal', 'late', { n: 1 }],
        ['signal', 'unread', 2],
        ['update', 'add', { updateId: 'u', arg: 3 }],
      ]);
      // the old holder is fenced out; the new run is claimable now
      const write = await h.store.commit({
        ...lease,
        now: at(101),
        events: [],
        consumedInbox: [],
        leaseMs: LEASE,
      });
      expect(write).toBe('lost');
      expect(await h.claimable([type], at(100))).toEqual([req.newRunId]);
    });

    it('reset of a closed run keeps its status and records resetTo', async () => {
      const { workflowId, runId, lease } = await retrying();
      const failed = event(5, 5, { type: 'workflow_failed', error: { name: 'Error', message: 'down' } });
      await h.store.commit({
        ...lease,
        now: at(5),
        events: [failed],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'failed', error: { name: 'Error', message: 'down' } },
      });
      const req = resetRequest(workflowId, runId, { historyLength: 6 });
      expect(await h.store.reset(req)).toBe('ok');
      expect(await h.store.describe(workflowId, runId)).toMatchObject({
        status: 'failed',
        resetTo: req.newRunId,
      });
      expect((await h.store.loadHistory(runId)).at(-1)?.type).toBe('workflow_failed');
      expect(await h.store.describe(workflowId)).toMatchObject({ runId: req.newRunId, status: 'running' });
    });

    it('a reset failed run is listed among failed runs, but not among the latest runs, until its new run fails too', async () => {
      const { type, workflowId, runId, lease } = await retrying();
      const fail = (held: ClaimedRun, ms: number) =>
        h.store.commit({
          ...held,
          now: at(ms),
          events: [],
          consumedInbox: [],
          close: { inboxVersion: 0, status: 'failed', error: { name: 'Error', message: 'down' } },
        });
      await fail(lease, 5);
      const req = resetRequest(workflowId, runId);
      expect(await h.store.reset(req)).toBe('ok');
      const runIds = async (filter: Parameters<typeof h.store.list>[0]) =>
        (await h.store.list({ type, ...filter })).items.map((d) => d.runId);
      expect(await runIds({ status: 'failed' })).toEqual([runId]);
      expect(await runIds({ status: 'failed', latest: true })).toEqual([]);
      expect(await h.store.countRuns({ type, status: 'failed', latest: true })).toBe(0);
      expect(await runIds({ latest: true })).toEqual([req.newRunId]);
      expect(await runIds({ latest: false })).toHaveLength(2);

      await fail(await h.claimOne(type, at(200)), 201);
      expect(await runIds({ status: 'failed', latest: true })).toEqual([req.newRunId]);
      expect(await h.store.countRuns({ type, status: 'failed', latest: true })).toBe(1);
    });

    it('reset writes nothing when the history moved on, another run is open, or the run is unknown', async () => {
      const { type, workflowId, runId } = await retrying();
      expect(await h.store.reset(resetRequest(workflowId, runId, { historyLength: 4 }))).toBe('changed');
      expect(await h.store.reset(resetRequest(h.id(), runId))).toBe('not_found');
      expect(await h.store.reset(resetRequest(workflowId, randomUUID()))).toBe('not_found');
      expect(await h.store.describe(workflowId)).toMatchObject({ runId, status: 'running' });

      const other = await h.start(type);
      await h.store.terminate(other.workflowId, undefined, at(1));
      await h.store.start({
        workflowId: other.workflowId,
        runId: randomUUID(),
        type,
        input: null,
        now: at(2),
        newRun: true,
      });
      const refused = resetRequest(other.workflowId, other.runId, { historyLength: 2, toEvent: 0 });
      expect(await h.store.reset(refused)).toBe('open_elsewhere');
      expect(await h.store.describe(other.workflowId, other.runId)).toMatchObject({ status: 'terminated' });
      expect((await h.store.describe(other.workflowId, other.runId))?.resetTo).toBeUndefined();
    });

    it('a child the reset left to its old parent tells that parent nothing once it is closed as reset', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const lease = await h.claimOne(type);
      const childId = h.id('abandoned');
      await h.store.commit({
        ...lease,
        now: at(1),
        events: [
          event(1, 1, {
            type: 'child_scheduled',
            cmd: 0,
            workflowType: type,
            workflowId: childId,
            input: null,
            parentClosePolicy: 'abandon',
          }),
        ],
        consumedInbox: [],
        leaseMs: LEASE,
      });
      await h.store.start({
        workflowId: childId,
        runId: randomUUID(),
        type,
        input: null,
        now: at(2),
        newRun: true,
        parent: { runId, cmd: 0, closePolicy: 'abandon', fencingToken: lease.fencingToken },
      });
      expect(await h.store.reset(resetRequest(workflowId, runId, { historyLength: 2, toEvent: 0 }))).toBe(
        'ok',
      );
      const child = await h.claimOne(type, at(200));
      expect(child.workflowId).toBe(childId);
      const closed = await h.store.commit({
        ...child,
        now: at(201),
        events: [event(1, 201, { type: 'workflow_completed', result: 1 })],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'completed', result: 1 },
      });
      expect(closed).toBe('ok');
      expect((await h.store.readInbox(runId)).items).toEqual([]);
    });

    it('reset hands the children of the kept events to the new run, with the outcome of a closed one; the others meet their parent-close policy', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const lease = await h.claimOne(type);
      const scheduled = (cmd: number, seq: number, childId: string) =>
        event(seq, seq, {
          type: 'child_scheduled',
          cmd,
          workflowType: type,
          workflowId: childId,
          input: null,
          parentClosePolicy: 'terminate',
        });
      const [kept, closed, redone] = [h.id('kept'), h.id('closed'), h.id('redone')];
      await h.store.commit({
        ...lease,
        now: at(1),
        events: [scheduled(0, 1, kept), scheduled(1, 2, closed), scheduled(2, 3, redone)],
        consumedInbox: [],
        leaseMs: LEASE,
      });
      for (const [cmd, childId] of [
        [0, kept],
        [1, closed],
        [2, redone],
      ] as const)
        await h.store.start({
          workflowId: childId,
          runId: randomUUID(),
          type,
          input: null,
          now: at(2),
          newRun: true,
          parent: { runId, cmd, closePolicy: 'terminate', fencingToken: lease.fencingToken },
        });
      await h.store.terminate(closed, 'done with', at(3));
      const req = resetRequest(workflowId, runId, { historyLength: 4, toEvent: 2 });
      expect(await h.store.reset(req)).toBe('ok');
      expect(await h.store.describe(kept)).toMatchObject({ status: 'running', parentRunId: req.newRunId });
      expect(await h.store.describe(closed)).toMatchObject({
        status: 'terminated',
        parentRunId: req.newRunId,
      });
      expect(await h.store.describe(redone)).toMatchObject({ status: 'terminated', parentRunId: runId });
      const { items } = await h.store.readInbox(req.newRunId);
      expect(items).toEqual([
        expect.objectContaining({
          kind: 'child',
          payload: expect.objectContaining({
            cmd: 1,
            status: 'terminated',
            error: expect.objectContaining({ message: 'done with' }),
          }),
        }),
      ]);
    });
  });
}
