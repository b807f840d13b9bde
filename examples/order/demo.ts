/**
 * Runs one order on a real, embedded Postgres and kills its worker process in the middle of it:
 * `pnpm demo` from the repository root. Worker 1 charges the card and, once approved, starts the
 * order's durable sleep; the demo kills it there with SIGKILL, and worker 2, a new process with
 * nothing in memory, finishes the order from its history in the database. The charge is not taken
 * again: a recorded activity is never re-run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { CLOSING_EVENTS, Client, type RecordedEvent } from '@reel/sdk';
import { startEmbeddedPostgres } from '@reel/testing';
import type { WorkerReport } from './demo-worker.ts';
import { type Approval, type Order, orderWorkflow } from './workflows.ts';

const POLL_MS = 50;
const DEADLINE_MS = 30_000;

/** Which worker ran each activity attempt, by activity name: the demo checks each ran once. */
const ran = new Map<string, number[]>();

async function main(): Promise<void> {
  const began = performance.now();
  console.log('Reel order demo: a durable workflow on a real Postgres, and a worker killed mid-order\n');

  const postgres = await startEmbeddedPostgres();
  try {
    const { port } = new URL(postgres.connectionString);
    console.log(`  embedded Postgres ready on port ${port} (${seconds(performance.now() - began)})`);
    await runOrder(postgres.connectionString);
  } finally {
    await postgres.stop();
  }
  console.log(`\nWorker 2 drained, Postgres stopped; done in ${seconds(performance.now() - began)}.`);
}

/** Starts worker 1 and a client, runs one order, kills worker 1 during its sleep, and lets worker 2 finish. */
async function runOrder(connectionString: string): Promise<void> {
  const first = await startWorker(1, connectionString);
  let second: ChildProcess | undefined;
  const client = new Client({ connectionString });
  try {
    const order: Order = { id: 'A-1001', card: '4242 4242 4242 4242', total: 4200, shipAfter: '2s' };
    const handle = await client.start(orderWorkflow, order, { id: `order-${order.id}` });
    console.log(`  started workflow ${handle.id}\n`);

    await follow(client, handle.id, async (event) => {
      if (event.type !== 'timer_started') return;
      if (event.signal === 'approve') {
        const approval: Approval = { approved: true, by: 'demo' };
        await handle.signal('approve', approval);
        row('', '(client)', `sent signal 'approve' ${JSON.stringify(approval)}`);
        return;
      }
      first.kill('SIGKILL');
      await once(first, 'exit');
      say(
        'worker 1 killed (SIGKILL) while the order sleeps: no drain, nothing saved on the way out',
        'worker 2 takes over: a new process, with nothing in memory, only what Postgres holds',
      );
      second = await startWorker(2, connectionString);
    });

    const result = await handle.result();
    console.log(`\nResult: ${inspect(result, { breakLength: Infinity })}`);
    summarize();
  } finally {
    first.kill('SIGKILL'); // gone already, unless the demo failed before killing it
    if (second?.exitCode === null) {
      second.kill('SIGTERM'); // drains
      await once(second, 'exit');
    }
    await client.close();
  }
}

/** Spawns demo-worker.ts as a process of its own, and prints what it reports; resolves when it is ready. */
async function startWorker(n: number, connectionString: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./demo-worker.ts', import.meta.url))],
    {
      env: { ...process.env, DATABASE_URL: connectionString },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const who = `worker ${n}`;
  child.on('message', (report: WorkerReport) => {
    if (report.type === 'ready') row('', who, `process ${report.pid} ready`);
    if (report.type === 'replayed') {
      row('', who, 'picks the run up: replays its history, re-running nothing recorded there');
    }
    if (report.type === 'activity') {
      row('', who, `runs ${report.name}`);
      ran.set(report.name, [...(ran.get(report.name) ?? []), n]);
    }
  });
  await Promise.race([
    once(child, 'message'), // its first report is 'ready'
    once(child, 'exit').then(([code]) => {
      throw new Error(`Worker ${n} exited (code ${code}) before it was ready.`);
    }),
  ]);
  return child;
}

/**
 * Prints each new history event as it becomes durable, and calls `onEvent` with it. Returns when
 * the run has closed.
 */
async function follow(
  client: Client,
  workflowId: string,
  onEvent: (event: RecordedEvent) => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  let printed = 0;
  row('time', 'history event', 'what it means');
  for (;;) {
    const { events } = await client.history(workflowId);
    for (const event of events.slice(printed)) {
      const offset = Date.parse(event.at) - Date.parse(events[0]?.at ?? event.at);
      row(seconds(offset), event.type, narrate(event, events));
      await onEvent(event);
    }
    printed = events.length;
    if (events.some((e) => CLOSING_EVENTS.has(e.type))) return;
    if (Date.now() > deadline) {
      throw new Error(`Workflow ${workflowId} did not finish within ${DEADLINE_MS / 1000}s.`);
    }
    await delay(POLL_MS);
  }
}

/** Which worker ran what; fails the demo if an activity ran twice. */
function summarize(): void {
  console.log('\nActivities run, across both worker processes:');
  for (const [name, workers] of ran) {
    console.log(
      `  ${name.padEnd(10)} ${workers.length}x, on ${workers.map((n) => `worker ${n}`).join(', ')}`,
    );
  }
  if ([...ran.values()].some((workers) => workers.length !== 1)) {
    throw new Error('An activity ran more than once: the order did not resume where it was.');
  }
  console.log("  each once: worker 2 read chargeCard's result from the history instead of charging again.");
}

/** One line on what an event means for this order. */
function narrate(event: RecordedEvent, events: RecordedEvent[]): string {
  switch (event.type) {
    case 'workflow_started': {
      const order = event.input as unknown as Order;
      return `order ${order.id}: ${dollars(order.total)} on the card ending ${order.card.slice(-4)}`;
    }
    case 'activity_scheduled':
      return `${event.name}(${event.args.map((a) => JSON.stringify(a)).join(', ')})`;
    case 'activity_completed': {
      const name = activityName(event.cmd, events);
      if (name === 'chargeCard') {
        const payment = event.result as { id: string; cents: number };
        return `charged ${dollars(payment.cents)}: payment ${payment.id}`;
      }
      if (name === 'ship') return `shipped: tracking ${event.result as string}`;
      return `${name} done: ${JSON.stringify(event.result)}`;
    }
    case 'activity_retrying':
      return `${activityName(event.cmd, events)} attempt ${event.attempt} failed (${event.error.message}); retrying`;
    case 'activity_failed':
      return `${activityName(event.cmd, events)} failed: ${event.error.message}`;
    case 'timer_started': {
      const wait = humanize(Date.parse(event.fireAt) - Date.parse(event.at));
      return event.signal
        ? `waiting for signal '${event.signal}' (gives up in ${wait})`
        : `sleeping ${wait} before shipping`;
    }
    case 'timer_fired': {
      const started = events.find((e) => e.type === 'timer_started' && e.cmd === event.cmd);
      return started?.type === 'timer_started' && started.signal
        ? 'nobody approved in time'
        : 'done sleeping';
    }
    case 'signal_received': {
      if (event.name !== 'approve') return `'${event.name}' ${JSON.stringify(event.payload)}`;
      const { approved, by } = event.payload as unknown as Approval;
      return `'approve': ${approved ? 'approved' : 'rejected'}${by ? ` by ${by}` : ''}`;
    }
    case 'workflow_completed':
      return `returned status '${(event.result as { status: string }).status}'`;
    case 'workflow_failed':
    case 'workflow_cancelled':
      return event.error.message;
    default:
      return '';
  }
}

function activityName(cmd: number, events: RecordedEvent[]): string {
  const scheduled = events.find((e) => e.type === 'activity_scheduled' && e.cmd === cmd);
  return scheduled?.type === 'activity_scheduled' ? scheduled.name : `activity #${cmd}`;
}

/** A line about the worker processes, between the rows of the event table. */
function say(...lines: string[]): void {
  console.log(`\n${lines.map((line) => `  >>> ${line}`).join('\n')}\n`);
}

/** One line of the event table: time since start, event type, what it means. */
function row(time: string, type: string, text: string): void {
  console.log(`  ${time.padStart(6)}  ${type.padEnd(19)} ${text}`);
}

function dollars(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

function humanize(ms: number): string {
  const day = 86_400_000;
  // Rounded: a timer's fire time is counted from when it started, a few milliseconds off `at`.
  const days = Math.round(ms / day);
  if (ms > day - 1000) return `${days} day${days === 1 ? '' : 's'}`;
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))}s` : `${ms}ms`;
}

main().catch((err: unknown) => {
  console.error('\nThe demo failed:', err);
  process.exitCode = 1;
});
