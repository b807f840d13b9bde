import type { Client } from '@reel/sdk';
import type pg from 'pg';
import type { PrometheusMetrics } from '../metrics.ts';

/** What every route module needs from the plugin. */
export interface RouteContext {
  client: Client;
  /** Where the reads over many runs go (list, counts): `readClient`, else `client`. */
  readClient: Client;
  metrics: PrometheusMetrics;
  /** The client's Postgres pool, when it has one (readiness and backlog checks). */
  pool: pg.Pool | undefined;
  bodyLimit: number | undefined;
}
