import { useTestDatabase } from '@reel/testing/vitest';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseApiKeys } from '../src/auth.ts';
import { buildServer } from '../src/server.ts';
import { codeOf, useHarness } from './helpers.ts';

const db = useTestDatabase();
const h = useHarness(db);

const post = (url: string, payload?: unknown) =>
  h.app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as object }) });

/** Starts a greeting and waits until it waits for its signal, its activity recorded. */
async function greetingWaiting(id: string) {
  expect((await post('/v1/workflows', { type: 'greeting', id, input: { name: 'Ada' } })).statusCode).toBe(
    201,
  );
  await expect
    .poll(async () => (await h.client.history(id)).events.some((e) => e.type === 'activity_completed'))
    .toBe(true);
}

describe('POST /v1/workflows/:id/retry', () => {
  it('accepts an open run (202) and refuses a closed one (409) and an unknown one (404)', async () => {
    await greetingWaiting('retry-me');
    expect((await post('/v1/workflows/retry-me/retry')).statusCode).toBe(202);
    await expect
      .poll(async () => (await h.client.history('retry-me')).events.some((e) => e.type === 'retry_requested'))
      .toBe(true);
    await post('/v1/workflows/retry-me/terminate', {});
    const closed = await post('/v1/workflows/retry-me/retry');
    expect([closed.statusCode, codeOf(closed)]).toEqual([409, 'REEL_WORKFLOW_CLOSED']);
    expect(codeOf(await post('/v1/workflows/nobody/retry'))).toBe('REEL_WORKFLOW_NOT_FOUND');
  });
});

describe('POST /v1/workflows/:id/reset', () => {
  it('starts a new run from the point (201); describe names it on the old run and shows what the new one waits on', async () => {
    await greetingWaiting('reset-me');
    const old = await h.client.describe('reset-me');
    const completed = (await h.client.history('reset-me')).events.find(
      (e) => e.type === 'activity_completed',
    );
    const res = await post('/v1/workflows/reset-me/reset', { toEvent: completed?.seq, reason: 'try again' });
    expect(res.statusCode).toBe(201);
    const { runId } = res.json() as { runId: string };
    const before = await h.app.inject({ url: `/v1/workflows/reset-me?runId=${old.runId}` });
    expect(before.json()).toMatchObject({ status: 'reset', resetTo: runId });
    const latest = await h.app.inject({ url: '/v1/workflows/reset-me' });
    expect(latest.json()).toMatchObject({
      runId,
      status: 'running',
      pending: { activities: [], timers: [], children: [] },
    });
    expect(
      (await post('/v1/workflows/reset-me/signals/approve', { payload: { by: 'Grace' } })).statusCode,
    ).toBe(202);
    const result = await h.app.inject({ url: '/v1/workflows/reset-me/result?wait=10s' });
    expect(result.json()).toEqual({
      status: 'completed',
      result: { text: 'Hello, Ada!', approvedBy: 'Grace' },
    });
  });

  it('answers 400 REEL_INVALID_RESET_POINT for a point inside an activity, and REEL_INVALID_REQUEST without one', async () => {
    await greetingWaiting('reset-bad');
    const scheduled = (await h.client.history('reset-bad')).events.find(
      (e) => e.type === 'activity_scheduled',
    );
    const split = await post('/v1/workflows/reset-bad/reset', { toEvent: scheduled?.seq });
    expect([split.statusCode, codeOf(split)]).toEqual([400, 'REEL_INVALID_RESET_POINT']);
    expect(codeOf(await post('/v1/workflows/reset-bad/reset', {}))).toBe('REEL_INVALID_REQUEST');
    expect(codeOf(await post('/v1/workflows/reset-bad/reset', { toEvent: -1 }))).toBe('REEL_INVALID_REQUEST');
  });
});

describe('scopes', () => {
  it('lets a write key ask for a retry now, and keeps reset to admin keys', async () => {
    const apiKeys = parseApiKeys('writer-key-0123:write;admin-key-0123:admin');
    const app = buildServer({ client: h.client, apiKeys, metrics: new Registry() });
    try {
      await greetingWaiting('scoped');
      const as = (key: string) => ({ authorization: `Bearer ${key}` });
      const send = (url: string, key: string, payload: object) =>
        app.inject({ method: 'POST', url, headers: as(key), payload });
      expect((await send('/v1/workflows/scoped/retry', 'writer-key-0123', {})).statusCode).toBe(202);
      const denied = await send('/v1/workflows/scoped/reset', 'writer-key-0123', { toEvent: 0 });
      expect([denied.statusCode, codeOf(denied)]).toEqual([403, 'REEL_FORBIDDEN']);
      expect((await send('/v1/workflows/scoped/reset', 'admin-key-0123', { toEvent: 0 })).statusCode).toBe(
        201,
      );
    } finally {
      await app.close();
    }
  });
});
