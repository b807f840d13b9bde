import type { WorkflowContext } from '@reel/sdk';
import { createInvoice, fetchOrders, renderPdf, sendInvoiceEmail } from './activities.ts';

/** The workflow input: whose invoice, and for which month ('2026-03'). */
export interface InvoiceRequest {
  customerId: string;
  month: string;
}

export interface InvoiceResult {
  invoiceId: string;
  totalCents: number;
  pdfUrl: string;
}

/**
 * Fetches a customer's orders of the month, creates the invoice, renders it as a PDF and emails
 * it. Each step retries with backoff (see activities.ts); a step that fails for good fails the
 * run, which then shows in the dead-letter list (dead-letters.ts) until it is retried.
 */
export async function invoicePipeline(ctx: WorkflowContext, request: InvoiceRequest): Promise<InvoiceResult> {
  const orders = await ctx.activity(fetchOrders, request.customerId, request.month);
  const invoice = await ctx.activity(createInvoice, request.customerId, request.month, orders);
  const pdfUrl = await ctx.activity(renderPdf, invoice);
  await ctx.activity(sendInvoiceEmail, request.customerId, invoice.id, pdfUrl);
  return { invoiceId: invoice.id, totalCents: invoice.totalCents, pdfUrl };
}

/** What `reel dev --workflows examples/invoice-pipeline/workflows.ts` and `reel worker` run. */
export const workflows = { invoicePipeline };
export const activities = { fetchOrders, createInvoice, renderPdf, sendInvoiceEmail };
