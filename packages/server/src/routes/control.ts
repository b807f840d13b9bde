import type { FastifyInstance } from 'fastify';
import { errorResponses, idAndNameParams, idParams, reasonBody } from '../schemas.ts';
import type { RouteContext } from './context.ts';

const acceptedResponse = { 202: { type: 'object', properties: {} }, ...errorResponses };

/** Signal, cancel, terminate and query: input for a running workflow. */
export function controlRoutes(app: FastifyInstance, { client, bodyLimit }: RouteContext): void {
  app.post<{ Params: { id: string; name: string }; Body: { payload?: unknown } | null }>(
    '/v1/workflows/:id/signals/:name',
    {
      bodyLimit,
      config: { scope: 'write' },
      schema: {
        summary: 'Send a signal',
        description: 'Buffered until the workflow waits for it. 409 when the workflow has closed.',
        tags: ['control'],
        params: idAndNameParams,
        body: {
          type: ['object', 'null'],
          properties: { payload: { description: 'Any JSON value.' } },
          additionalProperties: false,
        },
        response: acceptedResponse,
      },
    },
    async (request, reply) => {
      await client.signal(request.params.id, request.params.name, request.body?.payload);
      return reply.status(202).send({});
    },
  );

  app.post<{ Params: { id: string }; Body: { reason?: string } | null }>(
    '/v1/workflows/:id/cancel',
    {
      bodyLimit,
      config: { scope: 'write' },
      schema: {
        summary: 'Ask a workflow to cancel',
        description:
          'Its pending awaits reject with CancelledError; it may clean up. 409 when it has closed.',
        tags: ['control'],
        params: idParams,
        body: reasonBody,
        response: acceptedResponse,
      },
    },
    async (request, reply) => {
      await client.cancel(request.params.id, request.body?.reason);
      return reply.status(202).send({});
    },
  );

  app.post<{ Params: { id: string }; Body: { reason?: string } | null }>(
    '/v1/workflows/:id/terminate',
    {
      bodyLimit,
      config: { scope: 'admin' },
      schema: {
        summary: 'Terminate a workflow at once',
        description:
          'Closes the run as terminated without running workflow code. Needs the admin scope. 409 when it has closed.',
        tags: ['control'],
        params: idParams,
        body: reasonBody,
        response: acceptedResponse,
      },
    },
    async (request, reply) => {
      await client.terminate(request.params.id, request.body?.reason);
      return reply.status(202).send({});
    },
  );

  app.post<{
    Params: { id: string; name: string };
    Body: { args?: unknown[]; timeout?: string | number } | null;
  }>(
    '/v1/workflows/:id/queries/:name',
    {
      bodyLimit,
      config: { scope: 'read' },
      schema: {
        summary: 'Query a running workflow',
        description:
          "Runs the workflow's `ctx.onQuery` handler on a worker and returns its answer. 503 REEL_NO_WORKER when no live worker serves the type, 504 REEL_QUERY_TIMEOUT when none answered in time (default 10s).",
        tags: ['control'],
        params: idAndNameParams,
        body: {
          type: ['object', 'null'],
          properties: {
            args: { type: 'array', maxItems: 100, description: 'Arguments of the query handler.' },
            timeout: {
              anyOf: [
                { type: 'string', maxLength: 32 },
                { type: 'number', minimum: 0 },
              ],
              description: "How long to wait for a worker: '5s' or milliseconds.",
            },
          },
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { result: {} } }, ...errorResponses },
      },
    },
    async (request) => {
      const { args, timeout } = request.body ?? {};
      const result = await client.query(
        request.params.id,
        request.params.name,
        args,
        timeout === undefined ? {} : { timeout },
      );
      return { result: result ?? null };
    },
  );
}
