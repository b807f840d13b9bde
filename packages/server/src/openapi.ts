import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** The API version in the OpenAPI document; bump with @reel/server. */
const API_VERSION = '0.1.0';

/**
 * Collects every route registered after it into an OpenAPI 3 document. Register before the routes.
 * Shared schemas keep their `$id` as their component name.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Reel',
        version: API_VERSION,
        description:
          'Start, signal, query, cancel and inspect durable workflows, and schedule them. Errors are `{ error: { code, message } }`.',
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key, when the server has keys configured.',
          },
        },
      },
      security: [{ apiKey: [] }],
      tags: [
        { name: 'workflows', description: 'Start, list and inspect runs' },
        { name: 'control', description: 'Signal, cancel, terminate and query running workflows' },
        { name: 'schedules', description: 'Cron schedules that start workflows' },
        { name: 'health', description: 'Liveness, readiness and metrics' },
        { name: 'hooks', description: 'Webhook triggers, authenticated by their signature' },
      ],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
}

/**
 * Serves `/openapi.json` and Swagger UI at `/docs`: behind the `read` scope when keys are
 * configured, unless `publicDocs`. Register after `registerOpenApi`, in the same context.
 */
export async function registerDocs(app: FastifyInstance, publicDocs: boolean): Promise<void> {
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, scope: publicDocs ? 'public' : 'read' };
    });
    docs.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });
}
