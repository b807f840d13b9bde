/** JSON schemas shared by the routes; they validate requests and document the API in OpenAPI. */

import { OVERLAP_POLICIES } from '@reel/sdk';

const STATUSES = ['running', 'parked', 'completed', 'failed', 'cancelled', 'terminated'];

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
    historyLength: { type: 'integer' },
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
