import { setTimeout as delay } from 'node:timers/promises';
import { defineActivity } from '@reel/sdk';

// Fake external systems: a billing system and a warehouse, kept in memory so that a test can read
// what was invoiced, shipped and cancelled.

/** An invoice in the fake billing system. */
export interface InvoiceRecord {
  customer: string;
  cents: number;
  status: 'open' | 'paid' | 'cancelled';
}

/** Invoices by id. */
export const invoices = new Map<string, InvoiceRecord>();

/** Orders shipped by the fake warehouse, by invoice id: the tracking number. */
export const shipments = new Map<string, string>();

/** Opens an invoice, once per id (a retry finds it open); returns the link the customer pays at. */
export const createInvoice = defineActivity(
  async function createInvoice(invoiceId: string, customer: string, cents: number): Promise<string> {
    await delay(10);
    if (!invoices.has(invoiceId)) invoices.set(invoiceId, { customer, cents, status: 'open' });
    return `https://pay.example.com/${invoiceId}`;
  },
  { startToCloseTimeout: '30s' },
);

/** Marks the invoice paid and ships the order, once per invoice; returns the tracking number. */
export async function fulfil(invoiceId: string): Promise<string> {
  await delay(10);
  const invoice = invoices.get(invoiceId);
  if (invoice) invoice.status = 'paid';
  const tracking = shipments.get(invoiceId) ?? `track_${invoiceId}`;
  shipments.set(invoiceId, tracking);
  return tracking;
}

/** Cancels the invoice, so that the customer can no longer pay it; a paid invoice stays paid. */
export async function cancelInvoice(invoiceId: string): Promise<void> {
  await delay(10);
  const invoice = invoices.get(invoiceId);
  if (invoice?.status === 'open') invoice.status = 'cancelled';
}
