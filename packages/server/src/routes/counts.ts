import { WORKFLOW_STATUSES, type WorkflowStatus } from '@reel/sdk';
import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../schemas.ts';
import type { RouteContext } from './context.ts';
import { FILTER_PROPERTIES, type ListQuery, listFilter } from './workflows.ts';

/**
 * How many runs are in each status, for the list's filter tabs. A path of its own rather than
 * `/v1/workflows/counts`, which would hide the workflow whose id is `counts`.
 */
export function countRoutes(app: FastifyInstance, { readClient }: RouteContext): void {
  app.get<{ Querystring: Omit<ListQuery, 'status' | 'limit' | 'cursor'> }>(
    '/v1/workflow-counts',
    {
      schema: {
        summary: 'Count workflow runs by status',
        description: 'The runs the filter matches, counted for each status (zero included).',
        tags: ['workflows'],
        querystring: { type: 'object', properties: FILTER_PROPERTIES, additionalProperties: false },
        response: {
          200: {
            type: 'object',
            properties: {
              counts: {
                type: 'object',
                properties: Object.fromEntries(WORKFLOW_STATUSES.map((s) => [s, { type: 'integer' }])),
                required: [...WORKFLOW_STATUSES],
              },
            },
            required: ['counts'],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const filter = listFilter(request.query);
      const counts = await Promise.all(
        WORKFLOW_STATUSES.map(async (status: WorkflowStatus) => [
          status,
          await readClient.batches.count({ ...filter, status }),
        ]),
      );
      return { counts: Object.fromEntries(counts) };
    },
  );
}
