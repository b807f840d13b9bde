export { allows, createAuthenticator, parseApiKeys, type RouteScope } from './auth.ts';
export { clientErrorHandler, type ErrorBody, frameworkErrors, toHttpError } from './error-handler.ts';
export { reelError, type ServerErrorCode, ServerErrorCodes, STATUS_BY_CODE } from './errors.ts';
export type {
  HookBodyCheck,
  HookOptions,
  HookRequest,
  HookSignature,
  HookValue,
} from './hooks/hook-options.ts';
export type { HttpBatchClient } from './http-batch-client.ts';
export { HttpClient, type HttpClientOptions } from './http-client.ts';
export type { HttpScheduleClient } from './http-schedule-client.ts';
export { type PrometheusMetrics, prometheusMetrics, Registry } from './metrics.ts';
export type { ApiKey, JwtAuthOptions, ReelPluginOptions, Scope, ServerOptions } from './options.ts';
export { reelPlugin } from './plugin.ts';
export { buildServer, isLoopback, type StartServerOptions, startServer } from './server.ts';
export type {
  BatchClientMethod,
  ScheduleClientMethod,
  WorkflowBatchClient,
  WorkflowClient,
  WorkflowClientMethod,
  WorkflowScheduleClient,
} from './workflow-client.ts';
