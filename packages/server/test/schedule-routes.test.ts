import { useTestDatabase } from '@reel/testing/vitest';
import { Registry } from '@reel/worker/prometheus';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKeys } from '../src/auth.ts';
import { buildServer } from '../src/server.ts';
import { codeOf, useHarness } from './helpers.ts';

const db = useTestDatabase();
const h = useHarness(db);

/** Yearly, so no tick fires while the tests run: every run here comes from `trigger`. */
const YEARLY = '0 0 1 1 *';

type Method = 'GET' | 'POST' | 'DELETE';
const call = (method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  h.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
const create = (body: Record<string, unknown>) =>
  call('POST', '/v1/schedules', { workflowType: 'quick', cron: YEARLY, input: 1, ...body });

describe('POST /v1/schedules', () => {
  it('creates a schedule (201) with the defaults filled in, and answers its description', async () => {
    const res = await create({ id: 'create-me' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      id: 'create-me',
      workflowType: 'quick',
      cron: YEARLY,
      timezone: 'UTC',
      input: 1,
      overlap: 'skip',
      paused: false,
      bufferedAt: null,
      recentRuns: [],
    });
    expect(new Date(body.nextFireAt).toISOString()).toMatch(/-01-01T00:00:00\.000Z$/);
    expect(body.createdAt).toEqual(expect.any(String));
  });

  it('takes a time zone, an overlap policy and paused', async () => {
    const res = await create({
      id: 'create-paris',
      cron: '0 9 * * *',
      timezone: 'Europe/Paris',
      overlap: 'bufferOne',
      paused: true,
      input: { to: ['ops@example.com'] },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      timezone: 'Europe/Paris',
      overlap: 'bufferOne',
      paused: true,
      nextFireAt: null,
      input: { to: ['ops@example.com'] },
    });
  });

  it('answers 400 REEL_INVALID_SCHEDULE for a bad cron expression or an unknown time zone', async () => {
    for (const body of [{ cron: 'every tuesday' }, { cron: '0 0 30 2 *' }, { timezone: 'Mars/Olympus' }]) {
      const res = await create({ id: 'bad-schedule', ...body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(codeOf(res), JSON.stringify(body)).toBe('REEL_INVALID_SCHEDULE');
    }
    expect(res404(await call('GET', '/v1/schedules/bad-schedule'))).toBe(true);
  });

  it('answers 409 for a taken id and 422 for an unknown workflow type', async () => {
    await create({ id: 'taken' });
    const again = await create({ id: 'taken', cron: '@daily' });
    expect(again.statusCode).toBe(409);
    expect(codeOf(again)).toBe('REEL_SCHEDULE_EXISTS');
    const unknown = await create({ id: 'unknown-type', workflowType: 'noSuchType' });
    expect(unknown.statusCode).toBe(422);
    expect(codeOf(unknown)).toBe('REEL_UNKNOWN_WORKFLOW_TYPE');
  });

  it('answers 400 REEL_INVALID_REQUEST for a body that does not match the schema', async () => {
    const bodies = [
      { workflowType: 'quick', cron: YEARLY },
      { id: 'x', cron: YEARLY },
      { id: 'x', workflowType: 'quick' },
      { id: 'x', workflowType: 'quick', cron: YEARLY, overlap: 'sometimes' },
      { id: 'x', workflowType: 'quick', cron: YEARLY, paused: 'yes' },
      { id: 'x', workflowType: 'quick', cron: YEARLY, workflow: 'quick' },
      { id: 's'.repeat(201), workflowType: 'quick', cron: YEARLY },
    ];
    for (const body of bodies) {
      const res = await call('POST', '/v1/schedules', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(codeOf(res), JSON.stringify(body)).toBe('REEL_INVALID_REQUEST');
    }
  });
});

describe('GET /v1/schedules and /v1/schedules/:id', () => {
  it('lists every schedule by id, and describes one', async () => {
    await create({ id: 'list-b' });
    await create({ id: 'list-a' });
    const list = await call('GET', '/v1/schedules');
    expect(list.statusCode).toBe(200);
    const ids = list.json().items.map((s: { id: string }) => s.id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining(['list-a', 'list-b']));
    const one = await call('GET', '/v1/schedules/list-a');
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual(list.json().items.find((s: { id: string }) => s.id === 'list-a'));
  });

  it('answers 404 REEL_SCHEDULE_NOT_FOUND for an unknown id, 400 for one over 200 characters', async () => {
    const res = await call('GET', '/v1/schedules/nobody');
    expect(res.statusCode).toBe(404);
    expect(codeOf(res)).toBe('REEL_SCHEDULE_NOT_FOUND');
    expect(codeOf(await call('GET', `/v1/schedules/${'s'.repeat(201)}`))).toBe('REEL_INVALID_REQUEST');
  });
});

describe('POST /v1/schedules/:id/pause and /resume', () => {
  it('pauses and resumes (200), answering the schedule as it now is; both are idempotent', async () => {
    await create({ id: 'pause-me' });
    for (let i = 0; i < 2; i++) {
      const paused = await call('POST', '/v1/schedules/pause-me/pause');
      expect(paused.statusCode).toBe(200);
      expect(paused.json()).toMatchObject({ id: 'pause-me', paused: true, nextFireAt: null });
    }
    const resumed = await call('POST', '/v1/schedules/pause-me/resume', {});
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json()).toMatchObject({ paused: false, nextFireAt: expect.any(String) });
    expect((await call('POST', '/v1/schedules/pause-me/resume')).json().paused).toBe(false);
  });

  it('answers 404 for an unknown id and 400 for a body with properties', async () => {
    for (const action of ['pause', 'resume']) {
      expect(codeOf(await call('POST', `/v1/schedules/nobody/${action}`))).toBe('REEL_SCHEDULE_NOT_FOUND');
      const bad = await call('POST', `/v1/schedules/pause-me/${action}`, { now: true });
      expect(bad.statusCode).toBe(400);
      expect(codeOf(bad)).toBe('REEL_INVALID_REQUEST');
    }
  });
});

describe('POST /v1/schedules/:id/trigger', () => {
  it('starts a run now (201), even while paused, and answers its ids', async () => {
    await create({ id: 'trigger-me', paused: true, input: 7 });
    const res = await call('POST', '/v1/schedules/trigger-me/trigger');
    expect(res.statusCode).toBe(201);
    const { workflowId, runId } = res.json();
    expect(workflowId).toMatch(/^trigger-me@\d{4}-\d\d-\d\dT/);
    const result = await call('GET', `/v1/workflows/${encodeURIComponent(workflowId)}/result?wait=10s`);
    expect(result.json()).toEqual({ status: 'completed', result: 'Hello, #7!' });
    const described = (await call('GET', '/v1/schedules/trigger-me')).json();
    expect(described.recentRuns).toEqual([{ workflowId, runId }]);
  });

  it('answers 404 for an unknown id', async () => {
    const res = await call('POST', '/v1/schedules/nobody/trigger');
    expect(res.statusCode).toBe(404);
    expect(codeOf(res)).toBe('REEL_SCHEDULE_NOT_FOUND');
  });
});

describe('DELETE /v1/schedules/:id', () => {
  it('deletes (204), after which the schedule is unknown', async () => {
    await create({ id: 'delete-me' });
    const res = await call('DELETE', '/v1/schedules/delete-me');
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(res404(await call('GET', '/v1/schedules/delete-me'))).toBe(true);
    expect(res404(await call('DELETE', '/v1/schedules/delete-me'))).toBe(true);
  });
});

describe('schedule routes with keys configured', () => {
  const keys = parseApiKeys('sched-read:read;sched-write:write;sched-admin:admin');
  let keyed: FastifyInstance;
  beforeAll(async () => {
    keyed = buildServer({ client: h.client, apiKeys: keys, metrics: new Registry() });
    await keyed.ready();
  });
  afterAll(() => keyed?.close());

  const as = (key: string, method: Method, url: string, payload?: unknown) =>
    keyed.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const status = async (key: string, method: Method, url: string, payload?: unknown) =>
    (await as(key, method, url, payload)).statusCode;

  it('gives read the GETs, write create/pause/resume/trigger, and admin delete', async () => {
    const body = { id: 'scoped', workflowType: 'quick', cron: YEARLY, input: 1 };
    expect(await status('sched-read', 'POST', '/v1/schedules', body)).toBe(403);
    expect(await status('sched-write', 'POST', '/v1/schedules', body)).toBe(201);
    expect(await status('sched-read', 'GET', '/v1/schedules')).toBe(200);
    expect(await status('sched-read', 'GET', '/v1/schedules/scoped')).toBe(200);
    expect(await status('sched-write', 'GET', '/v1/schedules/scoped')).toBe(403);
    for (const action of ['pause', 'resume', 'trigger']) {
      expect(await status('sched-read', 'POST', `/v1/schedules/scoped/${action}`), action).toBe(403);
      expect(await status('sched-write', 'POST', `/v1/schedules/scoped/${action}`), action).toBeLessThan(300);
    }
    const denied = await as('sched-write', 'DELETE', '/v1/schedules/scoped');
    expect(denied.statusCode).toBe(403);
    expect(codeOf(denied)).toBe('REEL_FORBIDDEN');
    expect(denied.json().error.message).toContain("'admin' scope");
    expect(await status('sched-admin', 'DELETE', '/v1/schedules/scoped')).toBe(204);
    expect((await keyed.inject({ url: '/v1/schedules' })).statusCode).toBe(401);
  });
});

describe('OpenAPI', () => {
  it('documents the schedule routes and the ReelSchedule schema', async () => {
    const doc = (await call('GET', '/openapi.json')).json();
    expect(Object.keys(doc.paths['/v1/schedules']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/schedules/{id}']).sort()).toEqual(['delete', 'get']);
    for (const action of ['pause', 'resume', 'trigger'])
      expect(doc.paths[`/v1/schedules/{id}/${action}`]).toHaveProperty('post');
    expect(doc.components.schemas.ReelSchedule.properties.overlap.enum).toEqual([
      'skip',
      'bufferOne',
      'allowAll',
    ]);
    expect(doc.tags.map((t: { name: string }) => t.name)).toContain('schedules');
  });
});

function res404(res: { statusCode: number; json(): unknown }): boolean {
  return res.statusCode === 404 && codeOf(res) === 'REEL_SCHEDULE_NOT_FOUND';
}
