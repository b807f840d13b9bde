// Records the golden histories in ./histories from the example, on the time-skipping test
// environment: `pnpm --filter @reel/example-invoice-pipeline record-histories`. Run it after a
// deliberate change of the workflow; histories.test.ts replays them against the current code in CI.
import { writeFile } from 'node:fs/promises';
import type { WorkflowHistory } from '@reel/sdk';
import { createTestEnv } from '@reel/testing';
import { pdfRenderer } from './activities.ts';
import { listDeadLetters, retryDeadLetter } from './dead-letters.ts';
import { activities, invoicePipeline, workflows } from './workflows.ts';

await using env = await createTestEnv({ workflows, activities, startTime: '2026-01-05T09:00:00Z' });

async function save(name: string, history: WorkflowHistory): Promise<void> {
  await writeFile(
    new URL(`./histories/${name}.json`, import.meta.url),
    `${JSON.stringify(history, null, 2)}\n`,
  );
  console.log(`recorded histories/${name}.json (${history.events.length} events)`);
}

const ok = await env.client.start(
  invoicePipeline,
  { customerId: 'acme', month: '2026-01' },
  { id: 'invoice-ok' },
);
await ok.result();
await save('invoiced', await env.client.history(ok.id));

// A run that fails for good (the invoice is too long for the template), then its retry by a reset.
const big = await env.client.start(
  invoicePipeline,
  { customerId: 'bigco', month: '2026-01' },
  { id: 'invoice-big' },
);
await big.result().catch(() => undefined);
const [letter] = await listDeadLetters(env.client, 'invoicePipeline');
if (!letter) throw new Error('The failed run is not in the dead-letter list.');
await save('dead-letter', await env.client.history(big.id, { runId: letter.runId }));
pdfRenderer.maxLines = 50;
const retried = await retryDeadLetter(env.client, letter);
await retried.result();
await save('retried', await env.client.history(big.id));
