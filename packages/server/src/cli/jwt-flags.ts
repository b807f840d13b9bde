import type { JwtAuthOptions } from '../options.ts';
import { type Parsed, str } from './args.ts';

/** `reel server`'s JWT options, each also read from its environment variable. */
export const JWT_FLAGS = {
  'jwt-secret': { type: 'string' },
  'jwt-jwks-url': { type: 'string' },
  'jwt-issuer': { type: 'string' },
  'jwt-audience': { type: 'string' },
  'jwt-scope-claim': { type: 'string' },
  'jwt-scope-prefix': { type: 'string' },
} as const;

/** JWT auth from the flags or `REEL_JWT_*`, or undefined when neither a secret nor a JWKS URL is given. */
export function jwtFromFlags(parsed: Parsed): JwtAuthOptions | undefined {
  const value = (name: keyof typeof JWT_FLAGS) =>
    str(parsed, name) ?? (process.env[`REEL_${name.toUpperCase().replaceAll('-', '_')}`] || undefined);
  const secret = value('jwt-secret');
  const jwksUrl = value('jwt-jwks-url');
  if (secret === undefined && jwksUrl === undefined) return undefined;
  return {
    secret,
    jwksUrl,
    issuer: value('jwt-issuer'),
    audience: value('jwt-audience'),
    scopeClaim: value('jwt-scope-claim'),
    scopePrefix: value('jwt-scope-prefix'),
  };
}
