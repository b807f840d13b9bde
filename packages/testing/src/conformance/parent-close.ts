import { randomUUID } from 'node:crypto';
import type { ClaimedRun, ParentClosePolicy } from '@reel/sdk';
import { describe, expect } from 'vitest';
import { at, event, type Harness } from './harness.ts';

/**
 * A run's close applies its children's parent-close policy in the same write, however it closes
 * (its own close, continue-as-new, terminate): no crash can come between the two.
 */
export function parentCloseBehaviour(h: Harness): void {
  const { it } = h;

  /** A child of `parent` (held by it, at command `cmd`) under `policy`; returns its workflow id and run. */
  async function child(parent: ClaimedRun, cmd: number, policy: ParentClosePolicy, type: string) {
    const workflowId = h.id(`child-${policy}`);
    const started = await h.store.start({
      workflowId,
      runId: randomUUID(),
      type,
      input: null,
      now: at(1),
      newRun: true,
      parent: { runId: parent.runId, cmd, closePolicy: policy, fencingToken: parent.fencingToken },
    });
    return { workflowId, runId: started.runId };
  }

  const closes: [string, (parent: ClaimedRun, workflowId: string) => Promise<unknown>][] = [
    [
      'its close',
      (parent) =>
        h.store.commit({
          ...parent,
          now: at(5),
          events: [event(1, 5, { type: 'workflow_completed', result: null })],
          consumedInbox: [],
          close: { inboxVersion: 0, status: 'completed', result: null },
        }),
    ],
    [
      'continue-as-new',
      async (parent) =>
        h.store.continueAsNew({
          ...parent,
          inboxVersion: (await h.store.readInbox(parent.runId)).version,
          now: at(5),
          events: [event(1, 5, { type: 'workflow_continued_as_new', input: null })],
          consumedInbox: [],
          newRunId: randomUUID(),
          input: null,
        }),
    ],
    ['terminate', (_parent, workflowId) => h.store.terminate(workflowId, 'stop', at(5))],
  ];

  describe('parent-close policy', () => {
    for (const [how, close] of closes) {
      it(`${how} terminates, cancels or leaves each open child by its policy, to any depth`, async () => {
        const type = await h.type();
        const { workflowId } = await h.start(type);
        const parent = await h.claimOne(type);
        const childType = await h.type();
        const doomedType = await h.type(); // claimed alone below
        const doomed = await child(parent, 0, 'terminate', doomedType);
        const asked = await child(parent, 1, 'requestCancel', childType);
        const left = await child(parent, 2, 'abandon', childType);
        // The terminated child's own children: one under terminate, one under requestCancel.
        const doomedRun = await h.claimOne(doomedType, at(2));
        expect(doomedRun.runId).toBe(doomed.runId);
        const grandType = await h.type();
        const grandDoomed = await child(doomedRun, 0, 'terminate', grandType);
        const grandAsked = await child(doomedRun, 1, 'requestCancel', grandType);

        await close(parent, workflowId);

        for (const run of [doomed, grandDoomed]) {
          expect(await h.store.describe(run.workflowId)).toMatchObject({
            status: 'terminated',
            error: { name: 'WorkflowTerminatedError' },
          });
          expect((await h.store.loadHistory(run.runId)).at(-1)?.type).toBe('workflow_terminated');
        }
        // The terminated child's holder is fenced out.
        expect(await h.store.renew([doomedRun], at(6), 30_000)).toEqual([doomedRun.runId]);
        for (const run of [asked, grandAsked]) {
          expect((await h.store.describe(run.workflowId))?.status).toBe('running');
          const inbox = await h.store.readInbox(run.runId);
          expect(inbox.items.map((i) => [i.kind, i.payload])).toEqual([['cancel', 'its parent closed']]);
        }
        expect((await h.store.describe(left.workflowId))?.status).toBe('running');
        expect((await h.store.readInbox(left.runId)).items).toEqual([]);
      });
    }
  });
}
