export { Worker, type WorkerLogger, type WorkerOptions } from './worker.ts';
export { DEFAULT_RETRY } from './retry.ts';
