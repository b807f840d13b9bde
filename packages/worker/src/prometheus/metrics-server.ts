import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServerOptions {
  /** The registry `/metrics` exposes (the one given to `prometheusMetrics`). */
  registry: Registry;
  /** `/healthz` answers this as JSON: 200 while `live` is true, else 503 (e.g. `() => worker.health()`). */
  health?: () => { live: boolean };
  /** 0 picks a free port. */
  port: number;
  /** Default: every interface, so that Prometheus and the orchestrator's probes reach it. */
  host?: string;
}

/** A listening metrics server: its port, and how to stop it. */
export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `/metrics` (Prometheus text format) and `/healthz` on a port of its own, with `node:http`
 * alone: a worker process gets both without a web framework. Both are read-only and need no key.
 * @example
 * const registry = new Registry();
 * const worker = await Worker.create({ connectionString, workflows, metrics: prometheusMetrics(registry) });
 * const server = await serveMetrics({ registry, port: 9464, health: () => worker.health() });
 */
export async function serveMetrics(options: MetricsServerOptions): Promise<MetricsServer> {
  const { registry, health } = options;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message),
      );
    } else if (path === '/healthz') {
      const report = health?.() ?? { live: true };
      res
        .writeHead(report.live ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify(report));
    } else {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('Not found: this port serves /metrics and /healthz.');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
