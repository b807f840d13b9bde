import type { Client } from '@reel/sdk';
import { createTestEnv } from '@reel/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { billing, pdfRenderer, renderPdf, sentEmails } from './activities.ts';
import { type DeadLetter, listDeadLetters, retryDeadLetter } from './dead-letters.ts';
import { activities, invoicePipeline, workflows } from './workflows.ts';

afterEach(() => {
  pdfRenderer.maxLines = 20;
  pdfRenderer.down = false;
});

/** The activities a run called after its last reset point, in order, read from its history. */
async function stepsOf(client: Client, workflowId: string): Promise<string[]> {
  const { events } = await client.history(workflowId);
  const from = events.findLastIndex((e) => e.type === 'reset_point');
  return events.slice(from + 1).flatMap((e) => (e.type === 'activity_scheduled' ? [e.name] : []));
}

describe('invoicePipeline', () => {
  it('fetches the orders, creates the invoice, renders it and emails it', async () => {
    await using env = await createTestEnv({ workflows, activities });
    const handle = await env.client.start(invoicePipeline, { customerId: 'acme', month: '2026-01' });

    expect(await handle.result()).toEqual({
      invoiceId: 'INV-acme-2026-01',
      totalCents: 6_000,
      pdfUrl: 'https://files.example/invoices/INV-acme-2026-01.pdf',
    });
    expect(sentEmails).toContainEqual({
      customerId: 'acme',
      invoiceId: 'INV-acme-2026-01',
      pdfUrl: 'https://files.example/invoices/INV-acme-2026-01.pdf',
    });
    expect(await stepsOf(env.client, handle.id)).toEqual([
      'fetchOrders',
      'createInvoice',
      'renderPdf',
      'sendInvoiceEmail',
    ]);
  });

  it('retries a renderer that is down with backoff, in virtual time', async () => {
    let attempts = 0;
    await using env = await createTestEnv({
      workflows,
      activities,
      mocks: new Map([
        [
          renderPdf,
          async (invoice: Parameters<typeof renderPdf>[0]) => {
            pdfRenderer.down = ++attempts <= 3; // down for three attempts
            return renderPdf(invoice);
          },
        ],
      ]),
    });
    const started = env.now().getTime();
    const handle = await env.client.start(invoicePipeline, { customerId: 'acme', month: '2026-02' });

    expect(await handle.result()).toMatchObject({ invoiceId: 'INV-acme-2026-02' });
    expect(attempts).toBe(4);
    expect(env.now().getTime() - started).toBe(1_000 + 2_000 + 4_000); // exponential backoff
  });

  it('lists a run that failed for good as a dead letter, and retries it without a second invoice', async () => {
    await using env = await createTestEnv({ workflows, activities });
    await env.client.start(invoicePipeline, { customerId: 'acme', month: '2026-03' }, { id: 'invoice-ok' });
    const big = await env.client.start(
      invoicePipeline,
      { customerId: 'bigco', month: '2026-03' },
      { id: 'invoice-bigco-2026-03' },
    );
    await expect(big.result()).rejects.toMatchObject({ code: 'REEL_WORKFLOW_FAILED' });
    const created = billing.created;

    const letters = await listDeadLetters(env.client, 'invoicePipeline');
    expect(letters).toEqual([
      // the completed run is not listed
      expect.objectContaining({
        workflowId: 'invoice-bigco-2026-03',
        step: 'renderPdf',
        error: expect.stringContaining('has 30 lines; the template holds 20'),
      }),
    ]);

    pdfRenderer.maxLines = 50; // the fix: a template for long invoices
    const retried = await retryDeadLetter(env.client, letters[0] as DeadLetter);
    expect(await retried.result()).toMatchObject({ invoiceId: 'INV-bigco-2026-03', totalCents: 465_000 });

    // The orders and the invoice were kept from the failed run: only the failed step and the rest ran.
    expect(await stepsOf(env.client, 'invoice-bigco-2026-03')).toEqual(['renderPdf', 'sendInvoiceEmail']);
    expect(billing.created).toBe(created);
    expect(await listDeadLetters(env.client, 'invoicePipeline')).toEqual([]);
  });

  it('lists a run whose step failed every attempt, once its backoff ran out', async () => {
    pdfRenderer.down = true;
    await using env = await createTestEnv({ workflows, activities });
    const started = env.now().getTime();
    const handle = await env.client.start(invoicePipeline, { customerId: 'acme', month: '2026-04' });

    await expect(handle.result()).rejects.toMatchObject({
      failure: { message: expect.stringContaining('503') },
    });
    expect(env.now().getTime() - started).toBe(1_000 + 2_000 + 4_000 + 8_000); // 5 attempts
    expect(await listDeadLetters(env.client, 'invoicePipeline')).toEqual([
      expect.objectContaining({ workflowId: handle.id, step: 'renderPdf' }),
    ]);
  });
});
