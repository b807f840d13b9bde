import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Client, RecordedEvent } from '@reel/sdk';
import type pg from 'pg';

/**
 * Resolves once `check` holds, polling; fails the test, naming `what`, if it does not within `ms`.
 * Tests wait with it for the state they need, never for a fixed time.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 15_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The events of `type` in the history of the latest run of `workflowId`. */
export async function eventsOf<T extends RecordedEvent['type']>(
  client: Client,
  workflowId: string,
  type: T,
): Promise<Extract<RecordedEvent, { type: T }>[]> {
  const { events } = await client.history(workflowId);
  return events.filter((e): e is Extract<RecordedEvent, { type: T }> => e.type === type);
}

/** Waits until the history of the latest run of `workflowId` holds `count` events of `type`. */
export async function untilRecorded(
  client: Client,
  workflowId: string,
  type: RecordedEvent['type'],
  count = 1,
): Promise<void> {
  await until(
    async () => (await eventsOf(client, workflowId, type).catch(() => [])).length >= count,
    `${count} ${type} event(s) in the history of ${workflowId}`,
  );
}

/** Who holds a run, until when or from when it is claimable, and its fencing token: its row, read by SQL. */
export async function leaseOf(
  pool: pg.Pool,
  runId: string | undefined,
): Promise<{ owner: string | null; readyAt: Date | null; fencingToken: number; status: string }> {
  const { rows } = await pool.query(
    'select lease_owner, ready_at, fencing_token::int, status from reel.workflows where run_id = $1',
    [runId],
  );
  const row = rows[0];
  if (!row) throw new Error(`no run ${runId}`);
  return {
    owner: row.lease_owner,
    readyAt: row.ready_at,
    fencingToken: row.fencing_token,
    status: row.status,
  };
}

/** Whether the run sleeps released: no worker holds it and it is claimable again at `at`, not before. */
export async function suspendedUntil(
  pool: pg.Pool,
  runId: string | undefined,
  at: Date | null,
): Promise<boolean> {
  const lease = await leaseOf(pool, runId);
  return lease.status === 'running' && lease.owner === null && lease.readyAt?.getTime() === at?.getTime();
}

/** Waits until the latest run of `workflowId` sleeps, suspended, until its first timer fires; returns when that is. */
export async function untilSleeping(client: Client, pool: pg.Pool, workflowId: string): Promise<Date> {
  await untilRecorded(client, workflowId, 'timer_started');
  const [timer] = await eventsOf(client, workflowId, 'timer_started');
  const wake = new Date(timer?.fireAt as string);
  const { runId } = await client.describe(workflowId);
  await until(() => suspendedUntil(pool, runId, wake), `${workflowId} to sleep, suspended`);
  return wake;
}

/** Makes `listener` hear the wakes on `worker`'s own channel too; the channel, as `reel.wake_channel` names it. */
export async function listenToWakesOf(listener: pg.Client, worker: string): Promise<string> {
  const { rows } = await listener.query('select reel.wake_channel($1) as channel', [worker]);
  await listener.query(`listen ${rows[0].channel}`);
  return rows[0].channel;
}

/** A promise and the function that resolves it, for a test to say when something may go on. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Starts `node --import tsx test/fixtures/<fixture>` with `env` added to the test's, its stdin a pipe
 * (closing it ends a held activity) and its stdout collected line by line in `lines`; adds it to
 * `children`, for the test to kill.
 */
export function spawnFixture(
  fixture: string,
  env: Record<string, string>,
  children: ChildProcess[],
): { child: ChildProcess; lines: string[] } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url))],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  children.push(child);
  const lines: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => lines.push(line));
  return { child, lines };
}
