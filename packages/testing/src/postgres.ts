import { randomBytes } from 'node:crypto';
import pg from 'pg';

export {
  type EmbeddedPostgresOptions,
  type EmbeddedPostgresServer,
  startEmbeddedPostgres,
} from '@reel/embedded-postgres';

/** A database created by {@link createTestDatabase}. */
export interface TestDatabase {
  /** Connection string to the new database, with the admin URL's host, port and credentials. */
  connectionString: string;
  /** Disconnects every session on the database and drops it. */
  drop(): Promise<void>;
}

/**
 * Creates an empty database named `reel_test_<random hex>` on the server at `adminUrl`, so each
 * test file gets its own database and files can run in parallel.
 *
 * @param adminUrl - A connection string for a role allowed to create databases.
 */
export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `reel_test_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;

  let dropped = false;
  return {
    connectionString: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withClient(adminUrl, async (client) => {
        const quoted = client.escapeIdentifier(name);
        // A pool ended just before resolves before its sessions have closed: wait for them (up to
        // 1 s), so that the drop ends only sessions left open. Ending a closing session sends its
        // client an error that nothing listens to any more, which would crash the test process.
        for (let waited = 0; waited < 1000; waited += 20) {
          const open = await client.query('select 1 from pg_stat_activity where datname = $1 limit 1', [
            name,
          ]);
          if (open.rowCount === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const { rows } = await client.query<{ version: number }>(
          `SELECT current_setting('server_version_num')::int AS version`,
        );
        // WITH (FORCE) disconnects sessions atomically with the drop; before PG 13 we do it by hand,
        // and a session that connects in between makes the drop fail loudly rather than hang.
        if ((rows[0]?.version ?? 0) >= 130000) {
          await client.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
        } else {
          await client.query(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
            [name],
          );
          await client.query(`DROP DATABASE IF EXISTS ${quoted}`);
        }
      });
    },
  };
}

async function withClient<T>(connectionString: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
