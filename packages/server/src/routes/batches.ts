import type { BatchDescription, BatchFilter, BatchOperation, Json, WorkflowStatus } from '@reel/sdk';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { errorResponses, STATUSES } from '../schemas.ts';
import type { RouteContext } from './context.ts';

const batchIdParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 256, description: 'The batch id.' } },
  required: ['id'],
} as const;

const filterSchema = {
  type: 'object',
  description: "The runs to act on: list's filters. Runs listed closed are skipped.",
  properties: {
    status: {
      anyOf: [
        { type: 'string', enum: STATUSES },
        { type: 'array', items: { type: 'string', enum: STATUSES }, minItems: 1, maxItems: 10 },
      ],
    },
    type: { type: 'string', minLength: 1, maxLength: 256 },
    attributes: { type: 'object', description: 'Runs whose attributes contain all of these.' },
    createdAfter: { type: 'string', maxLength: 64, description: 'ISO 8601: runs created at or after.' },
    createdBefore: { type: 'string', maxLength: 64, description: 'ISO 8601: runs created before.' },
    latest: { type: 'boolean', description: 'Only the latest run of each workflow id.' },
  },
  additionalProperties: false,
} as const;

const commonBody = {
  filter: filterSchema,
  id: {
    type: 'string',
    minLength: 1,
    maxLength: 256,
    description: 'The batch id; generated when absent. The id of the same batch again resumes it.',
  },
  pageSize: { type: 'integer', minimum: 1, maximum: 1000, description: 'Runs per page. Default 100.' },
  dryRun: { type: 'boolean', description: 'Only count the runs the filter matches; change nothing.' },
} as const;

const reasonProperty = { reason: { type: 'string', maxLength: 10_000 } } as const;

const batchSchema = {
  $id: 'ReelBatch',
  type: 'object',
  description: 'A bulk action and its progress, as `client.batches.describe()` returns it.',
  properties: {
    id: { type: 'string' },
    operation: {
      type: 'object',
      properties: {
        kind: { type: 'string', enum: ['cancel', 'terminate', 'signal'] },
        reason: { type: 'string' },
        name: { type: 'string' },
        payload: {},
      },
      required: ['kind'],
    },
    filter: { type: 'object', additionalProperties: true },
    pageSize: { type: 'integer' },
    status: { type: 'string', enum: ['running', 'completed', 'cancelled'] },
    matched: { type: 'integer', description: 'Runs the filter matched when the batch was created.' },
    done: { type: 'integer', description: 'Runs the operation reached, once each.' },
    skipped: { type: 'integer', description: 'Runs that had closed before the operation reached them.' },
    cursor: { type: 'string' },
    runner: {
      type: 'object',
      properties: { owner: { type: 'string' }, leaseExpiresAt: { type: 'string', format: 'date-time' } },
    },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    closedAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'operation', 'filter', 'pageSize', 'status', 'matched', 'done', 'skipped', 'createdAt'],
} as const;

const startResponses = {
  200: {
    type: 'object',
    description: 'The dry run: how many runs the filter matches now.',
    properties: { dryRun: { type: 'boolean' }, matched: { type: 'integer' } },
    required: ['dryRun', 'matched'],
  },
  202: { $ref: 'ReelBatch#' },
  ...errorResponses,
} as const;

interface FilterBody {
  status?: WorkflowStatus | WorkflowStatus[];
  type?: string;
  attributes?: Record<string, Json>;
  createdAfter?: string;
  createdBefore?: string;
  latest?: boolean;
}

interface StartBody {
  filter?: FilterBody;
  id?: string;
  pageSize?: number;
  dryRun?: boolean;
  reason?: string;
  name?: string;
  payload?: Json;
}

/** Bulk actions: cancel, terminate or signal the runs a filter matches; describe, resume, stop. */
export function batchRoutes(app: FastifyInstance, { client, bodyLimit }: RouteContext): void {
  app.addSchema(batchSchema);

  /** Runs the batch in this process, answering at once: its progress is read with GET. */
  const runInBackground = (batch: BatchDescription, log: FastifyBaseLogger) => {
    client.batches.resume(batch.id).catch((err) => {
      log.warn({ err, batchId: batch.id }, 'batch runner stopped; resume the batch to go on');
    });
  };

  const operations = [
    { kind: 'cancel', scope: 'write', summary: 'Cancel every run a filter matches', extra: reasonProperty },
    {
      kind: 'terminate',
      scope: 'admin',
      summary: 'Terminate every run a filter matches',
      extra: reasonProperty,
    },
    {
      kind: 'signal',
      scope: 'write',
      summary: 'Signal every run a filter matches',
      extra: {
        name: { type: 'string', minLength: 1, maxLength: 256, description: 'The signal name.' },
        payload: { description: 'Any JSON value.' },
      },
    },
  ] as const;

  for (const { kind, scope, summary, extra } of operations) {
    app.post<{ Body: StartBody }>(
      `/v1/batches/${kind}`,
      {
        bodyLimit,
        config: { scope },
        schema: {
          summary,
          description:
            'Creates a batch and runs it in the server, a page at a time, each run reached once; answers 202 with the batch at once (GET it for progress). With dryRun, answers 200 with the count and changes nothing. Terminate needs the admin scope, as for one run.',
          tags: ['batches'],
          body: {
            type: 'object',
            properties: { ...commonBody, ...extra },
            ...(kind === 'signal' ? { required: ['name'] } : {}),
            additionalProperties: false,
          },
          response: startResponses,
        },
      },
      async (request, reply) => {
        const body = request.body;
        const filter = toFilter(body.filter ?? {});
        if (body.dryRun)
          return reply.status(200).send({ dryRun: true, matched: await client.batches.count(filter) });
        const batch = await client.batches.start({
          operation: toOperation(kind, body),
          filter,
          ...(body.id === undefined ? {} : { id: body.id }),
          ...(body.pageSize === undefined ? {} : { pageSize: body.pageSize }),
        });
        if (batch.status === 'running') runInBackground(batch, request.log);
        return reply.status(202).send(batch);
      },
    );
  }

  app.get<{ Params: { id: string } }>(
    '/v1/batches/:id',
    {
      schema: {
        summary: 'Describe a batch and its progress',
        tags: ['batches'],
        params: batchIdParams,
        response: { 200: { $ref: 'ReelBatch#' }, ...errorResponses },
      },
    },
    async (request) => client.batches.describe(request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/batches/:id/resume',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'Resume a batch',
        description:
          'Runs the batch in the server from its last page done (after its runner died, say), once no other runner holds it. Answers 202 with the batch at once.',
        tags: ['batches'],
        params: batchIdParams,
        response: { 202: { $ref: 'ReelBatch#' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const batch = await client.batches.describe(request.params.id);
      if (batch.status === 'running') runInBackground(batch, request.log);
      return reply.status(202).send(batch);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/batches/:id/stop',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'Stop a batch',
        description:
          'No page starts after it; the batch ends as cancelled. A batch that has ended is left as it is.',
        tags: ['batches'],
        params: batchIdParams,
        response: { 200: { $ref: 'ReelBatch#' }, ...errorResponses },
      },
    },
    async (request) => {
      await client.batches.stop(request.params.id);
      return client.batches.describe(request.params.id);
    },
  );
}

function toFilter(body: FilterBody): BatchFilter {
  const { createdAfter, createdBefore, ...rest } = body;
  return {
    ...rest,
    ...(createdAfter === undefined ? {} : { createdAfter: new Date(createdAfter) }),
    ...(createdBefore === undefined ? {} : { createdBefore: new Date(createdBefore) }),
  };
}

function toOperation(kind: 'cancel' | 'terminate' | 'signal', body: StartBody): BatchOperation {
  if (kind === 'signal') return { kind, name: body.name as string, payload: body.payload ?? null };
  return { kind, ...(body.reason === undefined ? {} : { reason: body.reason }) };
}
