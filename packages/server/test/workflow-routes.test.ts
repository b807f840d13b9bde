import { useTestDatabase } from '@reel/testing/vitest';
import { describe, expect, it } from 'vitest';
import { codeOf, useHarness } from './helpers.ts';

const db = useTestDatabase();
const h = useHarness(db);

const start = (body: unknown) =>
  h.app.inject({ method: 'POST', url: '/v1/workflows', payload: body as object });

describe('POST /v1/workflows', () => {
  it('starts a run (201), returns the existing one (200), and refuses a duplicate with onConflict fail (409)', async () => {
    const first = await start({ type: 'quick', id: 'start-1', input: 1 });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ workflowId: 'start-1', created: true, runId: expect.any(String) });
    const again = await start({ type: 'quick', id: 'start-1', input: 1 });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ ...first.json(), created: false });
    const fail = await start({ type: 'quick', id: 'start-1', input: 1, onConflict: 'fail' });
    expect(fail.statusCode).toBe(409);
    expect(codeOf(fail)).toBe('REEL_WORKFLOW_ALREADY_STARTED');
  });

  it('generates an id when none is given', async () => {
    const res = await start({ type: 'quick', input: 2 });
    expect(res.statusCode).toBe(201);
    expect(res.json().workflowId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['no type', { input: 1 }],
    ['a type that is not a string', { type: { name: 'quick' } }],
    ['an empty type', { type: '' }],
    ['an id over 256 characters', { type: 'quick', id: 'x'.repeat(257) }],
    ['an unknown onConflict', { type: 'quick', onConflict: 'replace' }],
    ['an unknown property', { type: 'quick', imput: 1 }],
    ['a body that is not an object', [1, 2]],
    ['a priority over 10', { type: 'quick', priority: 11 }],
    ['a concurrency without a limit', { type: 'quick', concurrency: { key: 'k' } }],
    ['a throttle period that is not a duration', { type: 'quick', throttle: { key: 'k', period: true } }],
  ])('answers 400 REEL_INVALID_REQUEST for %s', async (_what, body) => {
    const res = await start(body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: { code: 'REEL_INVALID_REQUEST', message: expect.stringMatching(/^Invalid request: body/) },
    });
  });

  it('takes concurrency, priority, debounce and throttle; describe says what a run waits for', async () => {
    const concurrency = { key: 'http-key', limit: 1 };
    const holder = await start({ type: 'guestbook', concurrency });
    const queued = await start({ type: 'guestbook', concurrency, priority: 4 });
    expect(queued.statusCode).toBe(201);
    const described = await h.app.inject({ url: `/v1/workflows/${queued.json().workflowId}` });
    expect(described.json()).toMatchObject({ priority: 4, waitingFor: { concurrencyKey: 'http-key' } });
    for (const option of [
      { throttle: { key: 'http-throttle', period: '1 hour' } },
      { debounce: { key: 'http-debounce', period: 3_600_000, maxWait: '2 hours' } },
    ]) {
      const first = await start({ type: 'quick', input: 1, ...option });
      expect(first.statusCode).toBe(201);
      const second = await start({ type: 'quick', input: 2, ...option });
      expect([second.statusCode, second.json()]).toEqual([200, { ...first.json(), created: false }]);
    }
    const clash = await start({ type: 'quick', id: 'x', throttle: { key: 'k', period: '1s' } });
    expect([clash.statusCode, codeOf(clash)]).toEqual([400, 'REEL_INVALID_ARGUMENT']);
    for (const run of [holder, queued]) await h.client.terminate(run.json().workflowId);
  });

  it('answers 422 for a type no worker registered', async () => {
    const res = await start({ type: 'noSuchWorkflow' });
    expect(res.statusCode).toBe(422);
    expect(codeOf(res)).toBe('REEL_UNKNOWN_WORKFLOW_TYPE');
  });

  it('answers 400 for JSON that does not parse', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      payload: '{"type":',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(codeOf(res)).toBe('REEL_INVALID_REQUEST');
  });
});

describe('GET /v1/workflows', () => {
  it('lists newest first, filters by status and type, and pages with a cursor', async () => {
    for (const id of ['list-a', 'list-b', 'list-c']) await start({ type: 'waiting', id });
    const page1 = await h.app.inject({ url: '/v1/workflows?type=waiting&status=running,parked&limit=2' });
    expect(page1.statusCode).toBe(200);
    const body1 = page1.json();
    expect(body1.items.map((r: { workflowId: string }) => r.workflowId)).toEqual(['list-c', 'list-b']);
    expect(body1.items[0]).toMatchObject({
      type: 'waiting',
      status: 'running',
      createdAt: expect.stringMatching(/T.*Z$/),
    });
    const page2 = await h.app.inject({
      url: `/v1/workflows?type=waiting&limit=2&cursor=${body1.nextCursor}`,
    });
    expect(page2.json().items.map((r: { workflowId: string }) => r.workflowId)).toEqual(['list-a']);
    expect(page2.json().nextCursor).toBeUndefined();
    const none = await h.app.inject({ url: '/v1/workflows?type=waiting&status=completed' });
    expect(none.json()).toEqual({ items: [] });
  });

  it('filters by attributes and by a creation time range, as bulk actions do', async () => {
    await h.client.start('waiting', undefined, { id: 'list-tenant-a', attributes: { tenant: 'a' } });
    await h.client.start('waiting', undefined, { id: 'list-tenant-b', attributes: { tenant: 'b' } });
    const ids = async (query: string) => {
      const res = await h.app.inject({ url: `/v1/workflows?${query}` });
      expect(res.statusCode).toBe(200);
      return res.json().items.map((r: { workflowId: string }) => r.workflowId);
    };
    expect(await ids(`attributes=${encodeURIComponent('{"tenant":"a"}')}`)).toEqual(['list-tenant-a']);
    const { createdAt } = await h.client.describe('list-tenant-b');
    expect(await ids(`type=waiting&createdAfter=${createdAt.toISOString()}`)).toEqual(['list-tenant-b']);
    const before = await ids(`type=waiting&createdBefore=${createdAt.toISOString()}`);
    expect(before).toContain('list-tenant-a');
    expect(before).not.toContain('list-tenant-b');
  });

  it.each([
    ['an unknown status', 'status=sleeping'],
    ['a limit of 0', 'limit=0'],
    ['a limit over 1000', 'limit=1001'],
    ['a limit that is not a number', 'limit=ten'],
    ['an unknown parameter', 'order=asc'],
    ['attributes that are not a JSON object', 'attributes=tenant'],
    ['a creation time that is no ISO 8601 time', 'createdAfter=yesterday'],
  ])('answers 400 REEL_INVALID_REQUEST for %s', async (_what, query) => {
    const res = await h.app.inject({ url: `/v1/workflows?${query}` });
    expect(res.statusCode).toBe(400);
    expect(codeOf(res)).toBe('REEL_INVALID_REQUEST');
  });

  it('answers 400 REEL_INVALID_ARGUMENT for a cursor it did not issue', async () => {
    const res = await h.app.inject({ url: '/v1/workflows?cursor=not-a-cursor' });
    expect(res.statusCode).toBe(400);
    expect(codeOf(res)).toBe('REEL_INVALID_ARGUMENT');
  });
});

describe('GET /v1/workflows/:id', () => {
  it('describes a run, by id and by run id', async () => {
    const { runId } = (await start({ type: 'waiting', id: 'describe-me', input: { a: 1 } })).json();
    const res = await h.app.inject({ url: '/v1/workflows/describe-me' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      workflowId: 'describe-me',
      runId,
      type: 'waiting',
      status: 'running',
      input: { a: 1 },
    });
    expect((await h.app.inject({ url: `/v1/workflows/describe-me?runId=${runId}` })).json().runId).toBe(
      runId,
    );
  });

  it('answers 404 for an unknown workflow and 400 for a run id that is not a UUID', async () => {
    const missing = await h.app.inject({ url: '/v1/workflows/nobody' });
    expect(missing.statusCode).toBe(404);
    expect(codeOf(missing)).toBe('REEL_WORKFLOW_NOT_FOUND');
    const bad = await h.app.inject({ url: '/v1/workflows/describe-me?runId=42' });
    expect(bad.statusCode).toBe(400);
    expect(codeOf(bad)).toBe('REEL_INVALID_REQUEST');
  });
});

describe('GET /v1/workflows/:id/result', () => {
  it('answers 200 with the result once closed, waiting for it', async () => {
    await start({ type: 'quick', id: 'result-ok', input: 7 });
    const res = await h.app.inject({ url: '/v1/workflows/result-ok/result?wait=10s' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'completed', result: 'Hello, #7!' });
  });

  it('answers 202 with the status while still open after the wait', async () => {
    await start({ type: 'waiting', id: 'result-open' });
    const began = Date.now();
    const res = await h.app.inject({ url: '/v1/workflows/result-open/result?wait=200ms' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'running' });
    expect(Date.now() - began).toBeGreaterThanOrEqual(180);
    expect((await h.app.inject({ url: '/v1/workflows/result-open/result' })).statusCode).toBe(202);
  });

  it('answers 200 with the error of a failed run', async () => {
    await start({ type: 'failing', id: 'result-failed' });
    const res = await h.app.inject({ url: '/v1/workflows/result-failed/result?wait=10000' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'failed',
      error: { message: expect.stringContaining('boom') },
    });
  });

  it('answers 400 for a bad wait and 404 for an unknown workflow', async () => {
    const bad = await h.app.inject({ url: '/v1/workflows/result-ok/result?wait=soon' });
    expect(bad.statusCode).toBe(400);
    expect(codeOf(bad)).toBe('REEL_INVALID_DURATION');
    const missing = await h.app.inject({ url: '/v1/workflows/nobody/result?wait=1s' });
    expect(missing.statusCode).toBe(404);
    expect(codeOf(missing)).toBe('REEL_WORKFLOW_NOT_FOUND');
  });
});

describe('GET /v1/workflows/:id/history', () => {
  it('returns the full export unpaginated, and pages with after and limit', async () => {
    const { runId } = (await start({ type: 'quick', id: 'history-1', input: 3 })).json();
    await h.app.inject({ url: '/v1/workflows/history-1/result?wait=10s' });
    const full = (await h.app.inject({ url: '/v1/workflows/history-1/history' })).json();
    expect(full).toEqual(await h.client.history('history-1'));
    expect(full).toMatchObject({ workflowId: 'history-1', runId, workflowType: 'quick' });
    expect(full.events.map((e: { type: string }) => e.type)).toEqual([
      'workflow_started',
      'activity_scheduled',
      'activity_completed',
      'workflow_completed',
    ]);

    const page1 = (await h.app.inject({ url: '/v1/workflows/history-1/history?limit=3' })).json();
    expect(page1.events.map((e: { seq: number }) => e.seq)).toEqual([0, 1, 2]);
    expect(page1.nextAfter).toBe(2);
    const page2 = (
      await h.app.inject({ url: `/v1/workflows/history-1/history?limit=3&after=2&runId=${runId}` })
    ).json();
    expect(page2.events.map((e: { seq: number }) => e.seq)).toEqual([3]);
    expect(page2.nextAfter).toBeUndefined();
  });

  it('answers 400 for a bad after or limit and 404 for an unknown workflow', async () => {
    for (const query of ['after=-1', 'limit=0', 'after=first']) {
      const res = await h.app.inject({ url: `/v1/workflows/history-1/history?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(codeOf(res)).toBe('REEL_INVALID_REQUEST');
    }
    const missing = await h.app.inject({ url: '/v1/workflows/nobody/history' });
    expect(codeOf(missing)).toBe('REEL_WORKFLOW_NOT_FOUND');
  });
});
