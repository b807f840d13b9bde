import { randomUUID } from 'node:crypto';
import type { StartRequest } from '@reel/sdk';
import { describe, expect } from 'vitest';
import { at, type Harness, LEASE } from './harness.ts';

/**
 * Debounced and throttled starts: a debounced start joins the pending run of its type and key until
 * a worker claims it; a throttled one returns the run of its type and key started within its period.
 */
export function coalescingBehaviour(h: Harness): void {
  const { it } = h;
  const PERIOD = 1000;
  /** A debounced start is claimable a period after it. */
  const debounce = (key: string) => (ms: number) => ({ debounce: { key }, readyAt: at(ms + PERIOD) });
  const throttle =
    (key: string, periodMs = PERIOD) =>
    () => ({ throttle: { key, periodMs } });
  const startKeyed = (
    type: string,
    option: (ms: number) => Partial<StartRequest>,
    input: number,
    ms: number,
  ) => h.store.start({ workflowId: h.id(), runId: randomUUID(), type, input, now: at(ms), ...option(ms) });

  describe('debounce', () => {
    it('starts of a type and key join the pending run: the last input, claimable a period after the last', async () => {
      const type = await h.type();
      const first = await startKeyed(type, debounce('k'), 1, 0);
      expect(first).toMatchObject({ created: true });
      const second = await startKeyed(type, debounce('k'), 2, 500);
      const third = await startKeyed(type, debounce('k'), 3, 900);
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

    it('with a maximum wait, starts that keep coming start the run that long after the first', async () => {
      const type = await h.type();
      const capped = (ms: number) => ({ debounce: { key: 'k', maxWaitMs: 2500 }, readyAt: at(ms + PERIOD) });
      const first = await startKeyed(type, capped, 1, 0);
      // Each start within a period of the one before: without the cap the run would wait for 3400.
      for (const [input, ms] of [
        [2, 800],
        [3, 1600],
        [4, 2400],
      ] as const)
        expect(await startKeyed(type, capped, input, ms)).toMatchObject({
          runId: first.runId,
          created: false,
        });
      expect(await h.store.claim('w', [type], 10, at(2499), LEASE)).toEqual([]);
      const [claimed] = await h.store.claim('w', [type], 10, at(2500), LEASE);
      expect(claimed?.runId).toBe(first.runId);
      expect((await h.store.loadHistory(first.runId))[0]).toMatchObject({ input: 4 });
    });

    it('a start after a worker claimed the run, or of another key or type, starts a new run', async () => {
      const type = await h.type();
      const other = await h.type();
      const first = await startKeyed(type, debounce('k'), 1, 0);
      expect(await startKeyed(type, debounce('k2'), 1, 1)).toMatchObject({ created: true });
      expect(await startKeyed(other, debounce('k'), 1, 2)).toMatchObject({ created: true });
      await h.claimOne(type, at(1000));
      const later = await startKeyed(type, debounce('k'), 2, 1500);
      expect(later).toMatchObject({ created: true });
      expect(later.runId).not.toBe(first.runId);
    });
  });

  describe('throttle', () => {
    it('starts of a type and key within the period of its latest run return that run, the first input kept', async () => {
      const type = await h.type();
      const other = await h.type();
      const first = await startKeyed(type, throttle('k'), 1, 0);
      expect(first).toMatchObject({ created: true });
      expect(await h.claimable([type], at(0))).toEqual([first.runId]);
      const again = await startKeyed(type, throttle('k'), 2, 999);
      expect(again).toMatchObject({ runId: first.runId, created: false });
      expect(await h.store.describe(again.workflowId as string)).toMatchObject({ input: 1 });
      expect(await startKeyed(type, throttle('k2'), 3, 500)).toMatchObject({ created: true });
      expect(await startKeyed(other, throttle('k'), 4, 500)).toMatchObject({ created: true });
      // A period after the run's start, a new run starts; the next window is measured from it.
      const next = await startKeyed(type, throttle('k'), 5, 1000);
      expect(next).toMatchObject({ created: true });
      expect(await startKeyed(type, throttle('k'), 6, 1999)).toMatchObject({
        runId: next.runId,
        created: false,
      });
      // Each start's own period decides: a shorter one lets this start through.
      expect(await startKeyed(type, throttle('k', 500), 7, 1999)).toMatchObject({ created: true });
    });
  });
}
