import { CancelledError, ReelError, WorkflowFailedError } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { HttpClient } from '../src/http-client.ts';
import type { WorkflowClient } from '../src/workflow-client.ts';
import { failing, greeting, guestbook, quick, waiting } from './fixtures/workflows.ts';
import { closedPort, useHarness } from './helpers.ts';

const db = useTestDatabase();
const h = useHarness(db, { apiKeys: [{ key: 'e2e-admin-key', scopes: ['admin'] }] });
let http: HttpClient;

beforeAll(async () => {
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  http = new HttpClient({ baseUrl: url, apiKey: 'e2e-admin-key' });
});

/** Application code typed against the shared interface: it cannot tell which client it got. */
async function approveGreeting(client: WorkflowClient, id: string, by: string) {
  const handle = await client.start(greeting, { name: by }, { id });
  const stage = await waitForStage(client, id);
  await client.signal(id, 'approve', { by });
  const result = await handle.result({ timeout: '10s' });
  return { stage, result, description: await client.describe(id) };
}

/** Polls the query (the API under test) until the workflow waits for approval; the last stage after 50 tries. */
async function waitForStage(client: WorkflowClient, id: string): Promise<unknown> {
  for (let i = 0; ; i++) {
    const stage = await client.query(id, 'stage');
    if (stage === 'awaiting approval' || i > 50) return stage;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('HttpClient over a real socket', () => {
  it('runs a workflow to its result with a query and a signal, exactly as Client does', async () => {
    const overHttp = await approveGreeting(http, 'e2e-http', 'Ada');
    const direct = await approveGreeting(h.client, 'e2e-direct', 'Ada');
    expect(overHttp.result).toEqual({ text: 'Hello, Ada!', approvedBy: 'Ada' });
    expect(overHttp.stage).toBe('awaiting approval');
    expect(direct.stage).toBe('awaiting approval');
    expect(overHttp.result).toEqual(direct.result);
    expect(overHttp.description.createdAt).toBeInstanceOf(Date);
    expect(overHttp.description.closedAt).toBeInstanceOf(Date);
    expect(overHttp.description).toMatchObject({
      workflowId: 'e2e-http',
      status: 'completed',
      type: 'greeting',
    });
    expect(await http.history('e2e-http')).toEqual(await h.client.history('e2e-http'));
    expect(await http.describe('e2e-direct')).toEqual(await h.client.describe('e2e-direct'));
    expect(await http.runs('e2e-http')).toEqual(await h.client.runs('e2e-http'));
    const later = await h.client.history('e2e-http', { after: 2 });
    expect(later.events.map((e) => e.seq)[0]).toBe(3);
    expect(await http.history('e2e-http', { after: 2 })).toEqual(later);
  });

  it("sends an update and returns the handler's result, with Client's errors, exactly as Client does", async () => {
    for (const [client, id] of [
      [http, 'e2e-update-http'],
      [h.client, 'e2e-update-direct'],
    ] as const) {
      await client.start(guestbook, undefined, { id });
      expect(await client.update(id, 'sign', 'Ada', { updateId: 'once' })).toEqual({
        greeting: 'Hello, Ada!',
        count: 1,
      });
      expect(await client.update(id, 'sign', 'Bob', { updateId: 'once' })).toMatchObject({ count: 1 });
      await expect(client.update(id, 'sign', '')).rejects.toMatchObject({ code: 'REEL_UPDATE_REJECTED' });
      await expect(client.update(id, 'unknown', 1, { timeout: 100 })).rejects.toMatchObject({
        code: 'REEL_UPDATE_TIMEOUT',
      });
    }
  });

  it('lists and pages like Client', async () => {
    const page = await http.list({ type: 'greeting', status: ['completed'], limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]?.createdAt).toBeInstanceOf(Date);
    const next = await http.list({ type: 'greeting', limit: 1, cursor: page.nextCursor });
    expect(next.items[0]?.workflowId).not.toBe(page.items[0]?.workflowId);
  });

  it('filters by attributes and creation time like Client, not dropping either', async () => {
    await h.client.start(waiting, undefined, { id: 'http-list-x', attributes: { region: 'x' } });
    const { createdAt } = await h.client.describe('http-list-x');
    await h.client.start(waiting, undefined, { id: 'http-list-y', attributes: { region: 'y' } });
    const ids = async (client: WorkflowClient, filter: Parameters<WorkflowClient['list']>[0]) =>
      (await client.list(filter)).items.map((r) => r.workflowId);
    for (const client of [http, h.client]) {
      expect(await ids(client, { attributes: { region: 'x' } })).toEqual(['http-list-x']);
      const after = new Date(createdAt.getTime() + 1);
      expect(await ids(client, { type: 'waiting', createdAfter: after })).toEqual(['http-list-y']);
      expect(await ids(client, { type: 'waiting', createdBefore: after })).toContain('http-list-x');
    }
  });

  it("throws ReelErrors with the server's codes, and Client's errors for closed runs", async () => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: ReelError) => (e instanceof ReelError ? e.code : String(e)),
      );
    expect(await code(http.describe('nobody'))).toBe('REEL_WORKFLOW_NOT_FOUND');
    expect(await code(http.runs('nobody'))).toBe('REEL_WORKFLOW_NOT_FOUND');
    expect(await code(h.client.history('e2e-http', { after: -1 }))).toBe('REEL_INVALID_ARGUMENT');
    expect(await code(http.runs('e2e-http', { limit: 0 }))).toBe('REEL_INVALID_REQUEST');
    expect(await code(http.signal('e2e-http', 'approve', {}))).toBe('REEL_WORKFLOW_CLOSED');
    expect(await code(http.start('noSuchType', {}))).toBe('REEL_UNKNOWN_WORKFLOW_TYPE');
    expect(await code(http.start(waiting, new Date() as never))).toBe('REEL_NOT_SERIALIZABLE');
    expect(await code(http.list({ cursor: 'bogus' }))).toBe('REEL_INVALID_ARGUMENT');

    const failed = await http.start(failing, undefined);
    await expect(failed.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const open = await http.start(waiting, undefined, { id: 'e2e-open' });
    expect(await code(open.result({ timeout: '300ms' }))).toBe('REEL_TIMEOUT');
    await open.cancel('done waiting');
    await expect(http.getHandle('e2e-open').result({ timeout: '10s' })).rejects.toBeInstanceOf(
      CancelledError,
    );
    await http.start(waiting, undefined, { id: 'e2e-terminate' });
    await http.terminate('e2e-terminate', 'stuck');
    expect(await code(http.result('e2e-terminate'))).toBe('REEL_WORKFLOW_TERMINATED');
  });

  it('creates, triggers, pauses, lists and deletes a schedule through HttpClient.schedules', async () => {
    const { schedules } = http as WorkflowClient;
    const created = await schedules.create({
      id: 'e2e-schedule',
      workflow: quick,
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Paris',
      input: 3,
      concurrency: { key: 'e2e-schedule', limit: 2 },
      priority: 6,
    });
    expect(created).toMatchObject({
      id: 'e2e-schedule',
      workflowType: 'quick',
      paused: false,
      input: 3,
      concurrency: { key: 'e2e-schedule', limit: 2 },
      priority: 6,
    });
    expect(created.nextFireAt).toBeInstanceOf(Date);
    expect(created.createdAt).toBeInstanceOf(Date);

    // Given the schedule's workflow, the result is typed by it; another type starts nothing.
    await expect(schedules.trigger('e2e-schedule', greeting)).rejects.toMatchObject({
      code: 'REEL_INVALID_ARGUMENT',
      message: expect.stringContaining("starts 'quick', not 'greeting'"),
    });
    const run = await schedules.trigger('e2e-schedule', quick);
    expect(run.id).toMatch(/^e2e-schedule@/);
    const result = await run.result({ timeout: '10s' });
    expectTypeOf(result).toEqualTypeOf<string>();
    expect(result).toBe('Hello, #3!');
    expect((await http.describe(run.id)).priority).toBe(6);

    await schedules.pause('e2e-schedule');
    const [listed] = (await schedules.list()).filter((s) => s.id === 'e2e-schedule');
    expect(listed).toMatchObject({ paused: true, nextFireAt: null });
    expect(listed?.recentRuns).toEqual([{ workflowId: run.id, runId: run.runId }]);
    expect(listed).toEqual(await h.client.schedules.describe('e2e-schedule'));

    await schedules.delete('e2e-schedule');
    await expect(schedules.describe('e2e-schedule')).rejects.toMatchObject({
      code: 'REEL_SCHEDULE_NOT_FOUND',
    });
    expect(await http.describe(run.id)).toMatchObject({ status: 'completed' });
  });

  it("throws the schedule errors Client throws, with the server's codes", async () => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: ReelError) => (e instanceof ReelError ? e.code : String(e)),
      );
    const options = { id: 'e2e-bad', workflow: 'quick', cron: '@daily' };
    expect(await code(http.schedules.create({ ...options, cron: 'whenever' }))).toBe('REEL_INVALID_SCHEDULE');
    expect(await code(http.schedules.create({ ...options, timezone: 'Nowhere/Land' }))).toBe(
      'REEL_INVALID_SCHEDULE',
    );
    expect(await code(http.schedules.create({ ...options, workflow: 'noSuchType' }))).toBe(
      'REEL_UNKNOWN_WORKFLOW_TYPE',
    );
    await http.schedules.create({ ...options, paused: true });
    expect(await code(http.schedules.create(options))).toBe('REEL_SCHEDULE_EXISTS');
    expect(await code(http.schedules.create({ ...options, input: new Date() }))).toBe(
      'REEL_NOT_SERIALIZABLE',
    );
    for (const method of ['describe', 'pause', 'resume', 'trigger', 'delete'] as const)
      expect(await code(http.schedules[method]('nobody')), method).toBe('REEL_SCHEDULE_NOT_FOUND');
    expect(await code(http.schedules.describe(''))).toBe('REEL_INVALID_ARGUMENT');
    expect(await code(http.schedules.delete('s'.repeat(201)))).toBe('REEL_INVALID_ARGUMENT');
  });

  it('starts with flow control like Client: a throttled start returns the run of the period', async () => {
    const throttle = { key: 'e2e-throttle', period: '1 hour' };
    const first = await http.start(quick, 1, { throttle, priority: 3 });
    const second = await http.start(quick, 2, { throttle });
    expect([first.created, second.created, second.id]).toEqual([true, false, first.id]);
    expect(await http.describe(first.id)).toMatchObject({ priority: 3, input: 1 });
  });

  it('starts with a delay, an execution timeout and attributes like Client', async () => {
    const options = { startDelay: '1 hour', executionTimeout: '2 hours', attributes: { tenant: 'acme' } };
    const runs = [await http.start(quick, 1, options), await h.client.start(quick, 1, options)];
    const started = await Promise.all(runs.map(async (run) => (await http.history(run.id)).events[0]));
    expect(started[0]).toMatchObject({ type: 'workflow_started', executionTimeoutMs: 7_200_000 });
    expect(started[0]?.type).toBe(started[1]?.type);
    const listed = await http.list({ attributes: { tenant: 'acme' } });
    expect(listed.items.map((run) => run.workflowId).sort()).toEqual(runs.map((run) => run.id).sort());
    const sql = new pg.Client({ connectionString: db.connectionString });
    await sql.connect();
    const { rows } = await sql
      .query<{ delay: number }>(
        'select extract(epoch from ready_at - created_at)::int as delay from reel.workflows where workflow_id = any($1)',
        [runs.map((run) => run.id)],
      )
      .finally(() => sql.end());
    expect(rows).toEqual([{ delay: 3600 }, { delay: 3600 }]);
  });

  it("refuses the caller's transaction, which the server cannot join, and starts nothing", async () => {
    const transaction = {} as never;
    const unsupported = { code: 'REEL_TRANSACTION_UNSUPPORTED' };
    await expect(http.start(greeting, { name: 'Tx' }, { id: 'e2e-tx', transaction })).rejects.toMatchObject(
      unsupported,
    );
    await expect(http.signal('e2e-tx', 'approve', {}, { transaction })).rejects.toMatchObject(unsupported);
    await expect(http.describe('e2e-tx')).rejects.toMatchObject({ code: 'REEL_WORKFLOW_NOT_FOUND' });
  });

  it('reports a missing or wrong key and an unreachable server with stable codes', async () => {
    const url = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
    await expect(new HttpClient({ baseUrl: url }).list()).rejects.toMatchObject({
      code: 'REEL_UNAUTHENTICATED',
    });
    await expect(new HttpClient({ baseUrl: url, apiKey: 'nope' }).list()).rejects.toMatchObject({
      code: 'REEL_UNAUTHENTICATED',
    });
    await expect(
      new HttpClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` }).list(),
    ).rejects.toMatchObject({
      code: 'REEL_SERVER_UNREACHABLE',
      message: expect.stringContaining('ECONNREFUSED'),
    });
    expect(() => new HttpClient({ baseUrl: 'not a url' })).toThrow(
      expect.objectContaining({ code: 'REEL_INVALID_ARGUMENT' }),
    );
  });
});
