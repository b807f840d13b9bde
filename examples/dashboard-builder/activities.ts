import { setTimeout as delay } from 'node:timers/promises';
import { defineActivity, NonRetryableError } from '@reel/sdk';

// Fake external systems: a user service, an order service, a notification service that can be
// switched off, and a CDN the rendered page is uploaded to. All in memory.

export interface User {
  id: string;
  name: string;
}

export interface Order {
  id: string;
  cents: number;
}

/** The fake notification service; a test sets `down` to make every call fail. */
export const notificationService = { down: false };

/** The pages the fake CDN holds, by URL. */
export const cdn = new Map<string, string>();

const users = new Map<string, User>([
  ['u1', { id: 'u1', name: 'Ada' }],
  ['u2', { id: 'u2', name: 'Grace' }],
]);

/** Reads a user; an unknown id fails at once. */
export const fetchUser = defineActivity(
  async function fetchUser(userId: string): Promise<User> {
    await delay(50);
    const user = users.get(userId);
    if (!user) throw new NonRetryableError(`No user ${userId}.`);
    return user;
  },
  { startToCloseTimeout: '5s' },
);

/** Reads a user's latest orders. */
export const fetchOrders = defineActivity(
  async function fetchOrders(userId: string): Promise<Order[]> {
    await delay(50);
    return [1, 2, 3].map((n) => ({ id: `${userId}-o${n}`, cents: n * 1_000 }));
  },
  { startToCloseTimeout: '5s' },
);

/** Reads a user's unread notifications. Tried 3 times, 1 s apart: the page is useful without them. */
export const fetchNotifications = defineActivity(
  async function fetchNotifications(userId: string): Promise<string[]> {
    await delay(50);
    if (notificationService.down) throw new Error('503 Service Unavailable');
    return [`Welcome back, ${userId}`];
  },
  { retry: { maxAttempts: 3, backoff: 'constant', initialInterval: '1s' }, startToCloseTimeout: '5s' },
);

/** Renders the page and uploads it to the CDN; returns its URL. Same input, same URL: idempotent. */
export async function renderDashboard(dashboard: {
  user: User;
  orders: Order[];
  notifications: string[] | null;
}): Promise<string> {
  await delay(20);
  const total = dashboard.orders.reduce((sum, o) => sum + o.cents, 0);
  const notes = dashboard.notifications?.join(', ') ?? 'notifications unavailable';
  const url = `https://cdn.example/dashboards/${dashboard.user.id}.html`;
  cdn.set(
    url,
    `<h1>${dashboard.user.name}</h1><p>${dashboard.orders.length} orders, $${total / 100}</p><p>${notes}</p>`,
  );
  return url;
}
