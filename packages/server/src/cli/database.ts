import { describeConnectionError, type ErrorCode, ErrorCodes, ReelError, untilReachable } from '@reel/sdk';
import pg from 'pg';
import { DATABASE, duration, type Parsed, str, UsageError } from './args.ts';

const DEFAULT_WAIT_MS = 120_000;
const say = (line: string) => process.stderr.write(`${line}\n`);

export { DATABASE };

/** The connection string from --database-url or DATABASE_URL, checked to be a postgres:// URL. */
export function connectionString(parsed: Parsed): string {
  const value = str(parsed, 'database-url') ?? process.env.DATABASE_URL;
  if (!value)
    throw new UsageError('Pass --database-url postgres://user:password@host:5432/db, or set DATABASE_URL.');
  return postgresUrl(value, 'The database URL');
}

/** A read replica's connection string, from --read-database-url or REEL_READ_DATABASE_URL, if given. */
export function readConnectionString(parsed: Parsed): string | undefined {
  const value = str(parsed, 'read-database-url') ?? process.env.REEL_READ_DATABASE_URL;
  return value ? postgresUrl(value, 'The read database URL') : undefined;
}

function postgresUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${what} is not a URL; expected postgres://user:password@host:5432/db.`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UsageError(`${what} must start with postgres:// or postgresql://, not ${url.protocol}//.`);
  }
  return value;
}

/** Where a connection string points, without its password. */
export function describeDatabase(connection: string): string {
  const url = new URL(connection);
  return `${url.hostname}:${url.port || 5432}${url.pathname}`;
}

/** How long `--wait-for-database` (or `REEL_WAIT_FOR_DATABASE`) gives Postgres to become reachable. */
export function waitForDatabase(parsed: Parsed): number {
  return (
    duration(
      parsed,
      'wait-for-database',
      str(parsed, 'wait-for-database') ?? process.env.REEL_WAIT_FOR_DATABASE,
    ) ?? DEFAULT_WAIT_MS
  );
}

/**
 * Waits up to `waitMs` for Postgres to accept connections (started with this process, or
 * restarting), saying so at each wait. Anything but a connection error (a failed login, a database
 * that does not exist) fails at once. Either way the error says why, in words, with a code.
 */
export async function checkConnection(connection: string, waitMs: number): Promise<void> {
  const where = describeDatabase(connection);
  try {
    await untilReachable(
      async () => {
        const client = new pg.Client({ connectionString: connection, connectionTimeoutMillis: 5000 });
        client.on('error', () => undefined); // a connection dropped meanwhile fails the query instead
        try {
          await client.connect();
          await client.query('select 1');
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      {
        timeoutMs: waitMs,
        onWait: (err, ms) =>
          say(
            `Postgres at ${where} is not reachable (${describeConnectionError(err)}); next try in ${(ms / 1000).toFixed(1)} s.`,
          ),
        hint: 'or raise --wait-for-database',
      },
    );
  } catch (err) {
    const waited =
      err instanceof ReelError && err.code === ErrorCodes.DATABASE_UNAVAILABLE && waitMs > 0
        ? ` within ${waitMs / 1000} s`
        : '';
    const { code, reason, hint } = explain(err);
    const message = `Could not connect to Postgres at ${where}${waited}: ${reason}. ${hint}`;
    const cause = err instanceof ReelError ? err.cause : err;
    throw code ? new ReelError(code, message, { cause }) : new Error(message, { cause });
  }
}

/** Node's socket errors, in words. */
const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'unknown host',
  ETIMEDOUT: 'no answer',
};

/** What to do about a refusal that waiting cannot cure (`refusal` in the SDK), in the CLI's terms. */
const REFUSAL_HINTS: Partial<Record<ErrorCode, string>> = {
  [ErrorCodes.DATABASE_NOT_FOUND]: 'Create it, or point --database-url (or DATABASE_URL) at one that exists.',
  [ErrorCodes.DATABASE_AUTH_FAILED]:
    'Check the user and password in --database-url (or DATABASE_URL), and that pg_hba.conf lets this user in from here.',
};

/** Why a connection failed, as Postgres or Node put it, with the code to fail with and what to do. */
function explain(err: unknown): { code?: ErrorCode; reason: string; hint: string } {
  const cause = err instanceof ReelError ? err.cause : err;
  const { code, message } = (cause ?? {}) as { code?: unknown; message?: string };
  const hint = err instanceof ReelError ? REFUSAL_HINTS[err.code] : undefined;
  if (err instanceof ReelError && hint) return { code: err.code, reason: String(message), hint };
  // Out of time waiting: REEL_DATABASE_UNAVAILABLE, with the last connection error as its cause.
  if (err instanceof ReelError) {
    const first = cause instanceof AggregateError ? cause.errors[0] : cause;
    const words = NETWORK_REASONS[(first as { code?: string })?.code ?? ''];
    const detail = describeConnectionError(cause);
    return {
      code: err.code,
      reason: words ? `${words} (${detail})` : detail,
      hint: 'Check that Postgres runs and that --database-url (or DATABASE_URL) points at it, or raise --wait-for-database.',
    };
  }
  return {
    reason: typeof code === 'string' ? `${message} (${code})` : String(message ?? err),
    hint: 'Check --database-url (or DATABASE_URL) and that Postgres is running.',
  };
}
