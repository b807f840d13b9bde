import { setTimeout as delay } from 'node:timers/promises';
import { defineActivity, NonRetryableError } from '@reel/sdk';

// Fake external systems, in memory: the order database, the billing system, a PDF renderer and a
// mailer. Customer `acme` has 3 orders a month, `bigco` 30: more lines than the renderer's invoice
// template holds (`pdfRenderer.maxLines`), so its invoices fail until the template is fixed.

export interface Order {
  id: string;
  cents: number;
}

export interface Invoice {
  id: string;
  customerId: string;
  month: string;
  lines: Order[];
  totalCents: number;
}

/** The fake PDF renderer: how many lines its template holds, and whether it is down (503). */
export const pdfRenderer = { maxLines: 20, down: false };

/** Invoices the fake billing system holds, by id, and how many times one was created. */
export const billing = { invoices: new Map<string, Invoice>(), created: 0 };

/** Every invoice email sent, in order. */
export const sentEmails: { customerId: string; invoiceId: string; pdfUrl: string }[] = [];

const ordersPerMonth: Record<string, number> = { acme: 3, bigco: 30 };

// Every step is retried with exponential backoff (1 s, 2 s, 4 s, 8 s) before it fails for good.
const retried = {
  retry: { maxAttempts: 5, initialInterval: '1s' },
  startToCloseTimeout: '1 minute',
} as const;

/** Reads a customer's orders of `month` ('2026-03'). */
export const fetchOrders = defineActivity(async function fetchOrders(
  customerId: string,
  month: string,
): Promise<Order[]> {
  await delay(10);
  const count = ordersPerMonth[customerId];
  if (count === undefined) throw new NonRetryableError(`No customer ${customerId}.`);
  return Array.from({ length: count }, (_, i) => ({
    id: `${customerId}-${month}-${i + 1}`,
    cents: 1_000 * (i + 1),
  }));
}, retried);

/** Creates the month's invoice in billing; creating it again returns the same one. */
export const createInvoice = defineActivity(async function createInvoice(
  customerId: string,
  month: string,
  lines: Order[],
): Promise<Invoice> {
  await delay(10);
  const id = `INV-${customerId}-${month}`;
  const known = billing.invoices.get(id);
  if (known) return known;
  const invoice = { id, customerId, month, lines, totalCents: lines.reduce((sum, o) => sum + o.cents, 0) };
  billing.invoices.set(id, invoice);
  billing.created++;
  return invoice;
}, retried);

/**
 * Renders the invoice as a PDF; returns its URL. A renderer that is down is retried; an invoice
 * longer than the template fails at once, since no retry can fix it: only a new template can.
 */
export const renderPdf = defineActivity(async function renderPdf(invoice: Invoice): Promise<string> {
  await delay(20);
  if (pdfRenderer.down) throw new Error('503 Service Unavailable');
  if (invoice.lines.length > pdfRenderer.maxLines) {
    throw new NonRetryableError(
      `Invoice ${invoice.id} has ${invoice.lines.length} lines; the template holds ${pdfRenderer.maxLines}.`,
    );
  }
  return `https://files.example/invoices/${invoice.id}.pdf`;
}, retried);

/** Emails the invoice to the customer. */
export const sendInvoiceEmail = defineActivity(async function sendInvoiceEmail(
  customerId: string,
  invoiceId: string,
  pdfUrl: string,
): Promise<void> {
  await delay(10);
  sentEmails.push({ customerId, invoiceId, pdfUrl });
}, retried);
