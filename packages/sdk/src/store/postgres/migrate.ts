import { readdir, readFile } from 'node:fs/promises';
import type pg from 'pg';
import { holdClient } from './held-client.ts';
import { isConnectionError } from './reconnect.ts';

const MIGRATIONS = new URL('./migrations/', import.meta.url);
/** Arbitrary constant: the advisory lock that serialises concurrent `migrate()` callers. */
const LOCK_KEY = 0x7265_656c;

/**
 * Applies the numbered SQL files in `migrations/` that the database has not seen, each in its own
 * transaction, forward only. Idempotent, and safe when several processes call it at once.
 */
export async function migrate(pool: pg.Pool): Promise<string[]> {
  const files = (await readdir(MIGRATIONS)).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort();
  const held = await holdClient(pool);
  const { client } = held;
  try {
    // No time limit: the lock waits for other processes' migrations, and a migration may run long.
    await client.query('set statement_timeout = 0');
    await client.query('select pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`create schema if not exists reel;
      create table if not exists reel.migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const done = new Set(
      (await client.query<{ version: number }>('select version from reel.migrations')).rows.map(
        (r) => r.version,
      ),
    );
    const applied: string[] = [];
    for (const file of files) {
      const version = Number(file.slice(0, 4));
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
