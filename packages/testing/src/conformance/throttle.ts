import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import { at, type Harness } from './harness.ts';

/** Throttled starts: a start within the period of its type and key's latest run returns that run. */
export function throttleBehaviour(h: Harness): void {
  const { it } = h;
  const startThrottled = (type: string, key: string, input: number, ms: number, periodMs = 1000) =>
    h.store.start({
      workflowId: h.id(),
      runId: randomUUID(),
      type,
      input,
      now: at(ms),
      throttle: { key, periodMs },
    });

  describe('throttle', () => {
    it('starts of a type and key within the period of its latest run return that run, the first input kept', async () => {
      const type = await h.type();
      const other = await h.type();
      const first = await startThrottled(type, 'k', 1, 0);
      expect(first).toMatchObject({ created: true });
      expect(await h.claimable([type], at(0))).toEqual([first.runId]);
      const again = await startThrottled(type, 'k', 2, 999);
      expect(again).toMatchObject({ runId: first.runId, created: false });
      expect(await h.store.describe(again.workflowId as string)).toMatchObject({ input: 1 });
      expect(await startThrottled(type, 'k2', 3, 500)).toMatchObject({ created: true });
      expect(await startThrottled(other, 'k', 4, 500)).toMatchObject({ created: true });
      // A period after the run's start, a new run starts; the next window is measured from it.
      const next = await startThrottled(type, 'k', 5, 1000);
      expect(next).toMatchObject({ created: true });
      expect(await startThrottled(type, 'k', 6, 1999)).toMatchObject({ runId: next.runId, created: false });
      // Each start's own period decides: a shorter one lets this start through.
      expect(await startThrottled(type, 'k', 7, 1999, 500)).toMatchObject({ created: true });
    });
  });
}
