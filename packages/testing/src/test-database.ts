import { Client } from '@reel/sdk';
import { Worker, type WorkerOptions } from '@reel/worker';
import { afterAll, beforeAll, inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin connection string for the server test databases are created on; set by global setup. */
    databaseUrl: string;
  }
}

/** A test file's own database, available once the file's `beforeAll` hooks have run. */
export interface TestDatabaseHandle {
  /** Connection string to this file's database. Throws if read before `beforeAll`. */
  readonly connectionString: string;
}

/**
 * Gives the calling test file a fresh database, created before its tests and dropped after,
 * so files never see each other's rows and can run in parallel. Call it at the top level of
 * the file. Needs a global setup that provides `databaseUrl` (see `vitest.global-setup.ts`).
 *
 * @example
 * const db = useTestDatabase();
 *
 * test('stores a run', async () => {
 *   const client = new pg.Client({ connectionString: db.connectionString });
 * });
 */
export function useTestDatabase(): TestDatabaseHandle {
  let database: TestDatabase | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
  });

  afterAll(async () => {
    await database?.drop();
  });

  return {
    get connectionString() {
      if (!database) {
        throw new Error(
          'The test database is not ready: read connectionString inside a test or hook, ' +
            'not at the top level of the file, and call useTestDatabase() at the top level.',
        );
      }
      return database.connectionString;
    },
  };
}

/** What `useTestWorker` runs: a worker's registrations. */
export type TestWorkerOptions = Pick<WorkerOptions, 'workflows' | 'activities'>;

/**
 * Runs a worker with `options` and gives a client, both on the file's test database, from before
 * the file's tests to after them. Call it at the top level, after `useTestDatabase()`.
 *
 * @example
 * const db = useTestDatabase();
 * const reel = useTestWorker(db, { workflows: { orderWorkflow }, activities: { chargeCard } });
 *
 * test('charges an order', async () => {
 *   const handle = await reel.client.start(orderWorkflow, { id: '1004' });
 * });
 */
export function useTestWorker(
  db: TestDatabaseHandle,
  options: TestWorkerOptions,
): { readonly client: Client } {
  let worker: Worker | undefined;
  let client: Client | undefined;

  beforeAll(async () => {
    // The test runner owns the process signals.
    worker = await Worker.create({ connectionString: db.connectionString, ...options, handleSignals: false });
    void worker.run();
    client = new Client({ connectionString: db.connectionString });
  });

  afterAll(async () => {
    await worker?.shutdown();
    await client?.close();
  });

  return {
    get client() {
      if (!client) throw new Error('The test worker is not ready: use its client inside a test or hook.');
      return client;
    },
  };
}
