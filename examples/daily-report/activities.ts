import { setTimeout as delay } from 'node:timers/promises';
import { NonRetryableError } from '@reel/sdk';

// Fake external systems, in memory: the app's metrics, a file store the report is uploaded to,
// and a mailer that refuses addresses at `invalid.example`.

export interface Metrics {
  signups: number;
  orders: number;
  revenueCents: number;
}

/** Every report delivered, in order. */
export const deliveries: { to: string; url: string }[] = [];

/** Every report rendered, with its layout, in order. */
export const renders: { date: string; layout: string }[] = [];

/** Reads the metrics of `date` ('2026-03-09'). The numbers are made up from the date. */
export async function gatherMetrics(date: string): Promise<Metrics> {
  await delay(20);
  const day = Number(date.slice(-2));
  return { signups: 10 + day, orders: 3 * day, revenueCents: 12_500 * day };
}

/** Renders the report in `layout` and uploads it; returns its URL. Same date, same URL: idempotent. */
export async function renderReport(date: string, metrics: Metrics, layout: string): Promise<string> {
  await delay(20 + metrics.orders); // a busier day takes longer to render
  renders.push({ date, layout });
  return `https://files.example/reports/daily-${date}.html`;
}

/** Sends the report's link to one recipient. */
export async function deliverReport(to: string, url: string): Promise<void> {
  await delay(10);
  if (to.endsWith('@invalid.example')) throw new NonRetryableError(`${to} does not exist.`);
  deliveries.push({ to, url });
}
