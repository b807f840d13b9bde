import { fork } from 'node:child_process';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, defaultLogger, ErrorCodes, ReelError } from '@reel/sdk';
import { Worker } from '@reel/worker';
import { prometheusMetrics, Registry } from '@reel/worker/prometheus';
import { startServer } from '../server.ts';
import { int, parse, str } from './args.ts';
import { loadHooksModule, loadWorkflowModule } from './load-module.ts';
import { onShutdown } from './shutdown.ts';

const say = (line: string) => process.stderr.write(`${line}\n`);

/**
 * `reel dev`: embedded Postgres kept under ./.reel, migrated, with the API server and a worker for
 * the module's workflows in this one process. Ctrl-C drains the worker, then stops everything.
 */
export async function devCommand(argv: string[]): Promise<void> {
  const parsed = parse('dev', argv, {
    workflows: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    dir: { type: 'string' },
    hooks: { type: 'string' },
  });
  const { workflows, activities } = await loadWorkflowModule(str(parsed, 'workflows'));
  const hooksModule = str(parsed, 'hooks');
  const hooks = hooksModule ? await loadHooksModule(hooksModule) : undefined;
  await requireEmbeddedPostgres();
  const dir = join(str(parsed, 'dir') ?? '.reel', 'pg');
  say(`Starting Postgres in ${dir}…`);
  const postgres = await startPostgresHost(dir);
  try {
    const registry = new Registry();
    const metrics = prometheusMetrics(registry);
    // One logger for the worker and the server: one stream of JSON lines.
    const logger = defaultLogger();
    const worker = await Worker.create({
      connectionString: postgres.connectionString,
      workflows,
      activities,
      handleSignals: false,
      metrics,
      logger,
    });
    const client = new Client({ connectionString: postgres.connectionString, worker });
    const { app, url } = await startServer({
      client,
      metrics: registry,
      logger,
      host: str(parsed, 'host') ?? '127.0.0.1',
      port: int(parsed, 'port') ?? 8080,
      hooks,
    });
    const running = worker.run();
    onShutdown(
      'draining the worker, then closing the server and stopping Postgres',
      async () => {
        await worker.shutdown();
        await running;
        await app.close();
        await client.close();
        await postgres.stop();
      },
      say,
    );
    process.stdout.write(
      [
        `Reel dev server: ${url}`,
        `  Dashboard  ${url}/`,
        `  API docs   ${url}/docs`,
        `  Postgres   ${postgres.connectionString} (data in ${postgres.dir})`,
        `  Workflows  ${Object.keys(workflows).join(', ')}`,
        `  Try        reel workflow start ${Object.keys(workflows)[0]} --url ${url}`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    await postgres.stop();
    throw err;
  }
}

/**
 * The embedded Postgres comes from @reel/embedded-postgres, an optional peer of this package: a
 * production install of the server goes without its 60 MB of binaries.
 */
async function requireEmbeddedPostgres(): Promise<void> {
  try {
    await import('@reel/embedded-postgres');
  } catch (err) {
    const missing = (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    if (!missing || !(err as Error).message.includes("'@reel/embedded-postgres'")) throw err;
    throw new ReelError(
      ErrorCodes.MISSING_DEPENDENCY,
      'reel dev runs Postgres from @reel/embedded-postgres, which is not installed here. Install it: npm install --save-dev @reel/embedded-postgres',
      { cause: err },
    );
  }
}

interface PostgresHost {
  connectionString: string;
  /** The data directory in use: `<dir>/pg`, or under root, where that links to (see startEmbeddedPostgres). */
  dir: string;
  stop(): Promise<void>;
}

/** Forks pg-host in its own process group (see there why) and waits for its connection string. */
function startPostgresHost(dir: string): Promise<PostgresHost> {
  const host = fileURLToPath(new URL(`./pg-host${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  const child = fork(host, [dir], { detached: true, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`Embedded Postgres exited (code ${code}) before it was ready.`)),
    );
    child.once('message', (message: { connectionString?: string; dir?: string; error?: string }) => {
      if (message.error || !message.connectionString || !message.dir)
        return reject(
          new ReelError(ErrorCodes.EMBEDDED_POSTGRES_FAILED, message.error ?? 'no connection string'),
        );
      resolve({
        connectionString: message.connectionString,
        dir: message.dir,
        async stop() {
          if (child.connected) child.send('stop');
          await exited;
        },
      });
    });
  });
}
