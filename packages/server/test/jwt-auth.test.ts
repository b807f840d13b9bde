import { createServer, type Server } from 'node:http';
import { useTestDatabase } from '@reel/testing/vitest';
import { Registry } from '@reel/worker/prometheus';
import type { FastifyInstance } from 'fastify';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier } from '../src/jwt.ts';
import type { JwtAuthOptions } from '../src/options.ts';
import { buildServer } from '../src/server.ts';
import { useHarness } from './helpers.ts';

const db = useTestDatabase();
const secret = 'a-shared-secret-of-at-least-32-bytes!';
const h = useHarness(db, {
  apiKeys: [{ key: 'admin-key-0123', scopes: ['admin'] }],
  jwt: { secret, issuer: 'https://idp.test', audience: 'reel' },
});

const hs256 = (claims: JWTPayload, key = secret, expires: string | number = '5m') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://idp.test')
    .setAudience('reel')
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(new TextEncoder().encode(key));

/** Real HTTP: each app listens on a loopback port and is called with fetch. */
async function listen(app: FastifyInstance) {
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return async (method: string, path: string, token: string) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: method === 'POST' ? JSON.stringify({ type: 'waiting', id: `jwt-${Math.random()}` }) : undefined,
    });
    const body = (await res.json()) as { error?: { code: string; message: string }; scopes?: string[] };
    return { status: res.status, code: body.error?.code, message: body.error?.message, body };
  };
}

let call: Awaited<ReturnType<typeof listen>>;
beforeAll(async () => {
  call = await listen(h.app);
});

describe('JWT bearer auth (HS256)', () => {
  it('lets a token with the read scope read, and refuses it writing with 403', async () => {
    const reader = await hs256({ scope: 'openid read' });
    expect(await call('GET', '/v1/workflows', reader)).toMatchObject({ status: 200 });
    expect(await call('POST', '/v1/workflows', reader)).toMatchObject({
      status: 403,
      code: 'REEL_FORBIDDEN',
      message: expect.stringContaining("lack the 'write' scope"),
    });
    expect((await call('GET', '/v1/whoami', reader)).body).toEqual({ keysRequired: true, scopes: ['read'] });
  });

  it('refuses a token of the wrong scope, and one with no Reel scope, with 403', async () => {
    for (const scope of ['write', 'profile email']) {
      expect(await call('GET', '/v1/workflows', await hs256({ scope })), scope).toMatchObject({
        status: 403,
        code: 'REEL_FORBIDDEN',
      });
    }
  });

  it('lets a write token start a workflow, and keeps API keys working beside tokens', async () => {
    expect(await call('POST', '/v1/workflows', await hs256({ scope: 'write' }))).toMatchObject({
      status: 201,
    });
    expect(await call('GET', '/v1/workflows', 'admin-key-0123')).toMatchObject({ status: 200 });
  });

  it('answers 401 for an expired token, a bad signature, another issuer or audience', async () => {
    const past = Math.floor(Date.now() / 1000) - 60;
    const cases: [string, string, RegExp][] = [
      ['expired', await hs256({ scope: 'admin' }, secret, past), /has expired/],
      [
        'bad signature',
        await hs256({ scope: 'admin' }, `${secret}-not-the-same`),
        /signature verification failed/,
      ],
      [
        'other issuer',
        await new SignJWT({ scope: 'admin' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('https://elsewhere.test')
          .setAudience('reel')
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(secret)),
        /"iss" claim/,
      ],
      [
        'no audience',
        await new SignJWT({ scope: 'admin' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('https://idp.test')
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(secret)),
        /"aud" claim/,
      ],
    ];
    for (const [name, token, message] of cases) {
      expect(await call('GET', '/v1/workflows', token), name).toMatchObject({
        status: 401,
        code: 'REEL_UNAUTHENTICATED',
        message: expect.stringMatching(message),
      });
      expect((await call('GET', '/v1/whoami', token)).body, name).toEqual({ keysRequired: true, scopes: [] });
    }
  });

  it('refuses options that cannot verify anything', () => {
    const invalid = (options: JwtAuthOptions) => () => createJwtVerifier(options);
    for (const options of [
      {},
      { secret, jwksUrl: 'https://idp.test/jwks' },
      { secret: 'short' },
      { jwksUrl: 'not a url' },
    ]) {
      expect(invalid(options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'REEL_INVALID_ARGUMENT' }),
      );
    }
  });
});

describe('JWT bearer auth (JWKS)', () => {
  let jwks: Server;
  let app: FastifyInstance;
  let jwksCall: typeof call;
  let sign: (claims: JWTPayload, key?: CryptoKey) => Promise<string>;
  let otherKey: CryptoKey;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const body = JSON.stringify({
      keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }],
    });
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as { port: number };
    sign = (claims, key = privateKey) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setExpirationTime('5m').sign(key);
    app = buildServer({
      client: h.client,
      metrics: new Registry(),
      logger: false,
      jwt: {
        jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        scopeClaim: 'permissions',
        scopePrefix: 'reel:',
      },
    });
    jwksCall = await listen(app);
  });
  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  it('verifies against the served key set, scopes from an array claim after a prefix', async () => {
    const reader = await sign({ permissions: ['reel:read', 'billing:write'] });
    expect(await jwksCall('GET', '/v1/workflows', reader)).toMatchObject({ status: 200 });
    expect(await jwksCall('POST', '/v1/workflows', reader)).toMatchObject({
      status: 403,
      code: 'REEL_FORBIDDEN',
    });
    // `write` without the prefix is some other system's scope.
    expect(await jwksCall('GET', '/v1/workflows', await sign({ permissions: ['read'] }))).toMatchObject({
      status: 403,
    });
  });

  it('answers 401 for a token signed by a key not in the set', async () => {
    expect(
      await jwksCall('GET', '/v1/workflows', await sign({ permissions: ['reel:admin'] }, otherKey)),
    ).toMatchObject({
      status: 401,
      code: 'REEL_UNAUTHENTICATED',
    });
  });
});
