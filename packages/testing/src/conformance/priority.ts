import { describe, expect } from 'vitest';
import { at, type Harness } from './harness.ts';

const MINUTE = 60_000;

/** Priority: claims take ready runs in order of readiness less a minute per priority level. */
export function priorityBehaviour(h: Harness): void {
  const { it } = h;
  const startWith = async (type: string, priority: number, ms: number) =>
    (await h.start(type, { now: at(ms), readyAt: at(ms), input: null, priority })).runId;

  describe('priority', () => {
    it('claims a higher priority first, ahead of runs ready up to a minute per level sooner', async () => {
      const type = await h.type();
      const low = await startWith(type, 0, 0);
      const high = await startWith(type, 10, 9 * MINUTE);
      const middle = await startWith(type, 5, 4 * MINUTE);
      const claimed = await h.store.claim('w', [type], 10, at(20 * MINUTE), 30_000);
      expect(claimed.map((c) => c.runId)).toEqual([high, middle, low]);
    });

    it('a run that has waited longer than its lower priority is worth goes first (ageing)', async () => {
      const type = await h.type();
      const old = await startWith(type, 0, 0);
      const newer = await startWith(type, 10, 11 * MINUTE);
      const claimed = await h.store.claim('w', [type], 1, at(20 * MINUTE), 30_000);
      expect(claimed.map((c) => c.runId)).toEqual([old]);
      expect((await h.store.claim('w', [type], 1, at(20 * MINUTE), 30_000)).map((c) => c.runId)).toEqual([
        newer,
      ]);
    });

    it('priority never makes a run claimable before its time, and describe shows it', async () => {
      const type = await h.type();
      const { workflowId } = await h.start(type, { readyAt: at(MINUTE), priority: 10 });
      expect(await h.store.claim('w', [type], 1, at(MINUTE - 1), 30_000)).toEqual([]);
      expect((await h.store.describe(workflowId))?.priority).toBe(10);
      expect(await h.store.claim('w', [type], 1, at(MINUTE), 30_000)).toHaveLength(1);
    });

    it("a child takes its parent's priority unless its start gives one, 0 included", async () => {
      const type = await h.type();
      await h.start(type, { priority: 7 });
      const parent = await h.claimOne(type);
      const child = async (cmd: number, priority?: number) => {
        const parentLink = {
          runId: parent.runId,
          cmd,
          closePolicy: 'abandon' as const,
          fencingToken: parent.fencingToken,
        };
        const { workflowId } = await h.start(type, { parent: parentLink, newRun: true, priority });
        return (await h.store.describe(workflowId))?.priority;
      };
      expect(await child(1)).toBe(7);
      expect(await child(2, 3)).toBe(3);
      expect(await child(3, 0)).toBeUndefined();
    });
  });
}
