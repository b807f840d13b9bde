import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { isConnectionError, ReelError } from '@reel/sdk';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServerErrorCodes, STATUS_BY_CODE } from './errors.ts';

/** The body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/**
 * Maps anything a route threw to a status and a stable code. Only ReelErrors and Fastify's own
 * 4xx errors keep their message; anything else is answered with a generic one (and logged), so a
 * stack trace or a SQL detail never reaches the caller.
 */
export function toHttpError(err: unknown): { status: number; body: ErrorBody } {
  const answer = (status: number, code: string, message: string) => ({
    status,
    body: { error: { code, message } },
  });
  if (err instanceof ReelError) {
    const status = STATUS_BY_CODE[err.code];
    if (status !== undefined) return answer(status, err.code, err.message);
  }
  const e = err as Partial<FastifyError> & { errors?: unknown[] };
  if (e?.validation) return answer(400, ServerErrorCodes.INVALID_REQUEST, `Invalid request: ${e.message}.`);
  switch (e?.statusCode) {
    case 408:
      return answer(
        408,
        ServerErrorCodes.REQUEST_TIMEOUT,
        'The request did not arrive in time (requestTimeout).',
      );
    case 413:
      return answer(
        413,
        ServerErrorCodes.PAYLOAD_TOO_LARGE,
        'The request body is larger than this server accepts (bodyLimit).',
      );
    case 415:
      return answer(
        415,
        ServerErrorCodes.UNSUPPORTED_MEDIA_TYPE,
        `${e.message}. Send JSON with "Content-Type: application/json".`,
      );
    case 414:
      return answer(
        414,
        ServerErrorCodes.URI_TOO_LONG,
        'A path parameter is longer than this server accepts (1024 characters once percent-encoded).',
      );
    case 429:
      return answer(429, ServerErrorCodes.RATE_LIMITED, 'Too many requests; retry later.');
    case 431:
      return answer(
        431,
        ServerErrorCodes.HEADERS_TOO_LARGE,
        'The URL and headers are larger than this server accepts (16 KiB by default).',
      );
  }
  if (e?.code === 'FST_ERR_BAD_URL') {
    return answer(
      400,
      ServerErrorCodes.INVALID_REQUEST,
      'Invalid request: the path is not valid percent-encoded UTF-8.',
    );
  }
  if (
    typeof e?.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500 &&
    e.code?.startsWith('FST_')
  ) {
    return answer(400, ServerErrorCodes.INVALID_REQUEST, `Invalid request: ${e.message}.`);
  }
  if (isConnectionError(err))
    return answer(503, ServerErrorCodes.UNAVAILABLE, 'Postgres is not reachable right now; retry shortly.');
  return answer(
    500,
    ServerErrorCodes.INTERNAL,
    'The server failed to handle this request; the error has been logged.',
  );
}

/** Answers errors and unknown routes of `app`'s context as `{ error: { code, message } }`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const { status, body } = toHttpError(err);
    if (status >= 500) request.log.error({ err }, 'request failed');
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: {
        code: ServerErrorCodes.ROUTE_NOT_FOUND,
        message: `No route ${request.method} ${request.url.split('?')[0]}. See /openapi.json for the routes.`,
      },
    }),
  );
}

/**
 * Fastify's `frameworkErrors` option: errors raised before routing (a path that does not decode, a
 * path parameter over `maxParamLength`) get Reel's error body too. Pass it when you build the
 * Fastify instance that mounts `reelPlugin`; `buildServer` does.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toHttpError(err);
  if (status >= 500) request.log.error({ err }, 'request failed');
  void reply.status(status).send(body);
}

/**
 * Fastify's `clientErrorHandler` option: a request Node's HTTP parser refuses (malformed, headers
 * over `maxHeaderSize`, too slow) never reaches Fastify's routing, so it is answered on the socket,
 * still as `{ error: { code, message } }`.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const statusCode =
    err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : undefined;
  const { status, body } = statusCode
    ? toHttpError({ statusCode })
    : {
        status: 400,
        body: {
          error: {
            code: ServerErrorCodes.INVALID_REQUEST,
            message: 'Invalid request: the HTTP request is malformed.',
          },
        },
      };
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(err);
}
