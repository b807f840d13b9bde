import { Writable } from 'node:stream';
import { useTestDatabase } from '@reel/testing/vitest';
import { Registry } from '@reel/worker/prometheus';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { allows, createAuthenticator, parseApiKeys } from '../src/auth.ts';
import { buildServer, isLoopback, startServer } from '../src/server.ts';
import { codeOf, useHarness } from './helpers.ts';

const db = useTestDatabase();
const apiKeys = parseApiKeys('reader-key-0123:read; writer-key-0123:write ;admin-key-0123:admin');
const h = useHarness(db, { apiKeys });

const as = (key: string | undefined) => (key === undefined ? {} : { authorization: `Bearer ${key}` });
const start = (key: string | undefined, id: string) =>
  h.app.inject({ method: 'POST', url: '/v1/workflows', headers: as(key), payload: { type: 'waiting', id } });

describe('API keys', () => {
  it('parses REEL_API_KEYS and rejects malformed entries', () => {
    expect(apiKeys).toEqual([
      { key: 'reader-key-0123', scopes: ['read'] },
      { key: 'writer-key-0123', scopes: ['write'] },
      { key: 'admin-key-0123', scopes: ['admin'] },
    ]);
    expect(parseApiKeys('a:b:read,write')).toEqual([{ key: 'a:b', scopes: ['read', 'write'] }]);
    expect(parseApiKeys(' ; ')).toEqual([]);
    for (const bad of ['justakey', ':read', 'k:', 'k:read,root']) {
      expect(() => parseApiKeys(bad), bad).toThrow(
        expect.objectContaining({ code: 'REEL_INVALID_ARGUMENT' }),
      );
    }
  });

  it('compares digests, so keys of any length are checked without throwing or leaking their length', () => {
    const authenticate = createAuthenticator(apiKeys);
    expect(authenticate('Bearer reader-key-0123')).toEqual(['read']);
    expect(authenticate('bearer admin-key-0123')).toEqual(['admin']);
    for (const wrong of ['x', 'reader-key-012', 'reader-key-01234', 'r'.repeat(10_000)]) {
      expect(authenticate(`Bearer ${wrong}`), wrong).toBeUndefined();
    }
    expect(authenticate(undefined)).toBeUndefined();
    expect(authenticate('reader-key-0123')).toBeUndefined();
    expect(authenticate('Basic cmVhZGVyOmtleQ==')).toBeUndefined();
  });

  it('lets admin imply every scope and keeps read and write apart', () => {
    expect(allows(['admin'], 'read')).toBe(true);
    expect(allows(['write'], 'read')).toBe(false);
    expect(allows(['read', 'write'], 'write')).toBe(true);
  });
});

describe('routes with keys configured', () => {
  it('answers 401 without a key, with a wrong one, or one of another length', async () => {
    for (const key of [undefined, 'wrong-key-01234', 'w', 'admin-key-01234-and-more']) {
      const res = await h.app.inject({ url: '/v1/workflows', headers: as(key) });
      expect(res.statusCode, String(key)).toBe(401);
      expect(codeOf(res)).toBe('REEL_UNAUTHENTICATED');
    }
  });

  it('gives read the GET routes only', async () => {
    expect((await h.app.inject({ url: '/v1/workflows', headers: as('reader-key-0123') })).statusCode).toBe(
      200,
    );
    const denied = await start('reader-key-0123', 'by-reader');
    expect(denied.statusCode).toBe(403);
    expect(codeOf(denied)).toBe('REEL_FORBIDDEN');
  });

  it('gives write start, signal and cancel, but not reads, queries or terminate', async () => {
    expect((await start('writer-key-0123', 'by-writer')).statusCode).toBe(201);
    const signal = await h.app.inject({
      method: 'POST',
      url: '/v1/workflows/by-writer/signals/hello',
      headers: as('writer-key-0123'),
      payload: {},
    });
    expect(signal.statusCode).toBe(202);
    expect(
      (await h.app.inject({ url: '/v1/workflows/by-writer', headers: as('writer-key-0123') })).statusCode,
    ).toBe(403);
    const terminate = await h.app.inject({
      method: 'POST',
      url: '/v1/workflows/by-writer/terminate',
      headers: as('writer-key-0123'),
      payload: {},
    });
    expect(terminate.statusCode).toBe(403);
    expect(terminate.json().error.message).toContain("'admin' scope");
  });

  it('gives admin everything, terminate included', async () => {
    expect((await start('admin-key-0123', 'by-admin')).statusCode).toBe(201);
    expect(
      (await h.app.inject({ url: '/v1/workflows/by-admin', headers: as('admin-key-0123') })).statusCode,
    ).toBe(200);
    const terminate = await h.app.inject({
      method: 'POST',
      url: '/v1/workflows/by-admin/terminate',
      headers: as('admin-key-0123'),
      payload: {},
    });
    expect(terminate.statusCode).toBe(202);
  });

  it('keeps /healthz and /readyz public, and puts /metrics, /openapi.json and /docs behind read', async () => {
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await h.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    for (const url of ['/metrics', '/openapi.json', '/docs/']) {
      expect((await h.app.inject({ url })).statusCode, url).toBe(401);
      expect((await h.app.inject({ url, headers: as('reader-key-0123') })).statusCode, url).toBe(200);
    }
  });

  it('serves the docs without a key when publicDocs is set', async () => {
    const app = buildServer({ client: h.client, apiKeys, publicDocs: true, metrics: new Registry() });
    try {
      expect((await app.inject({ url: '/openapi.json' })).statusCode).toBe(200);
      expect((await app.inject({ url: '/docs/' })).statusCode).toBe(200);
      expect((await app.inject({ url: '/v1/workflows' })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});

describe('keys and logs', () => {
  it('tells a missing key, a wrong key and a malformed header apart (all 401)', async () => {
    const messages = [];
    for (const headers of [{}, as('wrong-key-01234'), { authorization: 'reader-key-0123' }]) {
      const res = await h.app.inject({ url: '/v1/workflows', headers });
      expect(res.statusCode).toBe(401);
      expect(codeOf(res)).toBe('REEL_UNAUTHENTICATED');
      messages.push(res.json().error.message);
    }
    expect(messages[0]).toContain('needs an API key');
    expect(messages[1]).toContain('not one the server knows');
    expect(messages[2]).toContain('must be "Bearer <key>"');
  });

  it('lets a read key run queries, which only read, and keeps them from a write-only key', async () => {
    const query = (key: string) =>
      h.app.inject({
        method: 'POST',
        url: '/v1/workflows/no-such-run/queries/stage',
        headers: as(key),
        payload: {},
      });
    const read = await query('reader-key-0123');
    expect(read.statusCode).toBe(404);
    expect(codeOf(read)).toBe('REEL_WORKFLOW_NOT_FOUND');
    expect((await query('writer-key-0123')).statusCode).toBe(403);
  });

  it('logs no secret: not a key sent in the query string, nor the authorization header', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const headersToo = {
      req: (req: { url: string; headers: unknown }) => ({ url: req.url, headers: req.headers }),
    };
    // Pino options, options with a serializer that logs headers, and a pino logger made already.
    const instance = Fastify({ logger: { stream } }).log;
    for (const logger of [{ stream }, { stream, serializers: headersToo }, instance]) {
      const app = buildServer({ client: h.client, apiKeys, metrics: new Registry(), logger });
      try {
        const res = await app.inject({
          url: '/v1/workflows?type=x&key=query-s3cret&api_key=other-s3cret&access_token=t0ken-s3cret',
          headers: { authorization: 'Bearer header-s3cret' },
        });
        expect(res.statusCode).toBe(401);
      } finally {
        await app.close();
      }
    }
    const log = lines.join('');
    const redacted = '/v1/workflows?type=x&key=[redacted]&api_key=[redacted]&access_token=[redacted]';
    expect(log.split(redacted)).toHaveLength(4); // one incoming-request line per logger
    expect(log).not.toMatch(/s3cret/);
  });
});

describe('startServer', () => {
  it('refuses a non-loopback host without keys unless allowInsecure', async () => {
    const options = { client: h.client, metrics: new Registry(), port: 0 };
    await expect(startServer({ ...options, host: '0.0.0.0' })).rejects.toMatchObject({
      code: 'REEL_INSECURE_BIND',
      message: expect.stringContaining('Refusing to listen on 0.0.0.0 without API keys'),
    });
    for (const listening of [
      await startServer({ ...options, host: '0.0.0.0', allowInsecure: true }),
      await startServer({ ...options, host: '0.0.0.0', apiKeys }),
      await startServer({ ...options, host: '127.0.0.1' }),
    ]) {
      expect(listening.url).toMatch(/^http:\/\/.+:\d+$/);
      await listening.app.close();
    }
  });

  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.2', 'example.com', '10.0.0.1'])
      expect(isLoopback(host), host).toBe(false);
  });
});
