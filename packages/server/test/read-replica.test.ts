import { randomUUID } from 'node:crypto';
import { Client, migrate, PostgresStore } from '@reel/sdk';
import { createTestDatabase, type TestDatabase } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { buildServer } from '../src/server.ts';

/**
 * `readClient` takes the list and its counts, and nothing else. The "replica" is a second database
 * holding other runs, reached through read-only sessions, as a hot standby is: what the server
 * shows from it proves where each route read, and a write there would fail.
 */

const db = useTestDatabase();
let replica: TestDatabase;
let app: FastifyInstance;
let client: Client;

/** A migrated database with the type `t` registered and one run of it, `id`. */
async function withRun(connectionString: string, id: string): Promise<void> {
  const pool = new pg.Pool({ connectionString, max: 1 });
  await migrate(pool);
  await pool.end();
  const store = new PostgresStore({ connectionString });
  await store.registerTypes(['t'], new Date());
  await store.start({ workflowId: id, runId: randomUUID(), type: 't', input: null, now: new Date() });
  await store.close();
}

beforeAll(async () => {
  replica = await createTestDatabase(inject('databaseUrl'));
  await withRun(db.connectionString, 'on-primary');
  await withRun(replica.connectionString, 'on-replica');
  const readOnly = new URL(replica.connectionString);
  readOnly.searchParams.set('options', '-c default_transaction_read_only=on');
  client = new Client({ connectionString: db.connectionString });
  app = buildServer({ client, readClient: { connectionString: readOnly.href }, logger: false });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await client?.close();
  await replica?.drop();
});

const get = async (url: string) => {
  const res = await app.inject({ method: 'GET', url });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};

it('lists and counts runs from the read client', async () => {
  expect((await get('/v1/workflows')).items.map((r: { workflowId: string }) => r.workflowId)).toEqual([
    'on-replica',
  ]);
  expect((await get('/v1/workflow-counts')).counts).toMatchObject({ running: 1, completed: 0 });
});

it('reads one workflow, and writes, on the client', async () => {
  expect((await get('/v1/workflows/on-primary')).workflowId).toBe('on-primary');
  expect((await app.inject({ method: 'GET', url: '/v1/workflows/on-replica' })).statusCode).toBe(404);
  expect((await get('/v1/workflows/on-primary/runs')).items).toHaveLength(1);
  const started = await app.inject({
    method: 'POST',
    url: '/v1/workflows',
    payload: { type: 't', id: 'new' },
  });
  expect(started.statusCode).toBe(201);
  expect((await client.describe('new'))?.workflowId).toBe('new');
});
