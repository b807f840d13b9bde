import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import { at, event, type Harness } from './harness.ts';

/** How a run leads to the others: a child to its parent, a workflow id to its runs. */
export function runLinkBehaviour(h: Harness): void {
  const { it } = h;
  describe('run links', () => {
    it("describe and list of a child name its parent's run and workflow id", async () => {
      const type = await h.type();
      const { parent, childId } = await startChild(h, type);
      expect(await h.store.describe(childId)).toMatchObject({
        parentRunId: parent.runId,
        parentWorkflowId: parent.workflowId,
      });
      const listed = (await h.store.list({ type })).items.find((d) => d.workflowId === childId);
      expect(listed).toMatchObject({ parentRunId: parent.runId, parentWorkflowId: parent.workflowId });
      expect((await h.store.describe(parent.workflowId))?.parentWorkflowId).toBeUndefined();
    });

    it('listRuns gives the runs of a workflow id, the latest first, at most limit', async () => {
      const type = await h.type();
      const { workflowId, runId: first } = await h.start(type, { now: at(5) });
      const lease = await h.claimOne(type, at(6));
      const second = randomUUID();
      expect(
        await h.store.continueAsNew({
          ...lease,
          inboxVersion: (await h.store.readInbox(first)).version,
          // The successor is stamped before its predecessor: a clock behind does not reorder them.
          now: at(1),
          events: [event(1, 1, { type: 'workflow_continued_as_new', input: null })],
          consumedInbox: [],
          newRunId: second,
          input: null,
        }),
      ).toBe('ok');
      const runs = await h.store.listRuns(workflowId, 10);
      expect(runs.map((r) => [r.runId, r.status])).toEqual([
        [second, 'running'],
        [first, 'continued'],
      ]);
      expect(runs[0]).toEqual(await h.store.describe(workflowId));
      expect((await h.store.listRuns(workflowId, 1)).map((r) => r.runId)).toEqual([second]);
      expect(await h.store.listRuns(h.id('missing'), 10)).toEqual([]);
    });
  });
}

/** A parent run, held by a worker, and a child it started. */
async function startChild(h: Harness, type: string) {
  const parent = await h.start(type);
  const lease = await h.claimOne(type);
  const childId = h.id('child');
  await h.store.start({
    workflowId: childId,
    runId: randomUUID(),
    type,
    input: null,
    now: at(1),
    newRun: true,
    parent: { runId: parent.runId, cmd: 0, closePolicy: 'abandon', fencingToken: lease.fencingToken },
  });
  return { parent, childId };
}
