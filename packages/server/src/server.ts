import { loggerOptions } from '@reel/sdk';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { clientErrorHandler, frameworkErrors } from './error-handler.ts';
import { reelError, ServerErrorCodes } from './errors.ts';
import { redactingInstance, redactingLogger } from './log-redaction.ts';
import type { ServerOptions } from './options.ts';
import { reelPlugin } from './plugin.ts';

/**
 * A Fastify app serving Reel's API at the root. Not listening yet: call `listen`, or use
 * `startServer`, or drive it with `app.inject()` in tests.
 * @example
 * const app = buildServer({ client: { connectionString: process.env.DATABASE_URL! }, apiKeys });
 * await app.listen({ port: 8080 });
 */
export function buildServer(options: ServerOptions): FastifyInstance {
  const logger = options.logger ?? loggerOptions(process.env.REEL_LOG_LEVEL || 'info');
  const app = Fastify({
    ...(isLoggerInstance(logger)
      ? { loggerInstance: redactingInstance(logger) }
      : { logger: redactingLogger(logger) }),
    bodyLimit: options.bodyLimit,
    // Workflow ids and names run to 256 characters, three times that once percent-encoded.
    routerOptions: { maxParamLength: 1024 },
    // Bodies are taken as sent: an unknown property ("imput") is rejected rather than dropped, and
    // `"args": "x"` is an error rather than coerced to ["x"]. Query strings are matched as text.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    // Errors raised before any route runs get Reel's error body as well.
    frameworkErrors,
    clientErrorHandler,
  });
  const { logger: _logger, ...pluginOptions } = options;
  app.register(reelPlugin, pluginOptions);
  return app;
}

/** A logger made already (pino's, Fastify's `app.log`), rather than options to make one with. */
function isLoggerInstance(logger: NonNullable<ServerOptions['logger']>): logger is FastifyBaseLogger {
  const l = logger as Partial<FastifyBaseLogger>;
  return typeof l === 'object' && typeof l.child === 'function' && typeof l.info === 'function';
}

export interface StartServerOptions extends ServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Listen beyond loopback without API keys or JWT auth (e.g. behind an authenticating proxy). Default false. */
  allowInsecure?: boolean;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    h === 'localhost' ||
    h === '::1' ||
    /^127\.\d+\.\d+\.\d+$/.test(h) ||
    /^::ffff:127\.\d+\.\d+\.\d+$/.test(h)
  );
}

/**
 * Builds the app and listens. Refuses to listen beyond loopback without API keys, because anyone
 * who reaches the port could then start, signal and terminate workflows.
 */
export async function startServer(
  options: StartServerOptions,
): Promise<{ app: FastifyInstance; url: string }> {
  const { host = '127.0.0.1', port = 8080, allowInsecure = false, ...serverOptions } = options;
  if (!isLoopback(host) && !options.apiKeys?.length && !options.jwt && !allowInsecure) {
    throw reelError(
      ServerErrorCodes.INSECURE_BIND,
      `Refusing to listen on ${host} without API keys or JWT auth: anyone who can reach it could start, signal and terminate workflows. ` +
        'Configure apiKeys (REEL_API_KEYS for the CLI) or jwt, listen on 127.0.0.1, or pass allowInsecure: true (--allow-insecure) when a proxy in front authenticates.',
    );
  }
  const app = buildServer(serverOptions);
  try {
    const url = await app.listen({ host, port });
    return { app, url };
  } catch (err) {
    await app.close();
    throw err;
  }
}
