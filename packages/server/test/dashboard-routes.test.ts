import { useTestDatabase } from '@reel/testing/vitest';
import { Registry } from '@reel/worker/prometheus';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { parseApiKeys } from '../src/auth.ts';
import { reelPlugin } from '../src/plugin.ts';
import { buildServer } from '../src/server.ts';
import { codeOf, useHarness } from './helpers.ts';

const db = useTestDatabase();
const h = useHarness(db, { apiKeys: parseApiKeys('routes-reader-key:read;routes-admin-key:admin') });
const reader = { authorization: 'Bearer routes-reader-key' };

describe('the dashboard files', () => {
  it('serves the page, its modules and preact and htm without a key', async () => {
    const page = await h.app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<base href="/" />');
    for (const file of ['app.js', 'style.css', 'vendor/preact.mjs', 'vendor/hooks.mjs', 'vendor/htm.mjs']) {
      const res = await h.app.inject({ url: `/dashboard/${file}` });
      expect(res.statusCode, file).toBe(200);
      expect(res.body.length, file).toBeGreaterThan(100);
    }
    // ES modules, not the CommonJS builds: the browser imports them by name.
    expect((await h.app.inject({ url: '/dashboard/vendor/htm.mjs' })).body).toMatch(/\bexport\b/);
    expect(codeOf(await h.app.inject({ url: '/dashboard/vendor/react.mjs' }))).toBe('REEL_ROUTE_NOT_FOUND');
    expect((await h.app.inject({ url: '/dashboard/../src/auth.ts' })).statusCode).toBe(404);
  });

  it('keeps the API behind its keys', async () => {
    expect(codeOf(await h.app.inject({ url: '/v1/workflow-counts' }))).toBe('REEL_UNAUTHENTICATED');
  });

  it('sets the page base to the mount prefix, so its calls reach the API under it', async () => {
    const host = Fastify();
    try {
      await host.register(reelPlugin, { prefix: '/reel', client: h.client, metrics: new Registry() });
      const page = await host.inject({ url: '/reel/' });
      expect(page.body).toContain('<base href="/reel/" />');
      expect((await host.inject({ url: '/reel/dashboard/app.js' })).statusCode).toBe(200);
    } finally {
      await host.close();
    }
  });
});

describe('GET /v1/whoami', () => {
  it("answers the key's scopes, and none for a missing or unknown key", async () => {
    const me = (headers = {}) => h.app.inject({ url: '/v1/whoami', headers }).then((r) => r.json());
    expect(await me(reader)).toEqual({ keysRequired: true, scopes: ['read'] });
    expect(await me()).toEqual({ keysRequired: true, scopes: [] });
    expect(await me({ authorization: 'Bearer not-a-key' })).toEqual({ keysRequired: true, scopes: [] });
  });

  it('answers every scope when the server has no keys', async () => {
    const open = buildServer({ client: h.client, metrics: new Registry(), logger: false });
    try {
      const me = (await open.inject({ url: '/v1/whoami' })).json();
      expect(me).toEqual({ keysRequired: false, scopes: ['read', 'write', 'admin'] });
    } finally {
      await open.close();
    }
  });
});

describe('GET /v1/workflow-counts', () => {
  it('counts the runs the filter matches in each status', async () => {
    await Promise.all(
      [h.client.start('quick', 1), h.client.start('quick', 2)].map(async (s) => (await s).result()),
    );
    await h.client.start('waiting', undefined, { id: 'counted-waiting' });
    const counts = async (query: string) => {
      const res = await h.app.inject({ url: `/v1/workflow-counts${query}`, headers: reader });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().counts;
    };
    expect(await counts('')).toEqual({
      running: 1,
      parked: 0,
      completed: 2,
      failed: 0,
      cancelled: 0,
      terminated: 0,
      continued: 0,
      reset: 0,
    });
    expect(await counts('?type=waiting')).toMatchObject({ running: 1, completed: 0 });
    expect(await counts(`?createdAfter=${new Date(Date.now() + 60_000).toISOString()}`)).toMatchObject({
      running: 0,
      completed: 0,
    });
    const bad = await h.app.inject({ url: '/v1/workflow-counts?status=running', headers: reader });
    expect(bad.statusCode).toBe(400);
  });
});
