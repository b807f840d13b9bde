import type { FastifyInstance } from 'fastify';
import { errorResponses, idParams } from '../schemas.ts';
import type { RouteContext } from './context.ts';

/** Operator actions: retry now, and reset a workflow to a point of a run's history. */
export function operatorRoutes(app: FastifyInstance, { client, bodyLimit }: RouteContext): void {
  app.post<{ Params: { id: string } }>(
    '/v1/workflows/:id/retry',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'Retry now',
        description:
          'The latest run skips the backoff it waits out, an activity retry or its own while parked, and tries again now. 409 when it has closed.',
        tags: ['operator'],
        params: idParams,
        response: { 202: { type: 'object', properties: {} }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await client.retryNow(request.params.id);
      return reply.status(202).send({});
    },
  );

  app.post<{ Params: { id: string }; Body: { toEvent: number; runId?: string; reason?: string } }>(
    '/v1/workflows/:id/reset',
    {
      bodyLimit,
      config: { scope: 'admin' },
      schema: {
        summary: 'Reset a workflow to a point of its history',
        description:
          "Starts a new run that replays the run's events up to `toEvent` (its seq) and redoes the rest with the code deployed now; an open old run closes as `reset`. Needs the admin scope. 400 REEL_INVALID_RESET_POINT for a point between an activity's scheduling and its outcome, or the closing event.",
        tags: ['operator'],
        params: idParams,
        body: {
          type: 'object',
          properties: {
            toEvent: {
              type: 'integer',
              minimum: 0,
              description: 'The seq of the last event the new run keeps.',
            },
            runId: { type: 'string', format: 'uuid', description: 'The run to reset; default the latest.' },
            reason: { type: 'string', maxLength: 10_000 },
          },
          required: ['toEvent'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: { workflowId: { type: 'string' }, runId: { type: 'string', format: 'uuid' } },
            required: ['workflowId', 'runId'],
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { toEvent, runId, reason } = request.body;
      const handle = await client.reset(request.params.id, { toEvent, runId, reason });
      return reply.status(201).send({ workflowId: handle.id, runId: handle.runId });
    },
  );
}
