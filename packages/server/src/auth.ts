import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCodes } from '@reel/sdk';
import type { FastifyInstance } from 'fastify';
import { reelError, ServerErrorCodes } from './errors.ts';
import { createJwtVerifier } from './jwt.ts';
import type { ApiKey, JwtAuthOptions, Scope } from './options.ts';

/** The scope a route needs; `public` routes need no key. */
export type RouteScope = Scope | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope this route needs when API keys are configured. Default: `read` for GET, `write` otherwise. */
    scope?: RouteScope;
  }
}

const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

/**
 * Parses `REEL_API_KEYS`: `key1:read,write;key2:admin`.
 * @example parseApiKeys(process.env.REEL_API_KEYS ?? '')
 */
export function parseApiKeys(text: string): ApiKey[] {
  return text
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const at = part.lastIndexOf(':');
      if (at <= 0) {
        throw reelError(
          ErrorCodes.INVALID_ARGUMENT,
          'Each API key in REEL_API_KEYS is written key:scope[,scope], e.g. "s3cret:read,write;0ther:admin".',
        );
      }
      const scopes = part
        .slice(at + 1)
        .split(',')
        .map((s) => s.trim()) as Scope[];
      return checkKey({ key: part.slice(0, at), scopes });
    });
}

function checkKey(key: ApiKey): ApiKey {
  if (typeof key?.key !== 'string' || key.key === '')
    throw reelError(ErrorCodes.INVALID_ARGUMENT, 'An API key must be a non-empty string.');
  if (!Array.isArray(key.scopes) || key.scopes.length === 0 || key.scopes.some((s) => !SCOPES.includes(s))) {
    throw reelError(
      ErrorCodes.INVALID_ARGUMENT,
      `An API key's scopes are one or more of ${SCOPES.join(', ')}, not ${JSON.stringify(key.scopes)}.`,
    );
  }
  return key;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Returns the scopes granted to an `Authorization` header, or undefined for no or a bad key.
 * Digests are compared, never the keys, so neither a key's content nor its length leaks through
 * timing; every configured key is compared on every call.
 */
export function createAuthenticator(keys: ApiKey[]): Authenticator {
  const known = keys.map((k) => ({ digest: digest(checkKey(k).key), scopes: [...k.scopes] }));
  return (authorization) => {
    const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
    if (!match) return undefined;
    const presented = digest(match[1] as string);
    let granted: Scope[] | undefined;
    for (const k of known) if (timingSafeEqual(presented, k.digest)) granted = k.scopes;
    return granted;
  };
}

/** `admin` implies every scope; `read` and `write` are independent. */
export function allows(granted: readonly Scope[], needed: Scope): boolean {
  return granted.includes('admin') || granted.includes(needed);
}

/** Checks an `Authorization` header: the scopes it grants, or undefined for no or a bad key. */
export type Authenticator = (authorization: string | undefined) => Scope[] | undefined;

/**
 * Checks an `Authorization` header against the API keys, then as a JWT: the scopes it grants,
 * undefined for no or an unknown key, or a thrown `REEL_UNAUTHENTICATED` for a bad token.
 */
export type RequestAuthenticator = (authorization: string | undefined) => Promise<Scope[] | undefined>;

/** A JWT's three base64url parts; anything else is taken as an API key. */
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * Adds the hook that checks credentials and scopes on every route of `app`'s context, and returns
 * its authenticator. Without keys or JWT options, adds nothing and returns one that grants every scope.
 */
export function installAuth(
  app: FastifyInstance,
  keys: ApiKey[] | undefined,
  jwt: JwtAuthOptions | undefined,
): RequestAuthenticator {
  if (!keys?.length && !jwt) return async () => [...SCOPES];
  const byKey = createAuthenticator(keys ?? []);
  const byToken = jwt && createJwtVerifier(jwt);
  const authenticate: RequestAuthenticator = async (authorization) => {
    const granted = byKey(authorization);
    const token = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
    if (granted || !byToken || !token || !JWT_SHAPE.test(token)) return granted;
    return byToken(token);
  };
  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const needed =
      request.routeOptions.config.scope ??
      (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write');
    if (needed === 'public') return;
    const { authorization } = request.headers;
    const granted = await authenticate(authorization);
    if (!granted) {
      // Both are 401, but the fix differs: send a key, or fix the one sent.
      throw reelError(
        ServerErrorCodes.UNAUTHENTICATED,
        authorization === undefined
          ? `This server needs ${jwt ? 'an API key or a JWT' : 'an API key'}: send "Authorization: Bearer <${jwt ? 'key or token' : 'key'}>".`
          : /^Bearer +\S+ *$/i.test(authorization)
            ? 'This API key is not one the server knows: check it for a typo, or whether it was rotated.'
            : 'The Authorization header must be "Bearer <key>".',
      );
    }
    if (!allows(granted, needed)) {
      throw reelError(
        ServerErrorCodes.FORBIDDEN,
        `These credentials lack the '${needed}' scope that ${request.method} ${request.routeOptions.url} needs.`,
      );
    }
  });
  return authenticate;
}
