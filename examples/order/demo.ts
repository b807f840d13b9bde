/**
 * Runs one order end to end on a real, embedded Postgres: `pnpm demo` from the repository root.
 * A worker and a client share this process here; in production they are separate processes,
 * usually on separate machines, that only share the database.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from 'node:util';
import { CLOSING_EVENTS, Client, type RecordedEvent } from '@reel/sdk';
import { startEmbeddedPostgres } from '@reel/testing';
import { Worker } from '@reel/worker';
import { chargeCard, refund, ship } from './activities.ts';
import { type Approval, type Order, orderWorkflow } from './workflows.ts';

const POLL_MS = 50;
const DEADLINE_MS = 30_000;

async function main(): Promise<void> {
  const began = performance.now();
  console.log('Reel order demo: one durable workflow on a real Postgres\n');

  const postgres = await startEmbeddedPostgres();
  try {
    const { port } = new URL(postgres.connectionString);
    console.log(`  embedded Postgres ready on port ${port} (${seconds(performance.now() - began)})`);
    await runOrder(postgres.connectionString);
  } finally {
    await postgres.stop();
  }
  console.log(`\nWorker drained, Postgres stopped; done in ${seconds(performance.now() - began)}.`);
}

/** Starts a worker and a client, runs one order to its end, and shuts both down. */
async function runOrder(connectionString: string): Promise<void> {
  const worker = await Worker.create({
    connectionString,
    workflows: { orderWorkflow },
    activities: { chargeCard, refund, ship },
    handleSignals: false,
  });
  void worker.run();
  // Given the worker, the client hands it the workflows it starts: they run here at once.
  const client = new Client({ connectionString, worker });
  try {
    const order: Order = { id: 'A-1001', card: '4242 4242 4242 4242', total: 4200, shipAfter: '2s' };
    const handle = await client.start(orderWorkflow, order, { id: `order-${order.id}` });
    console.log(`  worker running; started workflow ${handle.id}\n`);

    await follow(client, handle.id, async () => {
      const approval: Approval = { approved: true, by: 'demo' };
      await handle.signal('approve', approval);
      row('', '(client)', `sent signal 'approve' ${JSON.stringify(approval)}`);
    });

    const result = await handle.result();
    console.log(`\nResult: ${inspect(result, { breakLength: Infinity })}`);
  } finally {
    await worker.shutdown();
    await client.close();
  }
}

/**
 * Prints each new history event as it becomes durable, and calls `approve` once the workflow is
 * waiting for the 'approve' signal. Returns when the run has closed.
 */
async function follow(client: Client, workflowId: string, approve: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  let printed = 0;
  row('time', 'history event', 'what it means');
  for (;;) {
    const { events } = await client.history(workflowId);
    for (const event of events.slice(printed)) {
      const offset = Date.parse(event.at) - Date.parse(events[0]?.at ?? event.at);
      row(seconds(offset), event.type, narrate(event, events));
      if (event.type === 'timer_started' && event.signal === 'approve') await approve();
    }
    printed = events.length;
    if (events.some((e) => CLOSING_EVENTS.has(e.type))) return;
    if (Date.now() > deadline) {
      throw new Error(`Workflow ${workflowId} did not finish within ${DEADLINE_MS / 1000}s.`);
    }
    await delay(POLL_MS);
  }
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
  if (ms >= day && ms % day === 0) return `${ms / day} day${ms === day ? '' : 's'}`;
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))}s` : `${ms}ms`;
}

main().catch((err: unknown) => {
  console.error('\nThe demo failed:', err);
  process.exitCode = 1;
});
