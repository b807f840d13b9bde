import { randomUUID } from 'node:crypto';
import type { Json, RecordedEvent } from '@reel/sdk';
import { describe, expect } from 'vitest';
import { at, event, type Harness, LEASE } from './harness.ts';

/** Strings in payloads, where they are JSON (ids and names are plain text, checked by the client). */
const AWKWARD_STRINGS: [string, string][] = [
  ['a NUL character', 'nul \u0000 inside'],
  ['a lone surrogate', 'lone surrogate \ud800 and \udfff'],
  ['quotes, backslashes and braces', 'quotes " and \\ backslash {a,b} NULL \\u0000'],
  ['non-ASCII text and control characters', 'ünïcödé 🎉 \n\t\r\u001f'],
];

/** History is append-only and gap-free; what goes in comes back exactly. */
export function historyBehaviour(h: Harness): void {
  const { it } = h;
  describe('history append rules', () => {
    it('a commit with the current token appends its events in order', async () => {
      const lease = await h.startClaimed();
      const events = [
        event(1, 10, { type: 'activity_scheduled', cmd: 1, name: 'charge', args: [42] }),
        event(2, 20, { type: 'activity_completed', cmd: 1, result: 'paid' }),
        event(3, 30, { type: 'timer_started', cmd: 3, fireAt: at(LEASE).toISOString() }),
      ];
      expect(await h.store.commit({ ...lease, now: at(30), events, consumedInbox: [] })).toBe('ok');
      expect(await h.store.commit({ ...lease, now: at(40), events: [], consumedInbox: [] })).toBe('ok');
      expect(await h.store.commit({ ...lease, now: at(50), events: [event(4, 50)], consumedInbox: [] })).toBe(
        'ok',
      );

      const history = await h.store.loadHistory(lease.runId);
      expect(history.slice(1)).toEqual([...events, event(4, 50)]);
      expect(await h.store.loadHistory(lease.runId)).toEqual(history);
      // A reader that has seen up to seq 2 gets only the events after it.
      expect(await h.store.loadHistory(lease.runId, 2)).toEqual(history.slice(3));
      expect(await h.store.loadHistory(lease.runId, 4)).toEqual([]);
      // A page: the events between two positions, either bound alone too.
      expect(await h.store.loadHistory(lease.runId, 1, 4)).toEqual(history.slice(2, 4));
      expect(await h.store.loadHistory(lease.runId, undefined, 2)).toEqual(history.slice(0, 2));
      expect(await h.store.loadHistory(lease.runId, 3, 100)).toEqual(history.slice(4));
      const described = await h.store.describe(lease.workflowId);
      expect(described).toMatchObject({ historyLength: 5 });
      expect(described?.updatedAt).toEqual(at(50));
    });

    it('events come back whole whatever their fields: none, or written by the store itself', async () => {
      const lease = await h.startClaimed();
      const events = [event(1, 10, { type: 'retry_requested' }), event(2, 20, { type: 'cancel_requested' })];
      expect(await h.store.commit({ ...lease, now: at(20), events, consumedInbox: [] })).toBe('ok');
      expect(await h.store.terminate(lease.workflowId, 'no longer wanted', at(30))).toBe(true);
      const history = await h.store.loadHistory(lease.runId);
      expect(history.slice(1, 3)).toEqual(events);
      expect(history[3]).toEqual({
        type: 'workflow_terminated',
        reason: 'no longer wanted',
        seq: 3,
        at: at(30).toISOString(),
      });
    });

    it('loadHistory of an unknown run is empty', async () => {
      expect(await h.store.loadHistory(randomUUID())).toEqual([]);
    });

    const badSeqs: [string, RecordedEvent[]][] = [
      ['already recorded', [event(1, 5), event(1, 6)]],
      ['position 0 again', [event(0, 5)]],
      ['past the end (a gap)', [event(1, 5), event(3, 6)]],
      ['out of order', [event(2, 5), event(1, 6)]],
    ];
    for (const [what, events] of badSeqs) {
      it(`a commit with an event whose seq is ${what} throws and applies nothing`, async () => {
        const type = await h.type();
        const { workflowId, runId } = await h.start(type);
        await h.store.enqueue(workflowId, { kind: 'signal', name: 'go', payload: 1 }, at(1));
        const lease = await h.claimOne(type, at(2), LEASE - 2);
        const inbox = await h.store.readInbox(runId);
        const before = await h.store.describe(workflowId);

        await expect(
          h.store.commit({
            ...lease,
            now: at(3),
            events,
            consumedInbox: inbox.items.map((i) => i.id),
            close: { inboxVersion: 0, status: 'completed', result: 'done' },
          }),
        ).rejects.toThrow();

        expect((await h.store.loadHistory(runId)).map((e) => e.seq)).toEqual([0]);
        expect(await h.store.readInbox(runId)).toEqual(inbox);
        expect(await h.store.describe(workflowId)).toEqual(before);
        // The lease is still held and the next position still free.
        expect(await h.claimable([type], at(LEASE - 1))).toEqual([]);
        expect(await h.store.commit({ ...lease, now: at(4), events: [event(1, 4)], consumedInbox: [] })).toBe(
          'ok',
        );
        expect((await h.store.loadHistory(runId)).map((e) => e.seq)).toEqual([0, 1]);
      });
    }
  });

  describe('payload round trip', () => {
    it('keeps object key order in inputs, events, inbox items and results', async () => {
      const payload = { zeta: 1, alpha: 2, nested: { y: [{ b: 1, a: 2 }], x: null } };
      const type = await h.type();
      const { workflowId, runId } = await h.start(type, { input: payload });
      await h.store.enqueue(workflowId, { kind: 'signal', name: 'data', payload }, at(1));
      const lease = await h.claimOne(type, at(2));
      const events = [event(1, 3, { type: 'activity_completed', cmd: 1, result: payload })];
      const close = { inboxVersion: 1, status: 'completed' as const, result: payload };
      expect(await h.store.commit({ ...lease, now: at(3), events, consumedInbox: [] })).toBe('ok');

      const [started, completed] = await h.store.loadHistory(runId);
      const described = await h.store.describe(workflowId);
      const signal = (await h.store.readInbox(runId)).items[0]?.payload;
      await h.store.commit({ ...lease, now: at(4), events: [], consumedInbox: [], close });
      const result = (await h.store.describe(workflowId))?.result;

      for (const value of [
        described?.input,
        (started as { input?: Json }).input,
        (completed as { result?: Json }).result,
        signal,
        result,
      ]) {
        expect(value).toEqual(payload);
        expect(JSON.stringify(value)).toBe(JSON.stringify(payload));
      }
    });

    for (const [what, text] of AWKWARD_STRINGS) {
      it(`keeps a string with ${what} in every payload`, async () => {
        const payload = { text, list: [text] };
        const type = await h.type();
        const { workflowId, runId } = await h.start(type, { input: payload });
        await h.store.enqueue(workflowId, { kind: 'signal', name: 'note', payload }, at(1));
        const lease = await h.claimOne(type, at(2));
        const events = [event(1, 3, { type: 'signal_received', name: 'note', payload })];
        expect(await h.store.commit({ ...lease, now: at(3), events, consumedInbox: [] })).toBe('ok');

        const history = await h.store.loadHistory(runId);
        expect(history[1]).toEqual(events[0]);
        expect(history[0]).toMatchObject({ input: payload });
        expect((await h.store.describe(workflowId))?.input).toEqual(payload);
        expect((await h.store.readInbox(runId)).items).toEqual([
          { id: expect.any(String), kind: 'signal', name: 'note', payload },
        ]);

        await h.store.commit({
          ...lease,
          now: at(4),
          events: [],
          consumedInbox: [],
          close: {
            inboxVersion: (await h.store.readInbox(runId)).version,
            status: 'completed',
            result: payload,
          },
        });
        expect((await h.store.describe(workflowId))?.result).toEqual(payload);
      });
    }

    const plainValues: [string, Json][] = [
      ['null', null],
      ['false', false],
      ['zero', 0],
      ['an empty string', ''],
      ['an empty array', []],
      ['an empty object', {}],
    ];
    for (const [what, value] of plainValues) {
      it(`keeps ${what} as an input and a result`, async () => {
        const type = await h.type();
        const { workflowId } = await h.start(type, { input: value });
        expect((await h.store.describe(workflowId))?.input).toEqual(value);
        const lease = await h.claimOne(type);
        await h.store.commit({
          ...lease,
          now: at(1),
          events: [],
          consumedInbox: [],
          close: { inboxVersion: 0, status: 'completed', result: value },
        });
        const described = await h.store.describe(workflowId);
        expect(described && 'result' in described).toBe(true);
        expect(described?.result).toEqual(value);
        expect((await h.store.list({ type })).items[0]?.result).toEqual(value);
      });
    }
  });
}
