export type { WorkerMetrics } from './metrics.ts';
export { type MetricsServer, type MetricsServerOptions, serveMetrics } from './prometheus/metrics-server.ts';
export { type PrometheusMetrics, prometheusMetrics, Registry } from './prometheus/prometheus-metrics.ts';
export { purgeExpired, RETENTION_BATCH } from './retention.ts';
export { DEFAULT_RETRY } from './retry.ts';
export { Worker, type WorkerHealth, type WorkerOptions } from './worker.ts';
