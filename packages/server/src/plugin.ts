import { Client } from '@reel/sdk';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import { installAuth } from './auth.ts';
import { registerDashboard } from './dashboard.ts';
import { installErrorHandling } from './error-handler.ts';
import { checkHooks } from './hooks/hook-options.ts';
import { type PrometheusMetrics, prometheusMetrics } from './metrics.ts';
import { registerDocs, registerOpenApi } from './openapi.ts';
import type { ReelPluginOptions } from './options.ts';
import { batchRoutes } from './routes/batches.ts';
import type { RouteContext } from './routes/context.ts';
import { controlRoutes } from './routes/control.ts';
import { countRoutes } from './routes/counts.ts';
import { healthRoutes } from './routes/health.ts';
import { historyRoutes } from './routes/history.ts';
import { hookRoutes } from './routes/hooks.ts';
import { operatorRoutes } from './routes/operator.ts';
import { resultRoutes } from './routes/result.ts';
import { scheduleRoutes } from './routes/schedules.ts';
import { updateRoutes } from './routes/updates.ts';
import { whoamiRoutes } from './routes/whoami.ts';
import { workflowRoutes } from './routes/workflows.ts';
import { sharedSchemas } from './schemas.ts';

async function reel(app: FastifyInstance, options: ReelPluginOptions): Promise<void> {
  const metrics = prometheusMetrics(options.metrics);
  // A client of yours counts the runs it starts if you gave it `metrics` (the same registry's).
  const owned: Client[] = [];
  const client = clientOf(options.client, owned, { metrics, logger: app.log });
  const readClient =
    options.readClient === undefined ? client : clientOf(options.readClient, owned, { logger: app.log });
  const pool = (client.store as { pool?: pg.Pool }).pool;
  const unwatch = pool && metrics.watchDatabase(pool);
  app.addHook('onClose', async () => {
    unwatch?.();
    await Promise.all(owned.map((c) => c.close()));
  });

  // JSON only. Fastify's default text/plain parser would hand the schema a string (400 "body must be
  // object") where every other type that is not JSON gets 415. Removed in this plugin's context only.
  app.removeContentTypeParser('text/plain');
  for (const schema of sharedSchemas) app.addSchema(schema);
  installErrorHandling(app);
  const authenticate = installAuth(app, options.apiKeys, options.jwt);
  await registerOpenApi(app);
  await registerDocs(app, options.publicDocs ?? false);

  const context: RouteContext = { client, readClient, metrics, pool, bodyLimit: options.bodyLimit };
  healthRoutes(app, context);
  workflowRoutes(app, context);
  countRoutes(app, context);
  whoamiRoutes(app, authenticate, (options.apiKeys?.length ?? 0) > 0 || options.jwt !== undefined);
  resultRoutes(app, context);
  historyRoutes(app, context);
  controlRoutes(app, context);
  updateRoutes(app, context);
  operatorRoutes(app, context);
  scheduleRoutes(app, context);
  batchRoutes(app, context);
  await hookRoutes(app, context, checkHooks(options.hooks ?? {}));
  await registerDashboard(app);
}

/** The `Client` given, or one made from the connection string given (added to `owned`, to close). */
function clientOf(
  given: Client | { connectionString: string },
  owned: Client[],
  options: { metrics?: PrometheusMetrics; logger: FastifyBaseLogger },
): Client {
  // Duck-typed rather than instanceof, so a Client from another copy of @reel/sdk is used as is.
  if (typeof (given as Partial<Client>).start === 'function') return given as Client;
  const client = new Client({
    connectionString: (given as { connectionString: string }).connectionString,
    ...options,
  });
  owned.push(client);
  return client;
}

/**
 * Reel's routes as a Fastify plugin, to mount in an app you already have. It stays encapsulated:
 * its auth hook, error handler and 404 answer apply to its own routes only, under your prefix.
 * @example
 * await app.register(reelPlugin, { prefix: '/reel', client, apiKeys });
 */
export const reelPlugin = fp(reel, { name: '@reel/server', fastify: '5.x', encapsulate: true });
