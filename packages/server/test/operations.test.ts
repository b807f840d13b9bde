import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { useTestDatabase } from '@reel/testing/vitest';
import { afterAll, expect, it } from 'vitest';

// One `reel server` and two `reel worker` processes on a real Postgres, driven over real HTTP: what
// their logs and /metrics say must match what ran.

const root = fileURLToPath(new URL('../../..', import.meta.url));
const main = 'packages/server/src/cli/main.ts';
const module = 'packages/server/test/fixtures/operations.ts';
const db = useTestDatabase();
const children: ChildProcess[] = [];

afterAll(async () => {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    }),
  );
});

interface Proc {
  child: ChildProcess;
  /** Every JSON line written to stdout so far (the log). */
  logs: Record<string, unknown>[];
  /** The first match of `banner` on stderr. */
  banner: RegExpMatchArray;
}

/** Starts `reel ...args` and resolves once its stderr says `banner`. */
function reel(args: string[], banner: RegExp): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: db.connectionString, REEL_LOG_LEVEL: 'debug', REEL_API_KEYS: '' },
  });
  children.push(child);
  const logs: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) logs.push(JSON.parse(line));
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = stderr.match(banner);
      if (match) resolve({ child, logs, banner: match });
    });
    child.once('exit', (code) => reject(new Error(`reel ${args[0]} exited (${code}): ${stderr}`)));
  });
}

/** The value of one sample in a Prometheus text exposition, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-z_]+)(?:\{(.*)\})? (\S+)$/);
    if (!m || m[1] !== name) continue;
    const have = m[2] ? m[2].split(',') : [];
    if (wanted.length === have.length && wanted.every((l) => have.includes(l))) return Number(m[3]);
  }
  return 0;
}

// About 4 s on an idle machine; three processes starting at once need more when it is busy.
it('a server and two workers: their logs and /metrics tell what ran', async () => {
  const [server, ...workers] = await Promise.all([
    reel(['server', '--port', '0'], /Reel server on (http:\/\/\S+) /),
    ...[1, 2].map(() => reel(['worker', '--workflows', module, '--metrics-port', '0'], /on port (\d+)\.\n/)),
  ]);
  const api = server.banner[1] as string;
  const metricsOf = workers.map((w) => `http://127.0.0.1:${w.banner[1]}`);
  const post = (path: string, body: unknown) =>
    fetch(`${api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const orders = [1, 2, 3, 4, 5, 6].map((n) => `order-${n}`);
  const starts = [
    ...orders.map((id, n) => post('/v1/workflows', { type: 'order', id, input: n })),
    post('/v1/workflows', { type: 'doomed', id: 'doomed' }),
    post('/v1/workflows', { type: 'patient', id: 'patient' }),
    post('/v1/workflows', { type: 'stranded', id: 'stranded' }),
  ];
  for (const res of await Promise.all(starts)) expect(res.status).toBe(201);
  expect((await post('/v1/workflows', { type: 'order', id: 'order-1', input: 0 })).status).toBe(200);
  const result = async (id: string) => (await fetch(`${api}/v1/workflows/${id}/result?wait=20s`)).json();
  for (const id of orders) expect(await result(id)).toMatchObject({ status: 'completed' });
  expect(await result('doomed')).toMatchObject({ status: 'failed' });
  expect((await post('/v1/workflows/patient/cancel', { reason: 'test' })).status).toBe(202);
  expect(await result('patient')).toMatchObject({ status: 'cancelled' });

  // The server counts the runs its client created; the workers, what they closed and ran.
  const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text();
  const total = async (name: string, labels: Record<string, string>) =>
    (await Promise.all(metricsOf.map(scrape))).reduce((sum, text) => sum + sample(text, name, labels), 0);
  const api_metrics = await scrape(api);
  expect(sample(api_metrics, 'reel_workflows_started_total', { type: 'order' })).toBe(6);
  expect(sample(api_metrics, 'reel_workflows_started_total', { type: 'doomed' })).toBe(1);
  await expect
    .poll(() => total('reel_workflows_closed_total', { type: 'patient', status: 'cancelled' }))
    .toBe(1);
  const closed = { type: 'order', status: 'completed' };
  expect(await total('reel_workflows_closed_total', closed)).toBe(6);
  expect(await total('reel_workflow_duration_seconds_count', closed)).toBe(6);
  expect(await total('reel_workflows_closed_total', { type: 'doomed', status: 'failed' })).toBe(1);
  expect(await total('reel_activity_attempts_total', { activity: 'reserve' })).toBe(6);
  expect(await total('reel_activity_attempts_total', { activity: 'charge' })).toBe(12);
  expect(await total('reel_activity_failures_total', { activity: 'charge' })).toBe(6);
  expect(await total('reel_activity_failures_total', { activity: 'refuse' })).toBe(1);
  expect(
    await total('reel_activity_duration_seconds_count', { activity: 'charge', outcome: 'retrying' }),
  ).toBe(6);
  expect(
    await total('reel_runs_parked_total', { type: 'stranded', code: 'REEL_UNKNOWN_ACTIVITY' }),
  ).toBeGreaterThanOrEqual(1);
  expect(await total('reel_claim_duration_seconds_count', {})).toBeGreaterThan(0);
  expect(await total('reel_commit_duration_seconds_count', {})).toBeGreaterThan(0);
  expect(await total('reel_step_duration_seconds_count', { type: 'order' })).toBeGreaterThanOrEqual(6);
  // Read from Postgres by every process: the one parked run, nothing else open or waiting.
  for (const text of [api_metrics, ...(await Promise.all(metricsOf.map(scrape)))]) {
    expect(sample(text, 'reel_open_runs', { status: 'parked' })).toBe(1);
    expect(sample(text, 'reel_open_runs', { status: 'running' })).toBe(0);
    expect(sample(text, 'reel_workflow_backlog', { type: 'order' })).toBe(0);
  }

  // Liveness of each worker, readiness of the server.
  for (const url of metricsOf) {
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', live: true, lastClaimAt: expect.any(String) });
  }
  expect((await fetch(`${api}/readyz`)).status).toBe(200);

  // The logs: one pino format for all three, every run line naming its worker, workflow and run.
  const lines = workers.flatMap((w) => w.logs);
  const byMsg = (pattern: RegExp) => lines.filter((l) => pattern.test(l.msg as string));
  const retries = byMsg(/^activity charge attempt 1 failed; next attempt in 0\.1 s: card \d declined once$/);
  expect(retries).toHaveLength(6);
  expect(new Set(retries.map((l) => l.workflowId))).toEqual(new Set(orders));
  for (const line of retries)
    expect(line).toMatchObject({
      level: 40,
      worker: expect.any(String),
      runId: expect.any(String),
      type: 'order',
      activity: 'charge',
      attempt: 1,
      retryInMs: 100,
    });
  expect(byMsg(/^workflow completed$/).map((l) => l.workflowId)).toHaveLength(6);
  expect(byMsg(/^workflow failed: /)).toEqual([
    expect.objectContaining({ level: 40, workflowId: 'doomed', type: 'doomed', status: 'failed' }),
  ]);
  expect(byMsg(/^workflow cancelled$/)).toEqual([
    expect.objectContaining({ level: 30, workflowId: 'patient', type: 'patient' }),
  ]);
  expect(byMsg(/^run parked \(attempt 1\)/)).toEqual([
    expect.objectContaining({ level: 50, workflowId: 'stranded', code: 'REEL_UNKNOWN_ACTIVITY' }),
  ]);
  const requests = server.logs.filter((l) => l.msg === 'request completed');
  expect(requests.length).toBeGreaterThanOrEqual(starts.length);
  for (const line of [...lines, ...server.logs])
    expect(Object.keys(line)).toEqual(expect.arrayContaining(['level', 'time', 'pid', 'hostname', 'msg']));
  // Nothing went wrong but what the test made go wrong.
  const unexpected = lines.filter(
    (l) => (l.level as number) >= 40 && !/^(activity|workflow failed|run parked)/.test(l.msg as string),
  );
  expect(unexpected).toEqual([]);
}, 60_000);
