import type { FastifyInstance } from 'fastify';
import { ServerErrorCodes } from '../errors.ts';
import { errorRef } from '../schemas.ts';
import type { RouteContext } from './context.ts';

/** How long readiness waits for `select 1` before answering 503. */
const READY_TIMEOUT_MS = 2000;

/** Liveness, readiness and Prometheus metrics. */
export function healthRoutes(app: FastifyInstance, { metrics, pool }: RouteContext): void {
  const ok = { 200: { type: 'object', properties: { status: { type: 'string' } } } };
  app.get(
    '/healthz',
    {
      config: { scope: 'public' },
      schema: { summary: 'Liveness: the process answers', tags: ['health'], response: ok },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { scope: 'public' },
      schema: {
        summary: 'Readiness: Postgres answers select 1',
        tags: ['health'],
        response: { ...ok, 503: errorRef },
      },
    },
    async (request, reply) => {
      if (!pool) return { status: 'ok' };
      let timer: NodeJS.Timeout | undefined;
      try {
        const late = new Promise(
          (_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), READY_TIMEOUT_MS)),
        );
        await Promise.race([pool.query('select 1'), late]);
        return { status: 'ok' };
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed');
        return reply.status(503).send({
          error: { code: ServerErrorCodes.UNAVAILABLE, message: 'Postgres did not answer select 1.' },
        });
      } finally {
        clearTimeout(timer);
      }
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        tags: ['health'],
        produces: ['text/plain'],
      },
    },
    async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
