import { type ErrorCode, ErrorCodes, ReelError } from '@reel/sdk';

/**
 * Codes the server itself answers with, on top of the SDK's `ErrorCodes`. Documented in
 * docs/errors.md with the SDK's (a test keeps them in step); a code once shipped is never reused.
 */
export const ServerErrorCodes = {
  /** The request does not match the route's schema, or its JSON does not parse. */
  INVALID_REQUEST: 'REEL_INVALID_REQUEST',
  PAYLOAD_TOO_LARGE: 'REEL_PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'REEL_UNSUPPORTED_MEDIA_TYPE',
  UNAUTHENTICATED: 'REEL_UNAUTHENTICATED',
  FORBIDDEN: 'REEL_FORBIDDEN',
  RATE_LIMITED: 'REEL_RATE_LIMITED',
  /** A path parameter is longer than the router accepts. */
  URI_TOO_LONG: 'REEL_URI_TOO_LONG',
  /** The request line and headers together exceed Node's `maxHeaderSize` (16 KiB by default). */
  HEADERS_TOO_LARGE: 'REEL_HEADERS_TOO_LARGE',
  /** The client did not send a whole request within Node's `requestTimeout`. */
  REQUEST_TIMEOUT: 'REEL_REQUEST_TIMEOUT',
  ROUTE_NOT_FOUND: 'REEL_ROUTE_NOT_FOUND',
  /** `POST /v1/hooks/:name` names no configured webhook. */
  WEBHOOK_NOT_FOUND: 'REEL_WEBHOOK_NOT_FOUND',
  /** A webhook delivery's signature is missing, wrong, or too old. */
  WEBHOOK_SIGNATURE_INVALID: 'REEL_WEBHOOK_SIGNATURE_INVALID',
  /** Postgres is unreachable (readiness check, or a request that needed it). */
  UNAVAILABLE: 'REEL_UNAVAILABLE',
  INTERNAL: 'REEL_INTERNAL',
  /** `startServer` was asked to listen beyond loopback with no API keys. */
  INSECURE_BIND: 'REEL_INSECURE_BIND',
  /** `HttpClient` could not reach the server, or got an answer that is not Reel's. */
  SERVER_UNREACHABLE: 'REEL_SERVER_UNREACHABLE',
} as const;

export type ServerErrorCode = (typeof ServerErrorCodes)[keyof typeof ServerErrorCodes];

/**
 * A `ReelError` carrying any code, SDK or server. `ReelError`'s constructor only types the SDK's
 * codes, so the widening happens here, in one place.
 */
export function reelError(
  code: ServerErrorCode | ErrorCode | string,
  message: string,
  options?: { cause?: unknown },
): ReelError {
  return new ReelError(code as ErrorCode, message, options);
}

/**
 * The HTTP status each code is answered with. Request-shape problems are 400; well-formed requests
 * naming something the engine does not know (a workflow type, a query), or a query handler that
 * threw, are 422. A ReelError whose code is not here is answered as 500 REEL_INTERNAL.
 */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  [ErrorCodes.INVALID_ARGUMENT]: 400,
  [ErrorCodes.INVALID_DURATION]: 400,
  [ErrorCodes.INVALID_SCHEDULE]: 400,
  [ErrorCodes.NOT_SERIALIZABLE]: 400,
  [ErrorCodes.INVALID_RESET_POINT]: 400,
  [ServerErrorCodes.INVALID_REQUEST]: 400,
  [ErrorCodes.UNKNOWN_WORKFLOW_TYPE]: 422,
  [ErrorCodes.UNKNOWN_QUERY]: 422,
  [ErrorCodes.QUERY_FAILED]: 422,
  [ErrorCodes.UPDATE_REJECTED]: 422,
  [ErrorCodes.UPDATE_FAILED]: 422,
  [ServerErrorCodes.UNAUTHENTICATED]: 401,
  [ServerErrorCodes.WEBHOOK_SIGNATURE_INVALID]: 401,
  [ServerErrorCodes.FORBIDDEN]: 403,
  [ErrorCodes.WORKFLOW_NOT_FOUND]: 404,
  [ErrorCodes.SCHEDULE_NOT_FOUND]: 404,
  [ErrorCodes.BATCH_NOT_FOUND]: 404,
  [ServerErrorCodes.ROUTE_NOT_FOUND]: 404,
  [ServerErrorCodes.WEBHOOK_NOT_FOUND]: 404,
  [ErrorCodes.WORKFLOW_ALREADY_STARTED]: 409,
  [ErrorCodes.WORKFLOW_CLOSED]: 409,
  [ErrorCodes.SCHEDULE_EXISTS]: 409,
  [ErrorCodes.BATCH_EXISTS]: 409,
  [ServerErrorCodes.REQUEST_TIMEOUT]: 408,
  [ServerErrorCodes.PAYLOAD_TOO_LARGE]: 413,
  [ServerErrorCodes.URI_TOO_LONG]: 414,
  [ServerErrorCodes.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ServerErrorCodes.RATE_LIMITED]: 429,
  [ServerErrorCodes.HEADERS_TOO_LARGE]: 431,
  [ServerErrorCodes.INTERNAL]: 500,
  [ServerErrorCodes.UNAVAILABLE]: 503,
  [ErrorCodes.NO_WORKER]: 503,
  [ErrorCodes.TIMEOUT]: 504,
  [ErrorCodes.QUERY_TIMEOUT]: 504,
};
