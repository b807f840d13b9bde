import type { BatchClient, Client, ScheduleClient } from '@reel/sdk';

/** The methods `Client` and `HttpClient` share. `query` joins as soon as the SDK's `Client` has it. */
export type WorkflowClientMethod =
  | 'start'
  | 'getHandle'
  | 'signal'
  | 'cancel'
  | 'terminate'
  | 'retryNow'
  | 'reset'
  | 'query'
  | 'update'
  | 'describe'
  | 'list'
  | 'runs'
  | 'history'
  | 'result'
  | 'close';

/** The methods of `client.schedules` that `HttpClient.schedules` has too: all of them. */
export type ScheduleClientMethod = 'create' | 'describe' | 'list' | 'pause' | 'resume' | 'trigger' | 'delete';

/**
 * `client.schedules` as both clients have it. Picked rather than `ScheduleClient` itself, whose
 * private members would make it accept only the SDK's class.
 */
export type WorkflowScheduleClient = Pick<ScheduleClient, ScheduleClientMethod>;

/**
 * What application code needs to drive workflows, whether straight against Postgres (`Client`) or
 * over HTTP (`HttpClient`): type your code against this and pick the implementation by configuration.
 * @example
 * const client: WorkflowClient = process.env.REEL_URL
 *   ? new HttpClient({ baseUrl: process.env.REEL_URL, apiKey: process.env.REEL_API_KEY })
 *   : new Client({ connectionString: process.env.DATABASE_URL! });
 */
export type WorkflowClient = Pick<Client, Extract<WorkflowClientMethod, keyof Client>> & {
  /** Cron schedules that start workflows. */
  readonly schedules: WorkflowScheduleClient;
  /** Bulk actions: cancel, terminate or signal every run a filter matches. */
  readonly batches: WorkflowBatchClient;
};

/** The methods of `client.batches` that `HttpClient.batches` has too: all of them. */
export type BatchClientMethod =
  | 'cancel'
  | 'terminate'
  | 'signal'
  | 'count'
  | 'start'
  | 'resume'
  | 'describe'
  | 'stop';

/** `client.batches` as both clients have it. */
export type WorkflowBatchClient = Pick<BatchClient, BatchClientMethod>;
