export { type ActivityContext, activityContext, activityStorage } from './activity-context.ts';
export { BatchClient, type BatchOptions, type NewBatchOptions } from './client/batch-client.ts';
export { runBatch, tryRunBatch } from './client/batch-runner.ts';
export {
  Client,
  type ClientMetrics,
  type ClientOptions,
  type LocalWorker,
  type SignalSendOptions,
  type StartOptions,
  type WorkflowHandle,
  type WorkflowHistory,
} from './client/client.ts';
export type { ResetOptions } from './client/operator-actions.ts';
export type { PendingActivity, PendingWork } from './client/pending.ts';
export { checkResetPoint } from './client/reset-point.ts';
export { type ClosedRun, closedResult } from './client/result-waiter.ts';
export { checkScheduleId, type ScheduleClient, type ScheduleOptions } from './client/schedule-client.ts';
export { checkUpdate, type UpdateOptions, updateTimeout } from './client/update-sender.ts';
export { checkId, checkName, workflowTypeOf } from './client/validate.ts';
export { assertJson, type Json, MAX_JSON_DEPTH } from './codec.ts';
export { type Duration, MAX_DURATION_MS, toMs } from './duration.ts';
export * from './errors.ts';
export type { DebounceOptions, ThrottleOptions } from './flow-options.ts';
export {
  boundLogger,
  defaultLogger,
  errorFields,
  LOG_LEVELS,
  type LogFn,
  type Logger,
  loggerOptions,
  REDACTED_FIELDS,
} from './logger.ts';
export { checkCron, nextFireTime } from './schedules/cron.ts';
export { planTick, type TickPlan, tickWorkflowId, withRecent } from './schedules/plan-tick.ts';
export * from './schedules/types.ts';
export * from './store/batches.ts';
export { migrate, pendingMigrationsSql } from './store/postgres/migrate.ts';
export type { SessionLimits } from './store/postgres/pool.ts';
export { type PostgresOptions, PostgresStore } from './store/postgres/postgres-store.ts';
export {
  describeConnectionError,
  isConnectionError,
  type UntilReachableOptions,
  untilReachable,
} from './store/postgres/reconnect.ts';
export * from './store/store.ts';
export * from './store/tasks.ts';
export {
  inSpan,
  reelTracer,
  runLinks,
  runParentContext,
  spanFailed,
  TraceAttributes,
  traceCarrier,
} from './tracing.ts';
export {
  type ActivityFn,
  type ActivityOptions,
  activityOptions,
  type BackoffStrategy,
  defineActivity,
  type RetryPolicy,
  replaceActivity,
  replacedActivity,
} from './workflow/activity.ts';
export {
  type ActivityConcurrency,
  type ActivityRateLimit,
  type AttemptLimits,
  attemptLimits,
  attemptQueue,
  LIMITED_QUEUE,
  type LimitKey,
} from './workflow/activity-limits.ts';
export type { OpenActivity, OpenChild, OpenTimer } from './workflow/commands.ts';
export type * from './workflow/context.ts';
export {
  DeterminismViolationError,
  type GuardMode,
  runInWorkflowScope,
  wallClock,
} from './workflow/determinism-guard.ts';
export {
  CLOSING_EVENTS,
  type EventType,
  type HistoryEvent,
  ISSUING_EVENTS,
  type RecordedEvent,
  type RunTrace,
  type TraceCarrier,
} from './workflow/events.ts';
export {
  type ExecutionOptions,
  type Outcome,
  WorkflowExecution,
} from './workflow/execution.ts';
export type { MapOptions, Settled } from './workflow/map.ts';
export { CompensationError, Saga } from './workflow/saga.ts';
