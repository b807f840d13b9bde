import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import { at, type Harness, LEASE } from './harness.ts';

/** Debounced starts: a start joins the pending run of its type and key until a worker claims it. */
export function debounceBehaviour(h: Harness): void {
  const { it } = h;
  const startDebounced = (type: string, key: string, input: number, ms: number, period = 1000) =>
    h.store.start({
      workflowId: h.id(),
      runId: randomUUID(),
      type,
      input,
      now: at(ms),
      readyAt: at(ms + period),
      debounce: { key },
    });

  describe('debounce', () => {
    it('starts of a type and key join the pending run: the last input, claimable a period after the last', async () => {
      const type = await h.type();
      const first = await startDebounced(type, 'k', 1, 0);
      expect(first).toMatchObject({ created: true });
      const second = await startDebounced(type, 'k', 2, 500);
      const third = await startDebounced(type, 'k', 3, 900);
      for (const joined of [second, third])
        expect(joined).toMatchObject({ runId: first.runId, created: false });
      expect(third.workflowId).toEqual(second.workflowId);
      const workflowId = third.workflowId as string;
      expect(await h.store.describe(workflowId)).toMatchObject({ runId: first.runId, input: 3 });
      expect((await h.store.loadHistory(first.runId))[0]).toMatchObject({
        type: 'workflow_started',
        input: 3,
      });
      expect(await h.store.claim('w', [type], 10, at(1899), LEASE)).toEqual([]);
      expect((await h.store.claim('w', [type], 10, at(1900), LEASE)).map((c) => c.runId)).toEqual([
        first.runId,
      ]);
    });

    it('a start after a worker claimed the run, or of another key or type, starts a new run', async () => {
      const type = await h.type();
      const other = await h.type();
      const first = await startDebounced(type, 'k', 1, 0);
      expect(await startDebounced(type, 'k2', 1, 1)).toMatchObject({ created: true });
      expect(await startDebounced(other, 'k', 1, 2)).toMatchObject({ created: true });
      await h.claimOne(type, at(1000));
      const later = await startDebounced(type, 'k', 2, 1500);
      expect(later).toMatchObject({ created: true });
      expect(later.runId).not.toBe(first.runId);
    });
  });
}
