import { fileURLToPath } from 'node:url';
import { replayHistories } from '@reel/testing';
import { expect, it } from 'vitest';
import { activities, workflows } from './workflows.ts';

// Golden histories recorded from this example (record-histories.ts): the current code must replay
// every one of them, or runs started by the deployed version would break.
it('replays every golden history of the payment-flow example', async () => {
  const dir = fileURLToPath(new URL('./histories', import.meta.url));
  const files = await replayHistories(dir, workflows, { activities });
  expect(files).toEqual(['cancelled.json', 'expired.json', 'fulfilled.json']);
});
