import { useTestDatabase, useTestWorker } from '@reel/testing/vitest';
import { afterAll, expect, it } from 'vitest';
import { billing, pdfRenderer } from './activities.ts';
import { listDeadLetters, retryDeadLetter } from './dead-letters.ts';
import { activities, invoicePipeline, workflows } from './workflows.ts';

// On a real Postgres with a real worker: an invoice, and a dead letter retried by a reset;
// invoice-pipeline.test.ts covers every path.
const db = useTestDatabase();
const reel = useTestWorker(db, { workflows, activities });

afterAll(() => {
  pdfRenderer.maxLines = 20;
});

it('invoices a customer, and retries a failed invoice from the dead-letter list', async () => {
  const ok = await reel.client.start(invoicePipeline, { customerId: 'acme', month: '2026-05' });
  const big = await reel.client.start(
    invoicePipeline,
    { customerId: 'bigco', month: '2026-05' },
    { id: 'inv-big' },
  );
  expect(await ok.result()).toMatchObject({ invoiceId: 'INV-acme-2026-05' });
  await expect(big.result()).rejects.toMatchObject({ code: 'REEL_WORKFLOW_FAILED' });
  const created = billing.created;

  const letters = await listDeadLetters(reel.client, 'invoicePipeline');
  expect(letters.map((l) => [l.workflowId, l.step])).toEqual([['inv-big', 'renderPdf']]);
  pdfRenderer.maxLines = 50;
  const retried = await retryDeadLetter(reel.client, letters[0] as (typeof letters)[number]);

  expect(await retried.result()).toMatchObject({ invoiceId: 'INV-bigco-2026-05' });
  expect(billing.created).toBe(created); // the invoice the failed run created was kept
  expect(await listDeadLetters(reel.client, 'invoicePipeline')).toEqual([]);
});
