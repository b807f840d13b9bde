// The metric set lives in @reel/worker/prometheus, so a worker process serves it without Fastify; the server
// exposes the same set, and keeps offering it from here.
export { type PrometheusMetrics, prometheusMetrics, Registry } from '@reel/worker/prometheus';
