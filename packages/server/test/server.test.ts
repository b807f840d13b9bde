import { Client } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { Registry } from '@reel/worker/prometheus';
import Fastify from 'fastify';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { toHttpError } from '../src/error-handler.ts';
import { reelError } from '../src/errors.ts';
import { reelPlugin } from '../src/plugin.ts';
import { buildServer } from '../src/server.ts';
import { codeOf, useHarness } from './helpers.ts';

const db = useTestDatabase();
const h = useHarness(db, { bodyLimit: 4096 });
// Nothing listens on port 1: every query fails to connect.
const unreachable = 'postgres://reel:reel@127.0.0.1:1/reel';

describe('health, readiness and metrics', () => {
  it('answers /healthz and /readyz with 200 while Postgres is up', async () => {
    expect((await h.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await h.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
  });

  it('answers /readyz with 503 and other routes with 503 REEL_UNAVAILABLE while Postgres is down, /healthz still 200', async () => {
    const app = buildServer({ client: { connectionString: unreachable }, metrics: new Registry() });
    try {
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
      const ready = await app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(codeOf(ready)).toBe('REEL_UNAVAILABLE');
      const list = await app.inject({ url: '/v1/workflows' });
      expect(list.statusCode).toBe(503);
      expect(codeOf(list)).toBe('REEL_UNAVAILABLE');
    } finally {
      await app.close();
    }
  });

  it('compiles every route schema without a warning from the validator', async () => {
    const warn = vi.spyOn(console, 'warn');
    const app = buildServer({ client: { connectionString: unreachable }, metrics: new Registry() });
    try {
      await app.ready();
      expect(warn.mock.calls).toEqual([]);
    } finally {
      warn.mockRestore();
      await app.close();
    }
  });

  it('serves Prometheus text at /metrics', async () => {
    const res = await h.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('# TYPE reel_task_backlog gauge');
  });
});

describe('error answers', () => {
  it('answers an unknown route with 404 REEL_ROUTE_NOT_FOUND', async () => {
    const res = await h.app.inject({ url: '/v2/workflows?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: {
        code: 'REEL_ROUTE_NOT_FOUND',
        message: 'No route GET /v2/workflows. See /openapi.json for the routes.',
      },
    });
  });

  it('answers a body over bodyLimit with 413 REEL_PAYLOAD_TOO_LARGE', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      payload: { type: 'quick', input: 'x'.repeat(5000) },
    });
    expect(res.statusCode).toBe(413);
    expect(codeOf(res)).toBe('REEL_PAYLOAD_TOO_LARGE');
  });

  it('answers a body that is not JSON with 415 on every route that takes one, whatever its content type', async () => {
    const spec = (await h.app.inject({ url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    const routes = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => op.requestBody)
        .map(([method]) => ({
          method: method.toUpperCase() as 'POST',
          url: path.replace(/\{[^}]+\}/g, 'x'),
        })),
    );
    expect(routes.length).toBeGreaterThan(5);
    const answers: string[] = [];
    for (const route of routes) {
      for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', undefined]) {
        const res = await h.app.inject({
          ...route,
          payload: '{"type":"quick"}',
          headers: type ? { 'content-type': type } : {},
        });
        answers.push(`${route.method} ${route.url} ${type ?? '(none)'}: ${res.statusCode} ${codeOf(res)}`);
      }
    }
    expect(answers.filter((a) => !a.endsWith(': 415 REEL_UNSUPPORTED_MEDIA_TYPE'))).toEqual([]);
  });

  it('takes a POST without a body and without a content type', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/workflows/nobody/cancel' });
    expect(res.statusCode).toBe(404);
    expect(codeOf(res)).toBe('REEL_WORKFLOW_NOT_FOUND');
  });

  it('answers an unexpected failure with 500 REEL_INTERNAL and a generic message, never the error', async () => {
    const client = new Client({ connectionString: db.connectionString });
    await client.close(); // its pool is ended: every query throws a plain Error
    const app = buildServer({ client, metrics: new Registry() });
    try {
      const res = await app.inject({ url: '/v1/workflows/any' });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({
        error: {
          code: 'REEL_INTERNAL',
          message: 'The server failed to handle this request; the error has been logged.',
        },
      });
      expect(res.body).not.toMatch(/pool|at |\.ts/);
    } finally {
      await app.close();
    }
  });
});

describe('toHttpError', () => {
  it('maps a 429 from a rate limiter, and hides ReelErrors it has no status for', () => {
    const limited = Object.assign(new Error('Rate limit exceeded, retry in 1 minute'), { statusCode: 429 });
    expect(toHttpError(limited)).toEqual({
      status: 429,
      body: { error: { code: 'REEL_RATE_LIMITED', message: 'Too many requests; retry later.' } },
    });
    expect(toHttpError(reelError('REEL_LEASE_LOST', 'internal detail')).body.error).toEqual({
      code: 'REEL_INTERNAL',
      message: 'The server failed to handle this request; the error has been logged.',
    });
    expect(toHttpError(reelError('REEL_TIMEOUT', 'too slow')).status).toBe(504);
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3 document with every route and Swagger UI at /docs', async () => {
    const doc = (await h.app.inject({ url: '/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/healthz',
      '/metrics',
      '/readyz',
      '/v1/batches/cancel',
      '/v1/batches/signal',
      '/v1/batches/terminate',
      '/v1/batches/{id}',
      '/v1/batches/{id}/resume',
      '/v1/batches/{id}/stop',
      '/v1/hooks/{name}',
      '/v1/schedules',
      '/v1/schedules/{id}',
      '/v1/schedules/{id}/pause',
      '/v1/schedules/{id}/resume',
      '/v1/schedules/{id}/trigger',
      '/v1/whoami',
      '/v1/workflow-counts',
      '/v1/workflows',
      '/v1/workflows/{id}',
      '/v1/workflows/{id}/cancel',
      '/v1/workflows/{id}/history',
      '/v1/workflows/{id}/queries/{name}',
      '/v1/workflows/{id}/reset',
      '/v1/workflows/{id}/result',
      '/v1/workflows/{id}/retry',
      '/v1/workflows/{id}/runs',
      '/v1/workflows/{id}/signals/{name}',
      '/v1/workflows/{id}/terminate',
      '/v1/workflows/{id}/updates/{name}',
    ]);
    const startBody = doc.paths['/v1/workflows'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(startBody.properties)).toEqual(
      expect.arrayContaining(['concurrency', 'priority', 'debounce', 'throttle']),
    );
    expect(doc.components.schemas).toHaveProperty('ReelWorkflow');
    expect(doc.components.schemas).toHaveProperty('ReelSchedule');
    const ui = await h.app.inject({ url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });
});

describe('reelPlugin', () => {
  const host = Fastify();
  afterAll(() => host.close());

  it('mounts under a prefix in an existing app, its auth and errors staying inside it', async () => {
    host.get('/own', async () => ({ mine: true }));
    host.post('/own', async (request) => ({ got: request.body }));
    await host.register(reelPlugin, {
      prefix: '/reel',
      client: h.client,
      metrics: new Registry(),
      apiKeys: [{ key: 'plugin-key', scopes: ['admin'] }],
    });
    await host.ready();
    expect((await host.inject({ url: '/own' })).json()).toEqual({ mine: true });
    // Reel takes only JSON; the host's own routes keep every parser they had.
    const text = await host.inject({
      method: 'POST',
      url: '/own',
      payload: 'plain',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.json()).toEqual({ got: 'plain' });
    expect((await host.inject({ url: '/reel/healthz' })).statusCode).toBe(200);
    expect(codeOf(await host.inject({ url: '/reel/v1/workflows' }))).toBe('REEL_UNAUTHENTICATED');
    const list = await host.inject({
      url: '/reel/v1/workflows?limit=1',
      headers: { authorization: 'Bearer plugin-key' },
    });
    expect(list.statusCode).toBe(200);
    expect(codeOf(await host.inject({ url: '/reel/nowhere' }))).toBe('REEL_ROUTE_NOT_FOUND');
    expect(codeOf(await host.inject({ url: '/nowhere' }))).toBeUndefined();
    const doc = (
      await host.inject({ url: '/reel/openapi.json', headers: { authorization: 'Bearer plugin-key' } })
    ).json();
    expect(Object.keys(doc.paths)).toContain('/reel/v1/workflows/{id}');
  });
});
