export type { WorkerMetrics } from './metrics.ts';
export { purgeExpired, RETENTION_BATCH } from './retention.ts';
export { DEFAULT_RETRY } from './retry.ts';
export { Worker, type WorkerHealth, type WorkerOptions } from './worker.ts';
