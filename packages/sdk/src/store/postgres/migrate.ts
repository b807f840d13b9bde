import { readdir, readFile } from 'node:fs/promises';
import type pg from 'pg';
import { ErrorCodes, ReelError } from '../../errors.ts';
import { holdClient } from './held-client.ts';
import { isConnectionError } from './reconnect.ts';

const MIGRATIONS = new URL('./migrations/', import.meta.url);
/** Arbitrary constant: the advisory lock that serialises concurrent `migrate()` callers. */
const LOCK_KEY = 0x7265_656c;
/** The table that records which migrations a database has; made before any migration runs. */
const MIGRATIONS_TABLE = `create schema if not exists reel;
create table if not exists reel.migrations (version integer primary key, name text not null, applied_at timestamptz not null default now());`;
const versionOf = (file: string) => Number(file.slice(0, 4));

/**
 * Applies the numbered SQL files in `migrations/` that the database has not seen, each in its own
 * transaction, forward only. Idempotent, and safe when several processes call it at once.
 */
export async function migrate(pool: pg.Pool): Promise<string[]> {
  const files = await migrationFiles();
  const held = await holdClient(pool);
  const { client } = held;
  try {
    // No time limit: the lock waits for other processes' migrations, and a migration may run long.
    await client.query('set statement_timeout = 0');
    await client.query('select pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(MIGRATIONS_TABLE);
    const done = await appliedVersions(client);
    const applied: string[] = [];
    for (const file of files) {
      const version = versionOf(file);
      if (done.has(version)) continue;
      const sql = await readFile(new URL(file, MIGRATIONS), 'utf8');
      try {
        await client.query('begin');
        await client.query(sql);
        await client.query('insert into reel.migrations (version, name) values ($1, $2)', [version, file]);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        if (isConnectionError(err)) throw err; // not the migration's fault: it can be tried again
        throw new Error(`Migration ${file} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(file);
    }
    return applied;
  } finally {
    // Destroyed, not pooled: its session has no time limit. Ending it lets go of the lock.
    held.release(true);
  }
}

/**
 * The SQL of the migrations the database has not seen (all of them for an empty one), for teams
 * that apply schema changes with their own tool. Each migration is one transaction that ends by
 * recording its version in `reel.migrations`, so `migrate()`, `reel migrate` and workers then find
 * the database up to date and apply nothing again. Reads the database, changes nothing.
 * @example
 * writeFileSync('reel.sql', await pendingMigrationsSql(pool)); // then: psql -v ON_ERROR_STOP=1 -f reel.sql
 */
export async function pendingMigrationsSql(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ present: boolean }>(
    `select to_regclass('reel.migrations') is not null as present`,
  );
  const done = rows[0]?.present ? await appliedVersions(pool) : new Set<number>();
  const pending = (await migrationFiles()).filter((file) => !done.has(versionOf(file)));
  if (pending.length === 0) return '-- The database has every Reel migration: nothing to apply.\n';
  const blocks = await Promise.all(
    pending.map(
      async (file) =>
        `-- ${file}\nbegin;\n${(await readFile(new URL(file, MIGRATIONS), 'utf8')).trim()}\n` +
        `insert into reel.migrations (version, name) values (${versionOf(file)}, '${file}');\ncommit;\n`,
    ),
  );
  return [
    `-- Reel schema migrations this database lacks: ${pending.join(', ')}.`,
    '-- Apply them in order, each block in its own transaction (psql -v ON_ERROR_STOP=1 -f <file>).',
    "-- Keep each block's insert into reel.migrations: it records the migration as applied, so Reel",
    '-- (migrate(), `reel migrate`, a Worker) does not apply it again.',
    MIGRATIONS_TABLE,
    '',
    ...blocks,
  ].join('\n');
}

async function appliedVersions(db: pg.Pool | pg.PoolClient): Promise<Set<number>> {
  const { rows } = await db.query<{ version: number }>('select version from reel.migrations');
  return new Set(rows.map((r) => r.version));
}

/**
 * Throws `REEL_NOT_MIGRATED` when the database's Reel schema is missing or older than this code
 * (its newest migration not applied).
 */
export async function assertMigrated(pool: pg.Pool): Promise<void> {
  const error = await notMigrated(pool);
  if (error) throw error;
}

/**
 * `err` as `REEL_NOT_MIGRATED` when it comes from a missing or outdated schema (a table, column or
 * function that is not there, and migrations this code has that the database lacks), else `err`.
 */
export async function explainSchemaError(pool: pg.Pool, err: unknown): Promise<unknown> {
  if (!MISSING_OBJECT.has((err as { code?: string })?.code as string)) return err;
  return (await notMigrated(pool, err).catch(() => undefined)) ?? err;
}

/** SQLSTATEs of a missing schema, table, column, function or type. */
const MISSING_OBJECT = new Set(['3F000', '42P01', '42703', '42883', '42704']);

async function notMigrated(pool: pg.Pool, cause?: unknown): Promise<ReelError | undefined> {
  const files = await migrationFiles();
  const needed = versionOf(files.at(-1) ?? '0000');
  const { rows } = await pool.query<{ present: boolean }>(
    `select to_regclass('reel.migrations') is not null as present`,
  );
  const applied = rows[0]?.present
    ? Number((await pool.query('select coalesce(max(version), 0) as v from reel.migrations')).rows[0].v)
    : 0;
  if (applied >= needed) return undefined;
  const found = applied === 0 ? 'has no Reel schema' : `has Reel's schema up to migration ${applied}`;
  return new ReelError(
    ErrorCodes.NOT_MIGRATED,
    `The database ${found}, and this code needs migration ${needed} (${files.at(-1)}). Apply Reel's migrations: ` +
      "call migrate(pool) from '@reel/sdk', run `reel migrate --database-url <url>`, or start a Worker (it migrates unless migrate: false).",
    { cause },
  );
}

async function migrationFiles(): Promise<string[]> {
  return (await readdir(MIGRATIONS)).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort();
}
