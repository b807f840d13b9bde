import type { Client } from '@reel/sdk';

/** The methods `Client` and `HttpClient` share. `query` joins as soon as the SDK's `Client` has it. */
export type WorkflowClientMethod =
  | 'start'
  | 'getHandle'
  | 'signal'
  | 'cancel'
  | 'terminate'
  | 'query'
  | 'describe'
  | 'list'
  | 'history'
  | 'result'
  | 'close';

/**
 * What application code needs to drive workflows, whether straight against Postgres (`Client`) or
 * over HTTP (`HttpClient`): type your code against this and pick the implementation by configuration.
 * @example
 * const client: WorkflowClient = process.env.REEL_URL
 *   ? new HttpClient({ baseUrl: process.env.REEL_URL, apiKey: process.env.REEL_API_KEY })
 *   : new Client({ connectionString: process.env.DATABASE_URL! });
 */
export type WorkflowClient = Pick<Client, Extract<WorkflowClientMethod, keyof Client>>;
