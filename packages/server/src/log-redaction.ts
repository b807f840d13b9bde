import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

/** Query parameters whose value is a credential: `key`, `api_key`, `token`, `secret`, `password`, `auth…`, `sig…`. */
const SECRET_PARAM = /key|token|secret|passw|auth|sig|credential/i;

/** Header paths never logged, whatever a serializer puts in a log line. */
const SECRET_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'request.headers.authorization',
  'request.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

/**
 * `url` with the values of credential-like query parameters replaced by `[redacted]`. A key sent
 * as `?key=…` is refused, but it would otherwise sit in the request logs for anyone who reads them.
 * @example redactUrl('/v1/workflows?key=s3cret&type=a') // '/v1/workflows?key=[redacted]&type=a'
 */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && SECRET_PARAM.test(safeDecode(name)) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, at)}?${query.join('&')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/**
 * Fastify's logger options with secrets kept out: request URLs go through `redactUrl` (after the
 * caller's own `req` serializer, if any), and `authorization` and `cookie` headers are censored.
 */
export function redactingLogger(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return logger;
  const options = logger === true ? {} : (logger as Exclude<typeof logger, boolean>);
  const own = (options as { serializers?: Record<string, (value: unknown) => unknown> }).serializers ?? {};
  const redact = (options as { redact?: string[] | { paths: string[] } }).redact;
  const paths = Array.isArray(redact) ? redact : (redact?.paths ?? []);
  return {
    ...options,
    serializers: { ...own, req: redactingRequest(own.req) },
    redact: {
      ...(Array.isArray(redact) || !redact ? {} : redact),
      paths: [...paths, ...SECRET_PATHS],
    },
  } as FastifyServerOptions['logger'];
}

/**
 * A child of a logger you made (a pino instance) whose request lines go through `redactUrl`. Its
 * own redaction stays as you configured it: pino would replace, not extend, it for a child.
 */
export function redactingInstance(logger: FastifyBaseLogger): FastifyBaseLogger {
  // Fastify reads the serializers of the instance it is given, and lets them win over its own.
  return logger.child({}, { serializers: { req: redactingRequest() } });
}

/** Fastify's request serializer (or `own`), with credentials taken out of the URL. */
function redactingRequest(own?: (req: LoggedRequest) => unknown): (req: LoggedRequest) => unknown {
  return (req) => {
    const out = (own?.(req) ?? {
      method: req.method,
      url: req.url,
      host: req.host,
      remoteAddress: req.ip,
      remotePort: req.socket?.remotePort,
    }) as { url?: unknown };
    return typeof out.url === 'string' ? { ...out, url: redactUrl(out.url) } : out;
  };
}
