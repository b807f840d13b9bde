import { randomUUID } from 'node:crypto';
import { ErrorCodes, ReelError, type WorkflowDescription } from '@reel/sdk';
import { describe, expect } from 'vitest';
import { at, type Harness, LEASE } from './harness.ts';

/** describe() of one run, list() of many: filters, order, pagination. */
export function describeListBehaviour(h: Harness): void {
  const { it } = h;
  describe('describe and list', () => {
    it('describe of an unknown workflow id is undefined', async () => {
      expect(await h.store.describe(h.id('missing'))).toBeUndefined();
      expect(await h.store.describe(h.id('missing'), randomUUID())).toBeUndefined();
    });

    it('describe with a run id gives that run, and nothing for a run of another workflow', async () => {
      const type = await h.type();
      const a = await h.start(type);
      const b = await h.start(type);
      expect((await h.store.describe(a.workflowId, a.runId))?.runId).toBe(a.runId);
      expect(await h.store.describe(a.workflowId, b.runId)).toBeUndefined();
      expect(await h.store.describe(a.workflowId, randomUUID())).toBeUndefined();
    });

    it('lists newest first by creation time, whatever the order of the starts', async () => {
      const type = await h.type();
      const middle = await h.start(type, { now: at(2000) });
      const newest = await h.start(type, { now: at(3000) });
      const oldest = await h.start(type, { now: at(1000) });
      const { items, nextCursor } = await h.store.list({ type });
      expect(items.map((d) => d.runId)).toEqual([newest.runId, middle.runId, oldest.runId]);
      expect(nextCursor).toBeUndefined();
    });

    it('lists what describe gives', async () => {
      const type = await h.type();
      const { workflowId } = await h.start(type, { input: { zeta: 1, alpha: 2 } });
      const lease = await h.claimOne(type);
      await h.store.park(lease, { name: 'Error', message: 'stuck' }, at(1), at(LEASE));
      expect((await h.store.list({ type })).items).toEqual([await h.store.describe(workflowId)]);
    });

    it('filters by one status, several statuses and type', async () => {
      const type = await h.type();
      const other = await h.type();
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push(await h.start(type, { now: at(i) }));
      await h.start(other);
      const [toComplete, toFail] = await h.store.claim('w', [type], 2, at(10), LEASE - 10);
      if (!toComplete || !toFail) throw new Error('expected two claims');
      await h.store.commit({
        ...toComplete,
        now: at(11),
        events: [],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'completed' },
      });
      const error = { name: 'Error', message: 'boom' };
      await h.store.commit({
        ...toFail,
        now: at(11),
        events: [],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'failed', error },
      });
      const toPark = await h.claimOne(type, at(12));
      await h.store.park(toPark, error, at(13), at(LEASE));

      const ids = async (filter: Parameters<typeof h.store.list>[0]) =>
        new Set((await h.store.list(filter)).items.map((d: WorkflowDescription) => d.runId));
      expect(await ids({ type, status: 'completed' })).toEqual(new Set([toComplete.runId]));
      expect(await ids({ type, status: ['completed', 'failed'] })).toEqual(
        new Set([toComplete.runId, toFail.runId]),
      );
      expect(await ids({ type, status: 'parked' })).toEqual(new Set([toPark.runId]));
      expect((await ids({ type, status: 'running' })).size).toBe(2);
      expect((await ids({ type, status: ['running', 'parked'] })).size).toBe(3);
      expect(await ids({ type, status: 'cancelled' })).toEqual(new Set());
      expect(await ids({ type, status: [] })).toEqual(new Set());
      expect(await ids({ type })).toEqual(new Set(runs.map((r) => r.runId)));
      const others = (await h.store.list({ type: other })).items;
      expect(others.map((d) => d.type)).toEqual([other]);
    });

    it('paginates with nextCursor, newest first, without overlap or gaps, ties in createdAt included', async () => {
      const type = await h.type();
      const started: string[] = [];
      // Pairs share a createdAt, so the cursor has to break ties.
      for (let i = 0; i < 7; i++)
        started.push((await h.start(type, { now: at(Math.floor(i / 2) * 1000) })).runId);

      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await h.store.list({ type, limit: 3, cursor });
        sizes.push(page.items.length);
        seen.push(...page.items.map((d) => d.runId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(sizes).toEqual([3, 3, 1]);
      expect(seen).toHaveLength(7);
      expect(new Set(seen)).toEqual(new Set(started));
      expect((await h.store.list({ type, limit: 100 })).items.map((d) => d.runId)).toEqual(seen);
      const created = (await h.store.list({ type })).items.map((d) => d.createdAt.getTime());
      expect(created).toEqual([...created].sort((x, y) => y - x));
    });

    it('gives no nextCursor on a last page that is exactly full, and defaults to 50 a page', async () => {
      const type = await h.type();
      for (let i = 0; i < 52; i++) await h.start(type, { now: at(i) });
      const first = await h.store.list({ type });
      expect(first.items).toHaveLength(50);
      const second = await h.store.list({ type, cursor: first.nextCursor });
      expect(second.items).toHaveLength(2);
      expect(second.nextCursor).toBeUndefined();
      const exact = await h.store.list({ type, limit: 26 });
      const rest = await h.store.list({ type, limit: 26, cursor: exact.nextCursor });
      expect(rest.items).toHaveLength(26);
      expect(rest.nextCursor).toBeUndefined();
    });

    it('a cursor keeps its place when runs are added after it', async () => {
      const type = await h.type();
      for (let i = 0; i < 4; i++) await h.start(type, { now: at(i * 1000) });
      const first = await h.store.list({ type, limit: 2 });
      await h.start(type, { now: at(10_000) });
      const second = await h.store.list({ type, limit: 2, cursor: first.nextCursor });
      expect(second.items.map((d) => d.createdAt)).toEqual([at(1000), at(0)]);
    });

    const badCursors: [string, string][] = [
      ['garbage', 'not a cursor'],
      ['empty', ''],
      ['base64 of a number', Buffer.from('12').toString('base64url')],
      ['base64 of other JSON', Buffer.from(JSON.stringify({ after: 1 })).toString('base64url')],
      ['a bad date', Buffer.from(JSON.stringify(['yesterday', randomUUID()])).toString('base64url')],
    ];
    for (const [what, cursor] of badCursors) {
      it(`a malformed cursor (${what}) throws REEL_INVALID_ARGUMENT`, async () => {
        const type = await h.type();
        await h.start(type);
        const error = await h.store.list({ type, cursor }).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(ReelError);
        expect((error as ReelError).code).toBe(ErrorCodes.INVALID_ARGUMENT);
      });
    }
  });
}
