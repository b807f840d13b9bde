import { describe, expect } from 'vitest';
import { at, type Harness } from './harness.ts';

/** Queries posted for live workers: claimed by one; those no worker claimed can be found again. */
export function queryBehaviour(h: Harness): void {
  const { it } = h;
  describe('queries', () => {
    it('lists the queries of the given types that no worker claimed, oldest first, until one claims them', async () => {
      const [type, other] = [await h.type(), await h.type()];
      const worker = `worker-${h.id()}`;
      await h.store.heartbeat(worker, [type, other], at(1));
      const post = async (t: string) => {
        const { workflowId, runId } = await h.start(t);
        const posted = await h.store.postQuery(workflowId, 'state', [], at(1), at(0));
        if (typeof posted !== 'object') throw new Error(`the query was not posted: ${posted}`);
        return { runId, queryId: posted.queryId };
      };
      const first = await post(type);
      const second = await post(type);
      await post(other);
      expect(await h.store.unclaimedQueries([type])).toEqual([first, second]);
      expect(await h.store.claimQuery(first.queryId, worker, [type])).toMatchObject({ runId: first.runId });
      expect(await h.store.unclaimedQueries([type])).toEqual([second]);
      expect(await h.store.unclaimedQueries([])).toEqual([]);
      await h.store.removeWorker(worker);
    });
  });
}
