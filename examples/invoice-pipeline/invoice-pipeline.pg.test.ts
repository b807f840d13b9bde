import { Client } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { Worker } from '@reel/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { billing, pdfRenderer } from './activities.ts';
import { listDeadLetters, retryDeadLetter } from './dead-letters.ts';
import { activities, invoicePipeline, workflows } from './workflows.ts';

// On a real Postgres with a real worker: an invoice, and a dead letter retried by a reset;
// invoice-pipeline.test.ts covers every path.
const db = useTestDatabase();
let worker: Worker;
let client: Client;

beforeAll(async () => {
  worker = await Worker.create({
    connectionString: db.connectionString,
    workflows,
    activities,
    handleSignals: false,
  });
  void worker.run();
  client = new Client({ connectionString: db.connectionString });
});

afterAll(async () => {
  pdfRenderer.maxLines = 20;
  await worker?.shutdown();
  await client?.close();
});

it('invoices a customer, and retries a failed invoice from the dead-letter list', async () => {
  const ok = await client.start(invoicePipeline, { customerId: 'acme', month: '2026-05' });
  const big = await client.start(
    invoicePipeline,
    { customerId: 'bigco', month: '2026-05' },
    { id: 'inv-big' },
  );
  expect(await ok.result()).toMatchObject({ invoiceId: 'INV-acme-2026-05' });
  await expect(big.result()).rejects.toMatchObject({ code: 'REEL_WORKFLOW_FAILED' });
  const created = billing.created;

  const letters = await listDeadLetters(client, 'invoicePipeline');
  expect(letters.map((l) => [l.workflowId, l.step])).toEqual([['inv-big', 'renderPdf']]);
  pdfRenderer.maxLines = 50;
  const retried = await retryDeadLetter(client, letters[0] as (typeof letters)[number]);

  expect(await retried.result()).toMatchObject({ invoiceId: 'INV-bigco-2026-05' });
  expect(billing.created).toBe(created); // the invoice the failed run created was kept
  expect(await listDeadLetters(client, 'invoicePipeline')).toEqual([]);
});
