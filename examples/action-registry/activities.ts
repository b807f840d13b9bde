import { setTimeout as delay } from 'node:timers/promises';
import { defineActivity, type Json } from '@reel/sdk';

// Fake external systems, in memory: an HTTP API with one route, and a messaging service.

/** What an `http_request` step returns. */
export type HttpResponse = { status: number; body: Json };

/** Every message sent, in order. */
export const messages: { to: string; text: string }[] = [];

const users: Record<string, { name: string; email: string }> = {
  u1: { name: 'Ada', email: 'ada@example.com' },
  u2: { name: 'Grace', email: 'grace@example.com' },
};

/**
 * Makes an HTTP request. Any answer is returned, 404 included, for later steps to read; a 5xx
 * (here: any URL under api.example/flaky) throws and is retried with backoff.
 */
export const httpRequest = defineActivity(
  async function httpRequest(method: string, url: string, body: Json | null): Promise<HttpResponse> {
    await delay(10);
    if (url.startsWith('https://api.example/flaky')) throw new Error(`${method} ${url}: 503`);
    const user = /^https:\/\/api\.example\/users\/([^/]+)$/.exec(url)?.[1];
    if (method === 'GET' && user && users[user]) return { status: 200, body: users[user] };
    return { status: 404, body: { error: `No route ${method} ${url}`, sent: body } };
  },
  { retry: { maxAttempts: 5, initialInterval: '2s' }, startToCloseTimeout: '30s' },
);

/** Sends a message to `to`. */
export async function sendMessage(to: string, text: string): Promise<{ delivered: true }> {
  await delay(10);
  messages.push({ to, text });
  return { delivered: true };
}
