import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from './packages/testing/src/index.ts';

/**
 * Provides `databaseUrl` to every test file: `DATABASE_URL` when set (CI with a service
 * container), otherwise one embedded Postgres shared by the whole run. Each file then makes
 * its own database on it with `useTestDatabase()`. The `databaseUrl` key is typed by the
 * `ProvidedContext` augmentation below (and its twin in `packages/testing/src/test-database.ts`).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.DATABASE_URL;
  if (external) {
    project.provide('databaseUrl', external);
    return async () => {};
  }

  const server = await startEmbeddedPostgres();
  project.provide('databaseUrl', server.connectionString);
  return () => server.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}
