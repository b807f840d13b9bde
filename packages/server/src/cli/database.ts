import pg from 'pg';
import { DATABASE, type Parsed, str, UsageError } from './args.ts';

export { DATABASE };

/** The connection string from --database-url or DATABASE_URL, checked to be a postgres:// URL. */
export function connectionString(parsed: Parsed): string {
  const value = str(parsed, 'database-url') ?? process.env.DATABASE_URL;
  if (!value)
    throw new UsageError('Pass --database-url postgres://user:password@host:5432/db, or set DATABASE_URL.');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`The database URL is not a URL; expected postgres://user:password@host:5432/db.`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UsageError(
      `The database URL must start with postgres:// or postgresql://, not ${url.protocol}//.`,
    );
  }
  return value;
}

/** Where a connection string points, without its password. */
export function describeDatabase(connection: string): string {
  const url = new URL(connection);
  return `${url.hostname}:${url.port || 5432}${url.pathname}`;
}

/** Fails fast, with the reason, when Postgres is not reachable. */
export async function checkConnection(connection: string): Promise<void> {
  const client = new pg.Client({ connectionString: connection, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new Error(
      `Could not connect to Postgres at ${describeDatabase(connection)}: ${e.code ?? e.message}. Check --database-url (or DATABASE_URL) and that Postgres is running.`,
      {
        cause: err,
      },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
