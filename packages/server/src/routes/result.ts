import { type Client, ErrorCodes, OPEN_STATUSES, ReelError, toMs, type WorkflowDescription } from '@reel/sdk';
import type { FastifyInstance } from 'fastify';
import { errorResponses, idParams, runIdQuery } from '../schemas.ts';
import type { RouteContext } from './context.ts';

/** Longest a result request is held open, so proxies and clients with a 60+ s idle timeout never cut it. */
export const MAX_WAIT_MS = 60_000;

/** The codes `client.result` closes with when a run did not complete; the route answers them as data. */
const CLOSED_CODES: ReadonlySet<string> = new Set([
  ErrorCodes.WORKFLOW_FAILED,
  ErrorCodes.CANCELLED,
  ErrorCodes.WORKFLOW_TERMINATED,
]);

/** The long-poll result route: 200 once closed, 202 while still open after the wait. */
export function resultRoutes(app: FastifyInstance, { client }: RouteContext): void {
  app.get<{ Params: { id: string }; Querystring: { wait?: string; runId?: string } }>(
    '/v1/workflows/:id/result',
    {
      schema: {
        summary: 'Wait for a workflow result (long poll)',
        description: `Waits up to \`wait\` (capped at ${MAX_WAIT_MS / 1000}s) for the run to close. 200 with the result or error once closed; 202 with the status while still open.`,
        tags: ['workflows'],
        params: idParams,
        querystring: {
          type: 'object',
          properties: {
            wait: {
              type: 'string',
              maxLength: 32,
              description: "How long to wait: '30s', '1500ms' or milliseconds. Default 0.",
            },
            runId: runIdQuery,
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { status: { type: 'string' }, result: {}, error: { $ref: 'ReelErrorInfo#' } },
            required: ['status'],
          },
          202: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { runId } = request.query;
      const wait = /^\d+$/.test(request.query.wait ?? '')
        ? Number(request.query.wait)
        : (request.query.wait ?? 0);
      const run = await waitForClose(client, id, runId, Math.min(toMs(wait, 'wait'), MAX_WAIT_MS));
      if (OPEN_STATUSES.includes(run.status)) return reply.status(202).send({ status: run.status });
      if (run.status === 'completed') return { status: run.status, result: run.result ?? null };
      return {
        status: run.status,
        error: run.error ?? {
          name: 'CancelledError',
          message: `Workflow ${id} was cancelled.`,
          code: ErrorCodes.CANCELLED,
        },
      };
    },
  );
}

/** Waits with the client's LISTEN-based `result`, then reads the run as it is now. */
async function waitForClose(
  client: Client,
  id: string,
  runId: string | undefined,
  waitMs: number,
): Promise<WorkflowDescription> {
  try {
    await client.result(id, { runId, timeout: waitMs });
  } catch (err) {
    const code = err instanceof ReelError ? err.code : undefined;
    if (code !== ErrorCodes.TIMEOUT && !(code && CLOSED_CODES.has(code))) throw err;
  }
  return client.describe(id, { runId });
}
