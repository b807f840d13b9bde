export type { WorkerMetrics } from './metrics.ts';
export { DEFAULT_RETRY } from './retry.ts';
export { Worker, type WorkerLogger, type WorkerOptions } from './worker.ts';
