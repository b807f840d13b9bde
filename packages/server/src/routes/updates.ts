import { randomUUID } from 'node:crypto';
import { ErrorCodes, ReelError, toMs } from '@reel/sdk';
import type { FastifyInstance } from 'fastify';
import { errorResponses, idAndNameParams } from '../schemas.ts';
import type { RouteContext } from './context.ts';
import { MAX_WAIT_MS } from './result.ts';

/**
 * The long-poll update route: 200 with the handler's result, 202 with the update id while it is still
 * pending after the wait (send it again with that id to wait on: it runs once).
 */
export function updateRoutes(app: FastifyInstance, { client, bodyLimit }: RouteContext): void {
  app.post<{
    Params: { id: string; name: string };
    Body: { arg?: unknown; updateId?: string; wait?: string | number } | null;
  }>(
    '/v1/workflows/:id/updates/:name',
    {
      bodyLimit,
      config: { scope: 'write' },
      schema: {
        summary: 'Send an update and wait for its result (long poll)',
        description: `Runs the workflow's \`ctx.onUpdate\` handler and waits up to \`wait\` (default and cap ${MAX_WAIT_MS / 1000}s) for its result: 200 with it, 202 with the \`updateId\` while it is still pending (send the same \`updateId\` again to keep waiting; the update runs once). 422 REEL_UPDATE_REJECTED when its validator refuses it (nothing is recorded), 422 REEL_UPDATE_FAILED when its handler throws, 409 when the workflow has closed.`,
        tags: ['control'],
        params: idAndNameParams,
        body: {
          type: ['object', 'null'],
          properties: {
            arg: { description: "The handler's argument: any JSON value." },
            updateId: {
              type: 'string',
              minLength: 1,
              maxLength: 256,
              description: 'Identifies the update within the workflow id. Default: a random UUID.',
            },
            wait: {
              anyOf: [
                { type: 'string', maxLength: 32 },
                { type: 'number', minimum: 0 },
              ],
              description: `How long to wait for the result: '30s' or milliseconds. Default ${MAX_WAIT_MS / 1000}s.`,
            },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { updateId: { type: 'string' }, result: {} },
            required: ['updateId'],
          },
          202: {
            type: 'object',
            properties: { updateId: { type: 'string' }, status: { type: 'string', enum: ['pending'] } },
            required: ['updateId', 'status'],
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { arg, wait } = request.body ?? {};
      const updateId = request.body?.updateId ?? randomUUID();
      const timeout = Math.min(wait === undefined ? MAX_WAIT_MS : toMs(wait, 'wait'), MAX_WAIT_MS);
      try {
        const result = await client.update(request.params.id, request.params.name, arg, {
          updateId,
          timeout,
        });
        return { updateId, result: result ?? null };
      } catch (err) {
        if (!(err instanceof ReelError && err.code === ErrorCodes.UPDATE_TIMEOUT)) throw err;
        return reply.status(202).send({ updateId, status: 'pending' });
      }
    },
  );
}
