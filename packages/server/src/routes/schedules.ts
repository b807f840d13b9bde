import { type ConcurrencyLimit, OVERLAP_POLICIES, type OverlapPolicy } from '@reel/sdk';
import type { FastifyInstance } from 'fastify';
import { concurrencyOption, errorResponses, priorityOption, scheduleIdParams } from '../schemas.ts';
import type { RouteContext } from './context.ts';

const scheduleRef = { $ref: 'ReelSchedule#' } as const;

/** Pause and resume take no arguments; a body, if sent, must be empty (`{}` or `null`). */
const noBody = { type: ['object', 'null'], properties: {}, additionalProperties: false } as const;

interface CreateBody {
  id: string;
  workflowType: string;
  cron: string;
  timezone?: string;
  input?: unknown;
  overlap?: OverlapPolicy;
  concurrency?: ConcurrencyLimit;
  priority?: number;
  paused?: boolean;
}

type ById = { Params: { id: string } };

/**
 * `client.schedules` over HTTP: create, list, describe, pause, resume, trigger and delete. Reads
 * need `read`, changes `write`, and delete `admin`, like terminate: it cannot be undone.
 */
export function scheduleRoutes(app: FastifyInstance, { client, bodyLimit }: RouteContext): void {
  const { schedules } = client;

  app.post<{ Body: CreateBody }>(
    '/v1/schedules',
    {
      bodyLimit,
      config: { scope: 'write' },
      schema: {
        summary: 'Create a schedule',
        description:
          '400 REEL_INVALID_SCHEDULE for a cron expression that does not parse or an unknown time zone, 409 REEL_SCHEDULE_EXISTS when the id is taken, 422 REEL_UNKNOWN_WORKFLOW_TYPE when no worker has registered the type.',
        tags: ['schedules'],
        body: {
          type: 'object',
          properties: {
            id: {
              type: 'string',
              minLength: 1,
              maxLength: 200,
              description: "The schedule's id; each tick's run is `<id>@<fire time>`.",
            },
            workflowType: {
              type: 'string',
              minLength: 1,
              maxLength: 256,
              description: 'The registered workflow type every tick starts.',
            },
            cron: {
              type: 'string',
              maxLength: 256,
              description: "5 fields ('0 9 * * 1-5'), 6 with seconds first, or a nickname such as '@daily'.",
            },
            timezone: {
              type: 'string',
              maxLength: 64,
              default: 'UTC',
              description: "The IANA time zone the expression is read in, e.g. 'Europe/Paris'.",
            },
            input: { description: 'The JSON input every run gets.' },
            overlap: { type: 'string', enum: OVERLAP_POLICIES, default: 'skip' },
            concurrency: concurrencyOption,
            priority: priorityOption,
            paused: { type: 'boolean', default: false, description: 'Create it paused.' },
          },
          required: ['id', 'workflowType', 'cron'],
          additionalProperties: false,
        },
        response: { 201: scheduleRef, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { workflowType, input, ...options } = request.body;
      const created = await schedules.create({ ...options, workflow: workflowType, input: input as never });
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/v1/schedules',
    {
      schema: {
        summary: 'List every schedule, by id',
        tags: ['schedules'],
        response: {
          200: {
            type: 'object',
            properties: { items: { type: 'array', items: scheduleRef } },
            required: ['items'],
          },
          ...errorResponses,
        },
      },
    },
    async () => ({ items: await schedules.list() }),
  );

  app.get<ById>(
    '/v1/schedules/:id',
    {
      schema: {
        summary: 'Describe a schedule',
        description: 'Its next fire time, its recent runs, whether it is paused.',
        tags: ['schedules'],
        params: scheduleIdParams,
        response: { 200: scheduleRef, ...errorResponses },
      },
    },
    async (request) => schedules.describe(request.params.id),
  );

  const change = (action: 'pause' | 'resume', summary: string, description: string) =>
    app.post<ById>(
      `/v1/schedules/:id/${action}`,
      {
        bodyLimit,
        config: { scope: 'write' },
        schema: {
          summary,
          description: `${description} Idempotent. Answers the schedule as it now is.`,
          tags: ['schedules'],
          params: scheduleIdParams,
          body: noBody,
          response: { 200: scheduleRef, ...errorResponses },
        },
      },
      async (request) => {
        await schedules[action](request.params.id);
        return schedules.describe(request.params.id);
      },
    );
  change('pause', 'Pause a schedule', 'Stops firing ticks; runs already started go on.');
  change(
    'resume',
    'Resume a schedule',
    'Fires again from the next match after now; ticks that fell due while paused are not made up.',
  );

  app.post<ById & { Body: { workflowType?: string } | null }>(
    '/v1/schedules/:id/trigger',
    {
      bodyLimit,
      config: { scope: 'write' },
      schema: {
        summary: 'Start one run of a schedule now',
        description:
          'Whatever the overlap policy, and even while paused. Given workflowType, 400 REEL_INVALID_ARGUMENT when the schedule starts another type, and nothing starts.',
        tags: ['schedules'],
        params: scheduleIdParams,
        body: {
          type: ['object', 'null'],
          properties: {
            workflowType: {
              type: 'string',
              minLength: 1,
              maxLength: 256,
              description: 'The workflow type the caller expects the schedule to start.',
            },
          },
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
      const workflowType = request.body?.workflowType;
      const { id } = request.params;
      const handle = await (workflowType ? schedules.trigger(id, workflowType) : schedules.trigger(id));
      return reply.status(201).send({ workflowId: handle.id, runId: handle.runId });
    },
  );

  app.delete<ById>(
    '/v1/schedules/:id',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Delete a schedule',
        description: 'Runs it started go on. Needs the admin scope.',
        tags: ['schedules'],
        params: scheduleIdParams,
        response: { 204: { type: 'null', description: 'Deleted.' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await schedules.delete(request.params.id);
      return reply.status(204).send();
    },
  );
}
