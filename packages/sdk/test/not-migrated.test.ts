import { createTestDatabase, type TestDatabase } from '@reel/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, ErrorCodes, migrate, PostgresStore, pendingMigrationsSql, ReelError } from '../src/index.ts';

/** A fresh database for each case: some are migrated part way, one not at all. */
const databases: TestDatabase[] = [];
async function database(): Promise<string> {
  const made = await createTestDatabase(inject('databaseUrl'));
  databases.push(made);
  return made.connectionString;
}
afterAll(async () => {
  for (const made of databases) await made.drop();
});

async function withPool<T>(connectionString: string, use: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString });
  try {
    return await use(pool);
  } finally {
    await pool.end();
  }
}

function notMigrated(pattern: RegExp) {
  return expect.objectContaining({
    constructor: ReelError,
    code: ErrorCodes.NOT_MIGRATED,
    message: expect.stringMatching(pattern),
  });
}

describe('a database without the schema this code needs', () => {
  let empty: string;
  beforeAll(async () => {
    empty = await database();
  });

  it("fails a client's start with REEL_NOT_MIGRATED, naming migrate() and reel migrate", async () => {
    const client = new Client({ connectionString: empty });
    try {
      const started = client.start('welcomeWorkflow', 'ada');
      await expect(started).rejects.toEqual(notMigrated(/has no Reel schema.*migrate\(pool\).*reel migrate/));
      await expect(started).rejects.toHaveProperty('cause.code', '42P01');
    } finally {
      await client.close();
    }
  });

  it("fails a worker's registration (Worker.create with migrate: false) with REEL_NOT_MIGRATED", async () => {
    const store = new PostgresStore({ connectionString: empty });
    try {
      await expect(store.registerTypes(['welcomeWorkflow'], new Date())).rejects.toEqual(
        notMigrated(/has no Reel schema/),
      );
    } finally {
      await store.close();
    }
  });

  it('fails a worker on a schema older than the code, not on a current one', async () => {
    const [old, current] = [await database(), await database()];
    await withPool(current, migrate);
    await withPool(old, async (pool) => {
      await migrate(pool);
      // As if this database had last been migrated before the newest migration shipped.
      await pool.query(
        'delete from reel.migrations where version = (select max(version) from reel.migrations)',
      );
    });
    const [oldStore, currentStore] = [old, current].map((c) => new PostgresStore({ connectionString: c }));
    try {
      await expect(oldStore?.registerTypes(['welcomeWorkflow'], new Date())).rejects.toEqual(
        notMigrated(/up to migration \d+, and this code needs migration \d+/),
      );
      await expect(currentStore?.registerTypes(['welcomeWorkflow'], new Date())).resolves.toBeUndefined();
    } finally {
      await oldStore?.close();
      await currentStore?.close();
    }
  });
});

describe('pendingMigrationsSql', () => {
  it('prints every migration for an empty database; applied by hand, Reel finds nothing left to do', async () => {
    const empty = await database();
    const sql = await withPool(empty, pendingMigrationsSql);
    expect(sql).toContain("insert into reel.migrations (version, name) values (1, '0001_init.sql');");
    await withPool(empty, async (pool) => {
      await pool.query(sql);
      await expect(migrate(pool)).resolves.toEqual([]);
      await expect(pendingMigrationsSql(pool)).resolves.toMatch(/^-- The database has every Reel migration/);
    });
    const store = new PostgresStore({ connectionString: empty });
    try {
      await expect(store.registerTypes(['welcomeWorkflow'], new Date())).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('prints only the migrations the database lacks', async () => {
    await withPool(await database(), async (pool) => {
      await migrate(pool);
      const { rows } = await pool.query(
        'delete from reel.migrations where version = (select max(version) from reel.migrations) returning name',
      );
      const sql = await pendingMigrationsSql(pool);
      expect(sql.match(/^-- \d{4}_.*\.sql$/gm)).toEqual([`-- ${rows[0].name}`]);
    });
  });
});
