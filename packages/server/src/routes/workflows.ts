import type { BatchFilter, Json, ListFilter, StartOptions, WorkflowStatus } from '@reel/sdk';
import type { FastifyInstance } from 'fastify';
import { reelError, ServerErrorCodes } from '../errors.ts';
import {
  coalescingOption,
  concurrencyOption,
  durationOption,
  errorResponses,
  idParams,
  priorityOption,
  runIdQuery,
  STATUSES,
} from '../schemas.ts';
import type { RouteContext } from './context.ts';

/** 1 to 1000. Numbers in query strings are matched as text, so nothing depends on the app's type coercion. */
export const LIMIT = '^([1-9][0-9]{0,2}|1000)$';

const STATUS_LIST = `^(${STATUSES.join('|')})(,(${STATUSES.join('|')}))*$`;

/** The query parameters that filter runs by other than their status. */
export const FILTER_PROPERTIES = {
  type: { type: 'string', minLength: 1, maxLength: 256 },
  attributes: {
    type: 'string',
    maxLength: 4096,
    description: 'A JSON object: runs whose attributes contain all of it.',
  },
  createdAfter: { type: 'string', format: 'date-time', description: 'Runs created at or after.' },
  createdBefore: { type: 'string', format: 'date-time', description: 'Runs created before.' },
  latest: {
    type: 'string',
    enum: ['true', 'false'],
    description:
      'true: only the latest run of each workflow id, leaving out runs a reset, a continue-as-new or a new start took over.',
  },
} as const;

/** Start, list and describe. */
export function workflowRoutes(app: FastifyInstance, { client, readClient, bodyLimit }: RouteContext): void {
  app.post<{ Body: StartBody }>(
    '/v1/workflows',
    {
      bodyLimit,
      config: { scope: 'write' },
      schema: {
        summary: 'Start a workflow',
        description:
          'Idempotent by id: starting an id that is open returns the existing run with 200 and created false. A debounced or throttled start that returns an existing run answers 200 too.',
        tags: ['workflows'],
        body: {
          type: 'object',
          properties: {
            type: {
              type: 'string',
              minLength: 1,
              maxLength: 256,
              description: 'The registered workflow type (its function name).',
            },
            id: {
              type: 'string',
              minLength: 1,
              maxLength: 256,
              description: 'The workflow id; generated when absent.',
            },
            input: { description: 'Any JSON value.' },
            onConflict: { type: 'string', enum: ['useExisting', 'fail'], default: 'useExisting' },
            startDelay: durationOption('The run becomes runnable this long after it is created.'),
            executionTimeout: durationOption(
              'The run fails with REEL_WORKFLOW_TIMEOUT if still open this long after it started.',
            ),
            attributes: {
              type: 'object',
              description: 'Stored with the run; list filters match them (attributes=).',
            },
            concurrency: concurrencyOption,
            priority: priorityOption,
            debounce: coalescingOption(
              'Starts of this type and key join the run not started yet, which takes the last input and starts a period after the last start (or maxWait after the first). Not with id or concurrency.',
              true,
            ),
            throttle: coalescingOption(
              "A start within the period of the start of this type and key's latest run returns that run. Not with id or debounce.",
            ),
          },
          required: ['type'],
          additionalProperties: false,
        },
        response: {
          '2xx': {
            type: 'object',
            properties: {
              workflowId: { type: 'string' },
              runId: { type: 'string' },
              created: { type: 'boolean' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { type, input, ...options } = request.body;
      const handle = await client.start(type, input as never, options);
      return reply
        .status(handle.created ? 201 : 200)
        .send({ workflowId: handle.id, runId: handle.runId, created: handle.created });
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/v1/workflows',
    {
      schema: {
        summary: 'List workflow runs, newest first',
        tags: ['workflows'],
        querystring: {
          type: 'object',
          properties: {
            status: {
              type: 'string',
              pattern: STATUS_LIST,
              description: `One status or several, comma-separated: ${STATUSES.join(', ')}.`,
            },
            ...FILTER_PROPERTIES,
            limit: { type: 'string', pattern: LIMIT, description: 'Page size, 1 to 1000. Default 50.' },
            cursor: {
              type: 'string',
              minLength: 1,
              maxLength: 1000,
              description: 'nextCursor of the previous page, unchanged.',
            },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: { $ref: 'ReelWorkflow#' } },
              nextCursor: { type: 'string' },
            },
            required: ['items'],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const filter: ListFilter = { ...listFilter(request.query) };
      if (limit !== undefined) filter.limit = Number(limit);
      if (cursor !== undefined) filter.cursor = cursor;
      return readClient.list(filter);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { runId?: string } }>(
    '/v1/workflows/:id',
    {
      schema: {
        summary: 'Describe a workflow run',
        tags: ['workflows'],
        params: idParams,
        querystring: { type: 'object', properties: { runId: runIdQuery }, additionalProperties: false },
        response: { 200: { $ref: 'ReelWorkflow#' }, ...errorResponses },
      },
    },
    async (request) => client.describe(request.params.id, { runId: request.query.runId }),
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: string } }>(
    '/v1/workflows/:id/runs',
    {
      schema: {
        summary: 'The runs of a workflow id, the latest first',
        description: 'Its continue-as-new chain and the runs its resets started, with their status.',
        tags: ['workflows'],
        params: idParams,
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'string', pattern: LIMIT, description: 'At most, 1 to 1000. Default 50.' },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { items: { type: 'array', items: { $ref: 'ReelWorkflow#' } } },
            required: ['items'],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { limit } = request.query;
      return {
        items: await client.runs(request.params.id, {
          limit: limit === undefined ? undefined : Number(limit),
        }),
      };
    },
  );
}

/** What `POST /v1/workflows` takes: a type, an input, and the start options the API offers. */
type StartBody = { type: string; input?: unknown } & Pick<
  StartOptions,
  | 'id'
  | 'startDelay'
  | 'executionTimeout'
  | 'attributes'
  | 'concurrency'
  | 'priority'
  | 'debounce'
  | 'throttle'
> & { onConflict?: 'useExisting' | 'fail' };

/** The run filter of a list query string, without its paging. */
export function listFilter(query: ListQuery): BatchFilter {
  const { status, type, attributes, createdAfter, createdBefore, latest } = query;
  const filter: BatchFilter = {};
  if (status !== undefined) filter.status = status.split(',') as WorkflowStatus[];
  if (type !== undefined) filter.type = type;
  if (attributes !== undefined) filter.attributes = jsonObject(attributes, 'attributes');
  if (createdAfter !== undefined) filter.createdAfter = new Date(createdAfter);
  if (createdBefore !== undefined) filter.createdBefore = new Date(createdBefore);
  if (latest !== undefined) filter.latest = latest === 'true';
  return filter;
}

export interface ListQuery {
  status?: string;
  type?: string;
  attributes?: string;
  createdAfter?: string;
  createdBefore?: string;
  latest?: 'true' | 'false';
  limit?: string;
  cursor?: string;
}

/** A query parameter holding a JSON object. */
function jsonObject(text: string, name: string): Record<string, Json> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {}
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw reelError(
      ServerErrorCodes.INVALID_REQUEST,
      `Invalid request: ${name} must be a JSON object, such as {"tenant":"acme"}.`,
    );
  return value as Record<string, Json>;
}
