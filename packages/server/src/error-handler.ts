import { isConnectionError, ReelError } from '@reel/sdk';
import type { FastifyError, FastifyInstance } from 'fastify';
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
    case 429:
      return answer(429, ServerErrorCodes.RATE_LIMITED, 'Too many requests; retry later.');
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
