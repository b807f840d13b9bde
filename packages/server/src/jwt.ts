import { ErrorCodes } from '@reel/sdk';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { reelError, ServerErrorCodes } from './errors.ts';
import type { JwtAuthOptions, Scope } from './options.ts';

const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];
/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash, 256 bits. */
const MIN_SECRET_BYTES = 32;

/** Verifies a bearer JWT: its scopes, or a `REEL_UNAUTHENTICATED` (bad token) or `REEL_UNAVAILABLE` (JWKS unreachable) error. */
export type JwtVerifier = (token: string) => Promise<Scope[]>;

/**
 * A verifier for `options`: HS256 against a shared secret, or any asymmetric algorithm against the
 * keys a JWKS URL serves (fetched on first use and cached by `jose`, refetched for an unknown `kid`).
 */
export function createJwtVerifier(options: JwtAuthOptions): JwtVerifier {
  const { secret, jwksUrl, issuer, audience, scopeClaim = 'scope', scopePrefix = '' } = options;
  if ((secret === undefined) === (jwksUrl === undefined)) {
    throw reelError(
      ErrorCodes.INVALID_ARGUMENT,
      'JWT auth needs exactly one of `secret` (HS256) or `jwksUrl`.',
    );
  }
  if (secret !== undefined && Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
    throw reelError(
      ErrorCodes.INVALID_ARGUMENT,
      `A JWT secret must be at least ${MIN_SECRET_BYTES} bytes (256 bits) for HS256; generate one with \`openssl rand -base64 32\`.`,
    );
  }
  const claims = { issuer, audience };
  let verify: (token: string) => Promise<{ payload: JWTPayload }>;
  if (secret !== undefined) {
    const key = new TextEncoder().encode(secret);
    verify = (token) => jwtVerify(token, key, { ...claims, algorithms: ['HS256'] });
  } else {
    const keys = createRemoteJWKSet(parseUrl(jwksUrl));
    verify = (token) => jwtVerify(token, keys, claims);
  }
  return async (token) => {
    try {
      const { payload } = await verify(token);
      return scopesOf(payload[scopeClaim], scopePrefix);
    } catch (err) {
      throw explain(err, jwksUrl);
    }
  };
}

/** `read`, `write` and `admin` from a space-separated string or an array, after `prefix`; others ignored. */
function scopesOf(claim: unknown, prefix: string): Scope[] {
  const values = typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim : [];
  return SCOPES.filter((scope) => values.includes(`${prefix}${scope}`));
}

function explain(err: unknown, jwksUrl: string | undefined): unknown {
  if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
    // The key set could not be fetched: not the caller's fault, and worth retrying.
    return reelError(
      ServerErrorCodes.UNAVAILABLE,
      `Could not fetch the JWT key set from ${jwksUrl}: ${(err as Error).message}. Try again; check that the URL is reachable from the server.`,
      { cause: err },
    );
  }
  const why =
    err instanceof errors.JWTExpired
      ? 'it has expired: get a new one'
      : err instanceof errors.JWTClaimValidationFailed
        ? `its "${err.claim}" claim is not what the server expects (${err.message})`
        : `${err.message}; check that it is signed with the key the server is configured with`;
  return reelError(ServerErrorCodes.UNAUTHENTICATED, `The bearer token is not valid: ${why}.`, {
    cause: err,
  });
}

function parseUrl(text: string | undefined): URL {
  try {
    return new URL(text as string);
  } catch {
    throw reelError(ErrorCodes.INVALID_ARGUMENT, `The JWKS URL ${JSON.stringify(text)} is not a URL.`);
  }
}
