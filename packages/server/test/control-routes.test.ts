import { useTestDatabase } from '@reel/testing/vitest';
import { describe, expect, it } from 'vitest';
import { codeOf, useHarness } from './helpers.ts';

const db = useTestDatabase();
const h = useHarness(db);

const post = (url: string, payload?: unknown) =>
  h.app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as object }) });
const startRun = async (type: string, id: string, input?: unknown) => {
  const res = await post('/v1/workflows', { type, id, input });
  expect(res.statusCode).toBe(201);
};
const closedRun = async (id: string) => {
  await startRun('quick', id, 1);
  expect((await h.app.inject({ url: `/v1/workflows/${id}/result?wait=10s` })).statusCode).toBe(200);
};

describe('POST /v1/workflows/:id/signals/:name', () => {
  it('delivers a signal (202) that the workflow receives', async () => {
    await startRun('greeting', 'signal-me', { name: 'Ada' });
    const res = await post('/v1/workflows/signal-me/signals/approve', { payload: { by: 'Grace' } });
    expect(res.statusCode).toBe(202);
    const result = await h.app.inject({ url: '/v1/workflows/signal-me/result?wait=10s' });
    expect(result.json()).toEqual({
      status: 'completed',
      result: { text: 'Hello, Ada!', approvedBy: 'Grace' },
    });
  });

  it('answers 409 for a closed workflow and 404 for an unknown one', async () => {
    await closedRun('signal-closed');
    const closed = await post('/v1/workflows/signal-closed/signals/approve', { payload: 1 });
    expect(closed.statusCode).toBe(409);
    expect(codeOf(closed)).toBe('REEL_WORKFLOW_CLOSED');
    const missing = await post('/v1/workflows/nobody/signals/approve', {});
    expect(missing.statusCode).toBe(404);
    expect(codeOf(missing)).toBe('REEL_WORKFLOW_NOT_FOUND');
  });

  it('answers 400 for an unknown body property or an over-long name', async () => {
    await startRun('waiting', 'signal-bad');
    expect(codeOf(await post('/v1/workflows/signal-bad/signals/approve', { data: 1 }))).toBe(
      'REEL_INVALID_REQUEST',
    );
    const long = await post(`/v1/workflows/signal-bad/signals/${'n'.repeat(257)}`, {});
    expect(long.statusCode).toBe(400);
    expect(codeOf(long)).toBe('REEL_INVALID_REQUEST');
  });
});

describe('POST /v1/workflows/:id/cancel', () => {
  it('cancels (202): the run ends cancelled, with or without a body', async () => {
    await startRun('waiting', 'cancel-me');
    expect((await post('/v1/workflows/cancel-me/cancel', { reason: 'changed my mind' })).statusCode).toBe(
      202,
    );
    const result = await h.app.inject({ url: '/v1/workflows/cancel-me/result?wait=10s' });
    expect(result.json()).toMatchObject({ status: 'cancelled', error: { code: 'REEL_CANCELLED' } });
    await startRun('waiting', 'cancel-bare');
    expect((await post('/v1/workflows/cancel-bare/cancel')).statusCode).toBe(202);
  });

  it('answers 409 once closed, 404 when unknown, 400 for a reason that is not a string', async () => {
    await closedRun('cancel-closed');
    expect(codeOf(await post('/v1/workflows/cancel-closed/cancel', {}))).toBe('REEL_WORKFLOW_CLOSED');
    expect(codeOf(await post('/v1/workflows/nobody/cancel', {}))).toBe('REEL_WORKFLOW_NOT_FOUND');
    const bad = await post('/v1/workflows/cancel-closed/cancel', { reason: { why: 'x' } });
    expect(bad.statusCode).toBe(400);
    expect(codeOf(bad)).toBe('REEL_INVALID_REQUEST');
  });
});

describe('POST /v1/workflows/:id/terminate', () => {
  it('terminates at once (202) and then answers 409', async () => {
    await startRun('waiting', 'terminate-me');
    expect((await post('/v1/workflows/terminate-me/terminate', { reason: 'stuck' })).statusCode).toBe(202);
    const result = await h.app.inject({ url: '/v1/workflows/terminate-me/result' });
    expect(result.json()).toMatchObject({ status: 'terminated', error: { message: 'stuck' } });
    const again = await post('/v1/workflows/terminate-me/terminate', {});
    expect(again.statusCode).toBe(409);
    expect(codeOf(again)).toBe('REEL_WORKFLOW_CLOSED');
  });

  it('answers 404 when unknown and 400 for an unknown property', async () => {
    expect(codeOf(await post('/v1/workflows/nobody/terminate', {}))).toBe('REEL_WORKFLOW_NOT_FOUND');
    expect(codeOf(await post('/v1/workflows/nobody/terminate', { force: true }))).toBe(
      'REEL_INVALID_REQUEST',
    );
  });
});

describe('POST /v1/workflows/:id/queries/:name', () => {
  it("answers with the workflow's query handler (200)", async () => {
    await startRun('greeting', 'query-me', { name: 'Ada' });
    const deadline = Date.now() + 5000;
    let answer: unknown;
    do {
      answer = (await post('/v1/workflows/query-me/queries/stage', { args: ['!'] })).json();
    } while ((answer as { result?: unknown }).result !== 'awaiting approval!' && Date.now() < deadline);
    expect(answer).toEqual({ result: 'awaiting approval!' });
    expect((await post('/v1/workflows/query-me/queries/stage')).json()).toEqual({
      result: 'awaiting approval',
    });
  });

  it('answers 422 for an unknown query and 404 for an unknown workflow', async () => {
    await startRun('waiting', 'query-unknown');
    const unknown = await post('/v1/workflows/query-unknown/queries/nope', {});
    expect(unknown.statusCode).toBe(422);
    expect(codeOf(unknown)).toBe('REEL_UNKNOWN_QUERY');
    const missing = await post('/v1/workflows/nobody/queries/stage', { args: [] });
    expect(missing.statusCode).toBe(404);
    expect(codeOf(missing)).toBe('REEL_WORKFLOW_NOT_FOUND');
  });

  it('validates its body', async () => {
    for (const body of [{ args: 'not an array' }, { args: [], extra: 1 }, { timeout: true }]) {
      const res = await post('/v1/workflows/anyone/queries/stage', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(codeOf(res)).toBe('REEL_INVALID_REQUEST');
    }
    const badTimeout = await post('/v1/workflows/query-me/queries/stage', { timeout: 'a while' });
    expect(codeOf(badTimeout)).toBe('REEL_INVALID_DURATION');
  });
});

describe('POST /v1/workflows/:id/updates/:name', () => {
  it("answers 200 with the handler's result, and the first result again for the same updateId", async () => {
    await startRun('guestbook', 'update-me');
    const first = await post('/v1/workflows/update-me/updates/sign', { arg: 'Ada', updateId: 'u-1' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ updateId: 'u-1', result: { greeting: 'Hello, Ada!', count: 1 } });
    const again = await post('/v1/workflows/update-me/updates/sign', { arg: 'Bob', updateId: 'u-1' });
    expect(again.json()).toEqual(first.json());
    const fresh = await post('/v1/workflows/update-me/updates/sign', { arg: 'Bob' });
    expect(fresh.json()).toMatchObject({ updateId: expect.any(String), result: { count: 2 } });
  });

  it('answers 422 REEL_UPDATE_REJECTED from the validator, 202 pending after the wait, 409 when closed', async () => {
    await startRun('guestbook', 'update-bad');
    const rejected = await post('/v1/workflows/update-bad/updates/sign', { arg: '' });
    expect(rejected.statusCode).toBe(422);
    expect(codeOf(rejected)).toBe('REEL_UPDATE_REJECTED');
    // no handler of that name: the update waits, and the route answers while it does
    const pending = await post('/v1/workflows/update-bad/updates/unknown', {
      arg: 1,
      updateId: 'p-1',
      wait: 0,
    });
    expect(pending.statusCode).toBe(202);
    expect(pending.json()).toEqual({ updateId: 'p-1', status: 'pending' });
    await closedRun('update-closed');
    const closed = await post('/v1/workflows/update-closed/updates/sign', { arg: 'Ada' });
    expect(closed.statusCode).toBe(409);
    expect(codeOf(closed)).toBe('REEL_WORKFLOW_CLOSED');
    expect(codeOf(await post('/v1/workflows/update-bad/updates/sign', { args: [] }))).toBe(
      'REEL_INVALID_REQUEST',
    );
  });
});
