import { fileURLToPath } from 'node:url';
import { replayHistories } from '@reel/testing';
import { expect, it } from 'vitest';
import { chargeCard, refund, ship } from './activities.ts';
import { orderWorkflow } from './workflows.ts';

// Golden histories recorded from this example (record-histories.ts): the current code must replay
// every one of them, or runs started by the deployed version would break.
it('replays every golden history of the order example', async () => {
  const dir = fileURLToPath(new URL('./histories', import.meta.url));
  // The registry gives the names history records (chargeCard is an arrow function with no name).
  const files = await replayHistories(dir, { orderWorkflow }, { activities: { chargeCard, refund, ship } });
  expect(files).toEqual(['approval-timeout.json', 'approved.json', 'card-declined.json', 'rejected.json']);
});
