/** JSON schemas shared by the routes; they validate requests and document the API in OpenAPI. */

import { OVERLAP_POLICIES, WORKFLOW_STATUSES } from '@reel/sdk';

const STATUSES = [...WORKFLOW_STATUSES];

const date = { type: 'string', format: 'date-time' } as const;

/** What an open run waits on (`describe`), read from its history. */
const pendingWork = {
  type: 'object',
  description:
    "What the open run waits on: activities (attempt, last error, next attempt time while it backs off, task queue, the limit it waits for), timers (a signal wait's timeout names the signal), children.",
  properties: {
    activities: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          cmd: { type: 'integer' },
          name: { type: 'string' },
          attempt: { type: 'integer' },
          lastError: { $ref: 'ReelErrorInfo#' },
          nextAttemptAt: date,
          taskQueue: { type: 'string' },
          waitingFor: {
            type: 'object',
            description: 'The limit the attempt waits for: a concurrency key, or a rate limit key.',
            properties: { concurrencyKey: { type: 'string' }, rateLimitKey: { type: 'string' } },
          },
        },
        required: ['cmd', 'name', 'attempt'],
      },
    },
    timers: {
      type: 'array',
      items: {
        type: 'object',
        properties: { cmd: { type: 'integer' }, fireAt: date, signal: { type: 'string' } },
        required: ['cmd', 'fireAt'],
      },
    },
    children: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          cmd: { type: 'integer' },
          workflowId: { type: 'string' },
          workflowType: { type: 'string' },
          runId: { type: 'string', format: 'uuid' },
        },
        required: ['cmd', 'workflowId', 'workflowType'],
      },
    },
  },
  required: ['activities', 'timers', 'children'],
} as const;

export const errorResponse = {
  $id: 'ReelErrorResponse',
  type: 'object',
  description: 'Every error answer: a stable code to branch on and a message for people.',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', example: 'REEL_WORKFLOW_NOT_FOUND' },
        message: { type: 'string' },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

export const errorInfo = {
  $id: 'ReelErrorInfo',
  type: 'object',
  description: 'An error as stored: what the workflow threw, or why it is parked.',
  properties: {
    name: { type: 'string' },
    message: { type: 'string' },
    code: { type: 'string' },
    stack: { type: 'string' },
    nonRetryable: { type: 'boolean' },
    details: {},
  },
  required: ['name', 'message'],
} as const;

const flowKey = { type: 'string', minLength: 1, maxLength: 256 } as const;

/** A start's `concurrency` (docs/flow-control.md). */
export const concurrencyOption = {
  type: 'object',
  description:
    'At most `limit` open runs of `key` have started, across all workers; the others wait in start order.',
  properties: { key: flowKey, limit: { type: 'integer', minimum: 1 } },
  required: ['key', 'limit'],
  additionalProperties: false,
} as const;

/** A start's `priority`. */
export const priorityOption = {
  type: 'integer',
  minimum: 0,
  maximum: 10,
  description: 'Higher first, with ageing: each level is worth a minute of waiting. Default 0.',
} as const;

/** A duration: milliseconds, or text such as '10s'. */
export function durationOption(description: string) {
  return {
    anyOf: [{ type: 'string' }, { type: 'integer' }],
    description: `${description} Milliseconds, or a duration such as '10s' or '1 minute'.`,
  } as const;
}

/** A start's `debounce` or `throttle`: a key and a period (and for a debounce, a maximum wait). */
export function coalescingOption(description: string, maxWait = false) {
  return {
    type: 'object',
    description,
    properties: {
      key: flowKey,
      period: durationOption('The period.'),
      ...(maxWait
        ? {
            maxWait: durationOption(
              'At most this long after the first start, the run starts though starts keep coming; at least the period.',
            ),
          }
        : {}),
    },
    required: ['key', 'period'],
    additionalProperties: false,
  } as const;
}

export const workflowDescription = {
  $id: 'ReelWorkflow',
  type: 'object',
  properties: {
    workflowId: { type: 'string' },
    runId: { type: 'string', format: 'uuid' },
    type: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    input: { description: 'The JSON input it was started with.' },
    result: { description: 'The JSON result, once completed.' },
    error: { $ref: 'ReelErrorInfo#' },
    parked: {
      type: 'object',
      properties: {
        error: { $ref: 'ReelErrorInfo#' },
        attempts: { type: 'integer' },
        retryAt: { type: 'string', format: 'date-time', nullable: true },
      },
    },
    attributes: {
      type: 'object',
      additionalProperties: true,
      description: 'The attributes it was started with, to filter lists by.',
    },
    historyLength: { type: 'integer' },
    parentRunId: {
      type: 'string',
      format: 'uuid',
      description: "Set for a child workflow: its parent's run.",
    },
    parentWorkflowId: {
      type: 'string',
      description: "Set for a child workflow while its parent's run is kept: the parent's workflow id.",
    },
    resetTo: {
      type: 'string',
      format: 'uuid',
      description: 'Set once the run was reset: the run that took over.',
    },
    priority: { type: 'integer', description: "Its start's priority, when not 0." },
    waitingFor: {
      type: 'object',
      description: 'Set while the run waits to start: for a slot of its concurrency key.',
      properties: { concurrencyKey: { type: 'string' } },
      required: ['concurrencyKey'],
    },
    pending: pendingWork,
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    closedAt: { type: 'string', format: 'date-time' },
  },
  required: ['workflowId', 'runId', 'type', 'status', 'historyLength', 'createdAt', 'updatedAt'],
} as const;

const nullableDate = { type: 'string', format: 'date-time', nullable: true } as const;

export const scheduleDescription = {
  $id: 'ReelSchedule',
  type: 'object',
  description: 'A cron schedule, as `client.schedules.describe()` returns it.',
  properties: {
    id: { type: 'string' },
    workflowType: { type: 'string' },
    cron: { type: 'string' },
    timezone: { type: 'string', description: 'The IANA time zone the cron expression is read in.' },
    input: { description: 'The JSON input every run gets; absent when it has none.' },
    overlap: { type: 'string', enum: OVERLAP_POLICIES },
    concurrency: { ...concurrencyOption, description: 'The concurrency limit of each run it starts.' },
    priority: { type: 'integer', description: 'The priority of each run it starts, when not 0.' },
    paused: { type: 'boolean' },
    nextFireAt: { ...nullableDate, description: 'The next tick; null while paused.' },
    bufferedAt: { ...nullableDate, description: 'A tick bufferOne holds back, if any.' },
    recentRuns: {
      type: 'array',
      description: 'The runs it started most recently, newest first (at most 10).',
      items: {
        type: 'object',
        properties: { workflowId: { type: 'string' }, runId: { type: 'string', format: 'uuid' } },
        required: ['workflowId', 'runId'],
      },
    },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  required: [
    'id',
    'workflowType',
    'cron',
    'timezone',
    'overlap',
    'paused',
    'nextFireAt',
    'bufferedAt',
    'recentRuns',
    'createdAt',
    'updatedAt',
  ],
} as const;

export const sharedSchemas = [errorResponse, errorInfo, workflowDescription, scheduleDescription];

export const errorRef = { $ref: 'ReelErrorResponse#' } as const;

/** The error answers most routes can give, for the OpenAPI document. */
export const errorResponses = { '4xx': errorRef, '5xx': errorRef } as const;

export const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 256, description: 'The workflow id.' } },
  required: ['id'],
} as const;

/** Schedule ids are shorter than workflow ids: each tick's run id appends `@<fire time>` to them. */
export const scheduleIdParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 200, description: 'The schedule id.' } },
  required: ['id'],
} as const;

export const idAndNameParams = {
  type: 'object',
  properties: { ...idParams.properties, name: { type: 'string', minLength: 1, maxLength: 256 } },
  required: ['id', 'name'],
} as const;

export const reasonBody = {
  type: ['object', 'null'],
  properties: { reason: { type: 'string', maxLength: 10_000 } },
  additionalProperties: false,
} as const;

export const runIdQuery = {
  type: 'string',
  format: 'uuid',
  description: 'A specific run; default the latest.',
} as const;

/** `{ status }` answers of the accepted (202) control routes. */
export const accepted = {
  type: 'object',
  properties: { accepted: { type: 'boolean' } },
} as const;

export { STATUSES };
