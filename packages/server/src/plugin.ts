import { Client } from '@reel/sdk';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import { installAuth } from './auth.ts';
import { registerDashboard } from './dashboard.ts';
import { installErrorHandling } from './error-handler.ts';
import { checkHooks } from './hooks/hook-options.ts';
import { prometheusMetrics } from './metrics.ts';
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
  // Duck-typed rather than instanceof, so a Client from another copy of @reel/sdk is used as is.
  const given = options.client as Partial<Client> & { connectionString?: string };
  const owned = typeof given.start !== 'function';
  const metrics = prometheusMetrics(options.metrics);
  // A client of yours counts the runs it starts if you gave it `metrics` (the same registry's).
  const client = owned
    ? new Client({ connectionString: given.connectionString as string, metrics, logger: app.log })
    : (options.client as Client);
  const pool = (client.store as { pool?: pg.Pool }).pool;
  const unwatch = pool && metrics.watchDatabase(pool);
  app.addHook('onClose', async () => {
    unwatch?.();
    if (owned) await client.close();
  });

  // JSON only. Fastify's default text/plain parser would hand the schema a string (400 "body must be
  // object") where every other type that is not JSON gets 415. Removed in this plugin's context only.
  app.removeContentTypeParser('text/plain');
  for (const schema of sharedSchemas) app.addSchema(schema);
  installErrorHandling(app);
  const authenticate = installAuth(app, options.apiKeys, options.jwt);
  await registerOpenApi(app);
  await registerDocs(app, options.publicDocs ?? false);

  const context: RouteContext = { client, metrics, pool, bodyLimit: options.bodyLimit };
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

/**
 * Reel's routes as a Fastify plugin, to mount in an app you already have. It stays encapsulated:
 * its auth hook, error handler and 404 answer apply to its own routes only, under your prefix.
 * @example
 * await app.register(reelPlugin, { prefix: '/reel', client, apiKeys });
 */
export const reelPlugin = fp(reel, { name: '@reel/server', fastify: '5.x', encapsulate: true });
