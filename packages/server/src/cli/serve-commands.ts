import { loggerOptions, migrate, PostgresStore, pendingMigrationsSql } from '@reel/sdk';
import { Worker } from '@reel/worker';
import { prometheusMetrics, Registry, serveMetrics } from '@reel/worker/prometheus';
import pg from 'pg';
import { parseApiKeys } from '../auth.ts';
import { startServer } from '../server.ts';
import { int, parse, str } from './args.ts';
import {
  checkConnection,
  connectionString,
  DATABASE,
  describeDatabase,
  readConnectionString,
  waitForDatabase,
} from './database.ts';
import { JWT_FLAGS, jwtFromFlags } from './jwt-flags.ts';
import { loadHooksModule, loadWorkflowModule } from './load-module.ts';
import { onShutdown } from './shutdown.ts';

const say = (line: string) => process.stderr.write(`${line}\n`);

/**
 * `reel migrate`: applies the schema migrations Postgres has not seen; with `--print-sql`, prints
 * their SQL instead, changing nothing.
 */
export async function migrateCommand(argv: string[]): Promise<void> {
  const parsed = parse('migrate', argv, { ...DATABASE, 'print-sql': { type: 'boolean' } });
  const connection = connectionString(parsed);
  await checkConnection(connection, waitForDatabase(parsed));
  const pool = new pg.Pool({ connectionString: connection, max: 1 });
  try {
    if (parsed.values['print-sql']) {
      process.stdout.write(await pendingMigrationsSql(pool));
      return;
    }
    const applied = await migrate(pool);
    if (parsed.values.json) process.stdout.write(`${JSON.stringify({ applied })}\n`);
    else
      process.stdout.write(
        applied.length ? applied.map((f) => `Applied ${f}\n`).join('') : 'The database is up to date.\n',
      );
  } finally {
    await pool.end();
  }
}

/** `reel server`: the HTTP API against Postgres, with JSON logs. Runs no workflows: start `reel worker` too. */
export async function serverCommand(argv: string[]): Promise<void> {
  const parsed = parse('server', argv, {
    ...DATABASE,
    'read-database-url': { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'api-keys': { type: 'string' },
    'allow-insecure': { type: 'boolean' },
    'public-docs': { type: 'boolean' },
    ...JWT_FLAGS,
    hooks: { type: 'string' },
  });
  const connection = connectionString(parsed);
  const readConnection = readConnectionString(parsed);
  const apiKeys = parseApiKeys(str(parsed, 'api-keys') ?? process.env.REEL_API_KEYS ?? '');
  const jwt = jwtFromFlags(parsed);
  const hooksModule = str(parsed, 'hooks') ?? process.env.REEL_HOOKS;
  const hooks = hooksModule ? await loadHooksModule(hooksModule) : undefined;
  await checkConnection(connection, waitForDatabase(parsed));
  const { app, url } = await startServer({
    client: { connectionString: connection },
    readClient: readConnection === undefined ? undefined : { connectionString: readConnection },
    host: str(parsed, 'host') ?? process.env.REEL_HOST ?? '127.0.0.1',
    port: int(parsed, 'port') ?? Number(process.env.REEL_PORT ?? 8080),
    apiKeys,
    jwt,
    hooks,
    allowInsecure: parsed.values['allow-insecure'] === true,
    publicDocs: parsed.values['public-docs'] === true,
    logger: loggerOptions(process.env.REEL_LOG_LEVEL || 'info'),
  });
  // Before saying it runs: whoever reads that may signal it at once.
  onShutdown('closing the server: no new requests, those in progress finish first', () => app.close(), say);
  say(
    `Reel server on ${url} (docs ${url}/docs), Postgres ${describeDatabase(connection)}${readConnection ? ` (lists from ${describeDatabase(readConnection)})` : ''}, ${apiKeys.length ? `${apiKeys.length} API key(s)` : 'no API keys'}${jwt ? ', JWT auth' : ''}${hooks ? `, webhooks ${Object.keys(hooks).join(', ')}` : ''}.`,
  );
}

/**
 * `reel worker`: runs the module's workflows and activities until SIGTERM or Ctrl-C, then drains.
 * With `--metrics-port`, serves `/metrics` and `/healthz` (the worker's `health()`) on that port.
 */
export async function workerCommand(argv: string[]): Promise<void> {
  const parsed = parse('worker', argv, {
    ...DATABASE,
    workflows: { type: 'string' },
    concurrency: { type: 'string' },
    'metrics-port': { type: 'string' },
    'metrics-host': { type: 'string' },
  });
  const { workflows, activities } = await loadWorkflowModule(str(parsed, 'workflows'));
  const connection = connectionString(parsed);
  const wait = waitForDatabase(parsed);
  const metricsPort = int(parsed, 'metrics-port', process.env.REEL_METRICS_PORT);
  await checkConnection(connection, wait);
  const registry = new Registry();
  const metrics = prometheusMetrics(registry);
  const store = new PostgresStore({ connectionString: connection });
  let worker: Worker;
  try {
    worker = await Worker.create({
      store,
      waitForDatabase: wait,
      workflows,
      activities,
      concurrency: int(parsed, 'concurrency'),
      handleSignals: false,
      metrics,
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const served =
    metricsPort === undefined
      ? undefined
      : await serveMetrics({
          registry,
          port: metricsPort,
          host: str(parsed, 'metrics-host') ?? process.env.REEL_METRICS_HOST,
          health: () => worker.health(),
        });
  if (served) metrics.watchDatabase(store.pool);
  const running = worker.run();
  onShutdown(
    'draining the worker: runs in progress reach their next wait, then it stops',
    async () => {
      await worker.shutdown();
      await served?.close();
      await store.close();
    },
    say,
  );
  say(
    `Reel worker ${worker.identity} serving ${Object.keys(workflows).join(', ')} on ${describeDatabase(connection)}${served ? `; /metrics and /healthz on port ${served.port}` : ''}.`,
  );
  await running;
}
