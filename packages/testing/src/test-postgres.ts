import { ErrorCodes, ReelError } from '@reel/sdk';
import { startEmbeddedPostgres } from './postgres.ts';

/** Ways to get a Postgres server for tests, tried in order. */
export interface PostgresSources {
  embedded(): Promise<string>;
  container(): Promise<string>;
}

const defaultSources: PostgresSources = {
  embedded: async () => (await startEmbeddedPostgres()).connectionString,
  // Only where Docker answers: a throwaway Postgres container (Testcontainers, an optional peer).
  async container() {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql').catch((err) => {
      if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
      throw new Error(
        '@testcontainers/postgresql is not installed (npm install --save-dev @testcontainers/postgresql)',
      );
    });
    return (await new PostgreSqlContainer('postgres:16-alpine').start()).getConnectionUri();
  },
};

/**
 * A Postgres server for tests when no connection string is given: the embedded one from npm, else a
 * Testcontainers container when `@testcontainers/postgresql` is installed and a Docker engine is reachable. Throws `REEL_NO_DATABASE` with both
 * reasons when neither works.
 */
export async function testPostgres(sources: PostgresSources = defaultSources): Promise<string> {
  try {
    return await sources.embedded();
  } catch (embeddedError) {
    try {
      return await sources.container();
    } catch (containerError) {
      throw new ReelError(
        ErrorCodes.NO_DATABASE,
        `No Postgres for the tests: the embedded server did not start (${(embeddedError as Error).message}) and no Docker engine ran a container (${(containerError as Error).message}). Set DATABASE_URL or pass connectionString.`,
      );
    }
  }
}
