import type { Client } from '@reel/sdk';
import type { Registry } from '@reel/worker/prometheus';
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { HookOptions } from './hooks/hook-options.ts';

/**
 * What an API key may do: `read` the GET routes and queries, `write` start/signal/cancel and
 * create/pause/resume/trigger schedules, `admin` all of it plus terminate and deleting schedules.
 */
export type Scope = 'read' | 'write' | 'admin';

/** A bearer API key and the scopes it grants. */
export interface ApiKey {
  key: string;
  scopes: Scope[];
}

/**
 * Bearer JWTs accepted beside (or instead of) API keys: signed with HS256 by a shared `secret`, or
 * by a key from `jwksUrl`. Exactly one of the two.
 */
export interface JwtAuthOptions {
  /** HS256 shared secret, at least 32 bytes. */
  secret?: string;
  /** URL of the identity provider's JSON Web Key Set, e.g. `https://idp.example.com/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** When set, the `iss` claim must equal it. */
  issuer?: string;
  /** When set, the `aud` claim must contain it. */
  audience?: string;
  /** The claim holding the scopes, a space-separated string or an array. Default `scope`. */
  scopeClaim?: string;
  /** What precedes `read`, `write` and `admin` in that claim, e.g. `reel:`. Default none. */
  scopePrefix?: string;
}

/** Options of `reelPlugin`. */
export interface ReelPluginOptions {
  /** A `Client` you own (you close it), or a connection string (the server makes one and closes it on `app.close()`). */
  client: Client | { connectionString: string };
  /**
   * Where `GET /v1/workflows` and `GET /v1/workflow-counts`, the reads over many runs, go: a read
   * replica's `Client` or connection string. Default `client`. Every other route, reads of one
   * workflow included, stays on `client`, the primary (docs/scaling.md#read-replicas).
   */
  readClient?: Client | { connectionString: string };
  /** When set and non-empty, every route but /healthz and /readyz needs `Authorization: Bearer <key>` (or a JWT, with `jwt`). */
  apiKeys?: ApiKey[];
  /** Accept bearer JWTs, their scopes taken from a claim; with or without `apiKeys`. */
  jwt?: JwtAuthOptions;
  /**
   * Named webhook triggers, served at `POST /v1/hooks/<name>`: each checks its provider's signature,
   * then starts (or signals) a workflow once per delivery id. See docs/webhooks.md.
   */
  hooks?: Record<string, HookOptions>;
  /** Largest accepted request body, in bytes. Default Fastify's 1 MiB. */
  bodyLimit?: number;
  /** The prom-client registry `/metrics` exposes; pass the worker's to share one. Default prom-client's global registry. */
  metrics?: Registry;
  /** Serve /openapi.json and /docs without a key even when keys are configured. Default false. */
  publicDocs?: boolean;
}

/** Options of `buildServer`: the plugin's, plus the logger. */
export interface ServerOptions extends ReelPluginOptions {
  /**
   * A pino logger (any logger Fastify takes as `loggerInstance`), pino options, `true`, or `false`
   * for none. Default: pino to stdout at `REEL_LOG_LEVEL`, else `info`, as a worker's. Credentials
   * in request URLs are redacted in every case.
   */
  logger?: FastifyBaseLogger | FastifyServerOptions['logger'];
}
