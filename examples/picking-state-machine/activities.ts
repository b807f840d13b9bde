import { setTimeout as delay } from 'node:timers/promises';

// A fake warehouse system, kept in memory so that a test can read what it was told.

/** What the warehouse system was told, by order id, in order. */
export const warehouseLog = new Map<string, string[]>();

/** Tells the warehouse system what happened to an order (its screens show it). */
export async function notifyWarehouse(orderId: string, message: string): Promise<void> {
  await delay(10);
  warehouseLog.set(orderId, [...(warehouseLog.get(orderId) ?? []), message]);
}
