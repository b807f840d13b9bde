// `@reel/worker/prometheus`: apart from the worker's main entry, so that a worker without
// Prometheus neither installs nor loads prom-client (an optional peer dependency).
export { type MetricsServer, type MetricsServerOptions, serveMetrics } from './metrics-server.ts';
export { type PrometheusMetrics, prometheusMetrics, Registry } from './prometheus-metrics.ts';
