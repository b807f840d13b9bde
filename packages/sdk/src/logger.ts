import { type Logger as PinoLogger, pino } from 'pino';
import { ErrorCodes, ReelError } from './errors.ts';

/** One log method, in pino's calling convention: the line's fields first, then its message. */
export type LogFn = (fields: Record<string, unknown>, message: string) => void;

/**
 * A pino-compatible logger, which `Worker`, `Client` and the server write to. A pino logger fits as
 * it is, and so does Fastify's `app.log`; another library fits behind these five methods.
 * @example
 * import pino from 'pino';
 * const worker = await Worker.create({ connectionString, workflows, logger: pino({ level: 'debug' }) });
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger that adds `bindings` to every line it writes (pino's child loggers). */
  child(bindings: Record<string, unknown>): Logger;
}

/** The levels `REEL_LOG_LEVEL` may name, quietest last. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * Field names whose values never reach a log line, whoever logs them: `{ connectionString }` or
 * `{ headers: { authorization } }` is written with `[redacted]` in their place.
 */
export const REDACTED_FIELDS = [
  'password',
  'connectionString',
  'apiKey',
  'apiKeys',
  'authorization',
  'cookie',
  '*.password',
  '*.connectionString',
  '*.apiKey',
  '*.authorization',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
];

/**
 * The logger `Worker`, `Client` and the server use when given none: pino writing JSON lines to
 * stdout, at `level` (default `REEL_LOG_LEVEL`, else `info`), with `REDACTED_FIELDS` censored. Being
 * pino, it also fits where Fastify wants a logger (`buildServer({ logger })`).
 */
export function defaultLogger(level: string = process.env.REEL_LOG_LEVEL || 'info'): PinoLogger {
  return pino(loggerOptions(level));
}

/** pino's options for Reel's default logger at `level`: for Fastify (`buildServer`) as for `pino()`. */
export function loggerOptions(level: string): { level: string; redact: { paths: string[]; censor: string } } {
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new ReelError(
      ErrorCodes.INVALID_ARGUMENT,
      `Unknown log level ${JSON.stringify(level)} (REEL_LOG_LEVEL?); use one of ${LOG_LEVELS.join(', ')}.`,
    );
  return { level, redact: { paths: REDACTED_FIELDS, censor: '[redacted]' } };
}

/** `err` as a log field: its message, and its code when it has one (a `ReelError`'s, or Postgres's). */
export function errorFields(err: unknown): { message: string; code?: string } {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' ? { message, code: e.code } : { message };
}

/**
 * A logger that writes `bindings` with every line through `parent`, as a child of it would, without
 * making one until asked for a child: a pino child costs microseconds to make, and a worker would
 * make one for every run (or task) it takes, most of which never write a line.
 */
export function boundLogger(parent: Logger, bindings: Record<string, unknown>): Logger {
  return new BoundLogger(parent, bindings);
}

class BoundLogger implements Logger {
  constructor(
    private readonly parent: Logger,
    private readonly bindings: Record<string, unknown>,
  ) {}

  debug(fields: Record<string, unknown>, message: string): void {
    this.parent.debug({ ...this.bindings, ...fields }, message);
  }

  info(fields: Record<string, unknown>, message: string): void {
    this.parent.info({ ...this.bindings, ...fields }, message);
  }

  warn(fields: Record<string, unknown>, message: string): void {
    this.parent.warn({ ...this.bindings, ...fields }, message);
  }

  error(fields: Record<string, unknown>, message: string): void {
    this.parent.error({ ...this.bindings, ...fields }, message);
  }

  child(bindings: Record<string, unknown>): Logger {
    return this.parent.child({ ...this.bindings, ...bindings });
  }
}
