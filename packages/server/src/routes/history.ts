import type { FastifyInstance } from 'fastify';
import { errorResponses, idParams, runIdQuery } from '../schemas.ts';
import type { RouteContext } from './context.ts';
import { LIMIT } from './workflows.ts';

/**
 * A run's history. Without `after` or `limit` it is the whole export, `{ workflowId, runId,
 * workflowType, events }`, exactly what `client.history()` returns, so it can be saved as a
 * replay fixture; with them, a page of it plus `nextAfter` when more events follow.
 */
export function historyRoutes(app: FastifyInstance, { client }: RouteContext): void {
  app.get<{ Params: { id: string }; Querystring: { runId?: string; after?: string; limit?: string } }>(
    '/v1/workflows/:id/history',
    {
      schema: {
        summary: "A workflow run's recorded history",
        tags: ['workflows'],
        params: idParams,
        querystring: {
          type: 'object',
          properties: {
            runId: runIdQuery,
            after: {
              type: 'string',
              pattern: '^[0-9]{1,9}$',
              description: 'Only events with a greater seq.',
            },
            limit: { type: 'string', pattern: LIMIT, description: 'Page size, 1 to 1000.' },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              workflowId: { type: 'string' },
              runId: { type: 'string' },
              workflowType: { type: 'string' },
              events: { type: 'array', items: { type: 'object', additionalProperties: true } },
              nextAfter: {
                type: 'integer',
                description: 'Pass as `after` for the next page; absent on the last.',
              },
            },
            required: ['workflowId', 'runId', 'workflowType', 'events'],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { runId } = request.query;
      const after = request.query.after === undefined ? undefined : Number(request.query.after);
      const limit = request.query.limit === undefined ? undefined : Number(request.query.limit);
      const history = await client.history(request.params.id, { runId, after });
      if (after === undefined && limit === undefined) return history;
      const rest = history.events;
      const events = rest.slice(0, limit ?? 1000);
      const page: typeof history & { nextAfter?: number } = { ...history, events };
      if (rest.length > events.length) page.nextAfter = events.at(-1)?.seq;
      return page;
    },
  );
}
