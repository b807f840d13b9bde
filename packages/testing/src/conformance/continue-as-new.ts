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
        inboxVersion: (await h.store.readInbox(lease.runId)).version,
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

    it("records a run's trace in workflow_started, at start and for a successor", async () => {
      const type = await h.type();
      const workflowId = h.id();
      const parent = { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: 'k=v' };
      const link = { traceparent: `00-${'a'.repeat(32)}-${'c'.repeat(16)}-01` };
      const runId = randomUUID();
      await h.store.start({ workflowId, runId, type, input: null, now: at(0), trace: { parent } });
      expect(await h.store.loadHistory(runId)).toMatchObject([
        { type: 'workflow_started', trace: { parent } },
      ]);
      const lease = await h.claimOne(type);
      for (const [i, input] of [{ page: 2 }, undefined].entries()) {
        const current = i === 0 ? lease : await h.claimOne(type, at(2));
        const newRunId = randomUUID();
        const outcome = await h.store.continueAsNew({
          ...current,
          inboxVersion: 0,
          now: at(1),
          events: [event(1, 1, { type: 'workflow_continued_as_new', input })],
          consumedInbox: [],
          newRunId,
          input,
          trace: { parent, link },
        });
        expect(outcome).toBe('ok');
        const [started] = await h.store.loadHistory(newRunId);
        expect(started).toEqual({
          type: 'workflow_started',
          workflowType: type,
          ...(input === undefined ? {} : { input }),
          trace: { parent, link },
          seq: 0,
          at: at(1).toISOString(),
        });
      }
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
        parent: { runId, cmd: 0, closePolicy: 'abandon', fencingToken: lease.fencingToken },
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
        inboxVersion: (await h.store.readInbox(lease.runId)).version,
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

    // The latest run of an id is the one inserted last, whatever the clocks said: a frozen or shared
    // clock gives the successor the same time, and a worker whose clock is behind gives it an earlier one.
    for (const [clock, ms] of [
      ['the same', 1000],
      ['an earlier', 400],
    ] as const) {
      it(`a successor stamped with ${clock} time as its predecessor is the latest run for every call by id`, async () => {
        const type = await h.type();
        const { workflowId, runId } = await h.start(type, { now: at(1000) });
        // Two generations, so that "latest" must pass over more than one closed run.
        let lease = await h.claimOne(type, at(1000));
        let latest = runId;
        for (let i = 0; i < 2; i++) {
          latest = randomUUID();
          const continued = await h.store.continueAsNew({
            ...lease,
            inboxVersion: (await h.store.readInbox(lease.runId)).version,
            now: at(ms),
            events: [event(1, ms, { type: 'workflow_continued_as_new', input: i })],
            consumedInbox: [],
            newRunId: latest,
            input: i,
          });
          expect(continued).toBe('ok');
          if (i === 0) lease = await h.claimOne(type, at(1000));
        }

        // Soft: each call by id is checked, and each one that misses the latest run is reported.
        expect.soft(await h.store.describe(workflowId)).toMatchObject({ runId: latest, status: 'running' });
        expect
          .soft(await h.store.start({ workflowId, runId: randomUUID(), type, input: 0, now: at(ms) }))
          .toEqual({
            runId: latest,
            created: false,
            knownType: true,
            type,
          });
        await h.store.heartbeat(`worker-${workflowId}`, [type], at(ms));
        const posted = await h.store.postQuery(workflowId, 'state', [], at(ms), at(0));
        expect.soft(posted).toMatchObject({ runId: latest });
        expect
          .soft(await h.store.enqueue(workflowId, { kind: 'signal', name: 's', payload: 1 }, at(ms)))
          .toBe(true);
        expect.soft((await h.store.readInbox(latest)).items.map((i) => i.name)).toEqual(['s']);
        expect.soft(await h.store.terminate(workflowId, 'stop', at(ms))).toBe(true);
        expect
          .soft(await h.store.describe(workflowId))
          .toMatchObject({ runId: latest, status: 'terminated' });
        expect.soft(await h.store.describe(workflowId, runId)).toMatchObject({ status: 'continued' });
        await h.store.removeWorker(`worker-${workflowId}`);
      });
    }

    it('writes nothing (unread) when input arrived since its inbox was read; hands it on when retried', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const lease = await h.claimOne(type);
      const { version } = await h.store.readInbox(runId);
      await h.store.enqueue(workflowId, { kind: 'signal', name: 'late', payload: 1 }, at(1));
      const request = {
        ...lease,
        now: at(2),
        events: [event(1, 2, { type: 'workflow_continued_as_new', input: null })],
        consumedInbox: [],
        newRunId: randomUUID(),
        input: null,
      };
      expect(await h.store.continueAsNew({ ...request, inboxVersion: version })).toBe('unread');
      expect(await h.store.describe(workflowId)).toMatchObject({
        runId,
        status: 'running',
        historyLength: 1,
      });
      const current = (await h.store.readInbox(runId)).version;
      expect(await h.store.continueAsNew({ ...request, inboxVersion: current })).toBe('ok');
      const inbox = await h.store.readInbox(request.newRunId);
      expect(inbox.items.map((i) => i.name)).toEqual(['late']);
    });

    it('hands the successor the signals its code never took first, then its unread inbox, in order', async () => {
      const type = await h.type();
      const { workflowId, runId } = await h.start(type);
      const lease = await h.claimOne(type);
      await h.store.enqueue(workflowId, { kind: 'signal', name: 'later', payload: 3 }, at(1));
      const newRunId = randomUUID();
      const outcome = await h.store.continueAsNew({
        ...lease,
        now: at(2),
        events: [event(1, 2, { type: 'workflow_continued_as_new', input: null })],
        consumedInbox: [],
        inboxVersion: (await h.store.readInbox(runId)).version,
        carriedSignals: [
          { name: 'taken-late', payload: 1 },
          { name: 'taken-late', payload: { n: 2 } },
        ],
        newRunId,
        input: null,
      });
      expect(outcome).toBe('ok');
      const inbox = await h.store.readInbox(newRunId);
      expect(inbox.items.map((i) => [i.kind, i.name, i.payload])).toEqual([
        ['signal', 'taken-late', 1],
        ['signal', 'taken-late', { n: 2 }],
        ['signal', 'later', 3],
      ]);
    });

    it('is fenced: a stale lease continues nothing', async () => {
      const type = await h.type();
      const { workflowId } = await h.start(type);
      const lease = await h.claimOne(type);
      const outcome = await h.store.continueAsNew({
        ...lease,
        inboxVersion: (await h.store.readInbox(lease.runId)).version,
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
