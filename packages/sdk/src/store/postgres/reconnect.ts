import { ErrorCodes, ReelError } from '../../errors.ts';

/** Socket errors of a database that is not (yet, or any more) reachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  // A database host that does not resolve yet: containers started together (compose, Kubernetes).
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server going away or not ready: admin_shutdown ("terminating connection due to
 * administrator command"), crash_shutdown, and cannot_connect_now ("the database system is starting
 * up" / "shutting down"). Class 08, connection exceptions, is tested apart.
 */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03']);

/** What `pg` and `pg-pool` throw, with no code, when a connection ends or cannot be had in time. */
const PG_MESSAGES =
  /^(Connection terminated|Client has encountered a connection error|timeout expired|timeout exceeded when trying to connect)/;

/**
 * True for an error of the connection to Postgres (unreachable, restarting, cut), which may go
 * away by trying again; false for anything else, such as a failed login or bad SQL.
 */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08'))
  )
    return true;
  // A host with several addresses (localhost: ::1 and 127.0.0.1) fails with one error per address.
  if (err instanceof AggregateError) return err.errors.some(isConnectionError);
  return PG_MESSAGES.test(err.message);
}

/** The first wait after a failed connection; each next one doubles, up to `MAX_DELAY_MS`. */
const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 10_000;

/**
 * How long to wait before connection attempt `attempt + 1` (from 0): exponential backoff with
 * jitter (50–150 %), so the workers a restart cut off do not all come back at the same instant.
 */
export function reconnectDelay(attempt: number): number {
  const ms = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ms * (0.5 + Math.random()));
}

/** Options of {@link untilReachable}. */
export interface UntilReachableOptions {
  /** How long to keep trying; 0 tries once. */
  timeoutMs: number;
  /** Called before each wait, with what failed and how long the wait is. */
  onWait(err: Error, delayMs: number): void;
  /** Ends the message of the error thrown when time runs out: how to wait longer. */
  hint: string;
}

/**
 * Runs `work`, trying again with backoff while it fails with a connection error, for up to
 * `timeoutMs`. Other errors are thrown at once. When time runs out, throws
 * `REEL_DATABASE_UNAVAILABLE` with the last error as its cause.
 */
export async function untilReachable<T>(work: () => Promise<T>, options: UntilReachableOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isConnectionError(err)) throw refusal(err) ?? err;
      const delay = Math.min(reconnectDelay(attempt), deadline - Date.now());
      if (delay <= 0) {
        throw new ReelError(
          ErrorCodes.DATABASE_UNAVAILABLE,
          `Postgres was not reachable within ${options.timeoutMs / 1000} s (${describeConnectionError(err)}). Check that it runs and that the connection string points at it, ${options.hint}.`,
          { cause: err },
        );
      }
      options.onWait(err as Error, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * A refusal that waiting cannot cure, as a Reel error that says what to do: the database does not
 * exist, or the login failed (SQLSTATE class 28, or pg's own `SASL:` errors when the server asks for
 * a password the connection string does not hold). Undefined for other errors.
 */
export function refusal(err: unknown): ReelError | undefined {
  const { code, message } = err as { code?: unknown; message?: string };
  if (code === '3D000')
    return new ReelError(
      ErrorCodes.DATABASE_NOT_FOUND,
      `${message}: create it, or point the connection string at a database that exists.`,
      { cause: err },
    );
  if ((typeof code === 'string' && code.startsWith('28')) || message?.startsWith('SASL:'))
    return new ReelError(
      ErrorCodes.DATABASE_AUTH_FAILED,
      `Postgres refused the login (${message}): check the user and password in the connection string, and that pg_hba.conf lets this user in from here.`,
      { cause: err },
    );
  return undefined;
}

/** The message of a connection error; for one error per address, the first. */
export function describeConnectionError(err: unknown): string {
  const e = err instanceof AggregateError && err.errors[0] ? err.errors[0] : err;
  return (e as Error).message || String((e as { code?: unknown }).code ?? e);
}
