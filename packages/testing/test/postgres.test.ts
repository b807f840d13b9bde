import pg from 'pg';
import { expect, inject, test } from 'vitest';
import { createTestDatabase } from '../src/index.ts';
import { useTestDatabase } from '../src/test-database.ts';

const db = useTestDatabase();

async function query<R extends pg.QueryResultRow>(
  connectionString: string,
  sql: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

test('the file database stores and returns rows', async () => {
  await query(db.connectionString, 'CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL)');
  await query(db.connectionString, 'INSERT INTO note VALUES ($1, $2)', [1, 'hello']);

  expect(await query(db.connectionString, 'SELECT id, body FROM note')).toEqual([{ id: 1, body: 'hello' }]);
});

test('createTestDatabase makes a separate database and drop removes it', async () => {
  const other = await createTestDatabase(inject('databaseUrl'));
  const [mine] = await query<{ name: string }>(db.connectionString, 'SELECT current_database() AS name');
  const [theirs] = await query<{ name: string }>(other.connectionString, 'SELECT current_database() AS name');
  expect(theirs?.name).toMatch(/^reel_test_[0-9a-f]{12}$/);
  expect(theirs?.name).not.toBe(mine?.name);

  // An open session must not stop the drop.
  const lingering = new pg.Client({ connectionString: other.connectionString });
  lingering.on('error', () => {});
  await lingering.connect();

  await other.drop();

  const left = await query(inject('databaseUrl'), 'SELECT 1 FROM pg_database WHERE datname = $1', [
    theirs?.name,
  ]);
  expect(left).toEqual([]);
  await lingering.end().catch(() => {});
});
