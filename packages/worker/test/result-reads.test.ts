import { Client, PostgresStore, type StoreListener } from '@reel/sdk';
import { MemoryStore } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { activities, threeSteps } from './fixtures/workflows.ts';
import { until } from './helpers.ts';

// result() of a run the client has just started reads nothing: the client watched for its close from
// before the start, so it need not look first whether it has closed, and the close told its outcome.

const db = useTestDatabase();

/** The Postgres store, counting its describes. */
class CountingStore extends PostgresStore {
  describes = 0;
  override describe(...args: Parameters<PostgresStore['describe']>) {
    this.describes++;
    return super.describe(...args);
  }
}

let worker: Worker;
let store: CountingStore;
let client: Client;
let pool: pg.Pool;

beforeAll(async () => {
  worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { threeSteps },
    activities,
    handleSignals: false,
  });
  void worker.run();
  store = new CountingStore({ connectionString: db.connectionString });
  client = new Client({ store });
  pool = new pg.Pool({ connectionString: db.connectionString });
  // The first result() subscribes the client to closes; only starts after that are watched.
  expect(await (await client.start(threeSteps, { a: 1, b: 1 })).result()).toBe('result is 4');
});
afterAll(async () => {
  await worker?.shutdown();
  await client?.close();
  await store?.close();
  await pool?.end();
});

it('result() of a run this client just started reads nothing: its close tells the outcome', async () => {
  const handle = await client.start(threeSteps, { a: 2, b: 3 });
  const before = store.describes;
  expect(await handle.result()).toBe('result is 10');
  expect(store.describes - before).toBe(0);
});

it('result() of a run that closed before it was asked for reads nothing either', async () => {
  const handle = await client.start(threeSteps, { a: 4, b: 1 });
  await until(async () => {
    const { rows } = await pool.query('select status from reel.workflows where run_id = $1', [handle.runId]);
    return rows[0]?.status === 'completed';
  }, 'the run to close');
  const before = store.describes;
  // Its close was heard, with its outcome: at once, not after the 2 s a waiter polls at.
  expect(await handle.result({ timeout: '1s' })).toBe('result is 10');
  expect(store.describes - before).toBe(0);
});

it('a second result() of the same handle, and result() by id, look first, as any waiter that did not watch', async () => {
  const handle = await client.start(threeSteps, { a: 0, b: 1 });
  expect(await handle.result()).toBe('result is 2');
  const before = store.describes;
  expect(await handle.result()).toBe('result is 2');
  expect(await client.result(handle.id)).toBe('result is 2');
  expect(store.describes - before).toBe(2);
});

/** A store whose listeners never hear a close, as if each notification of one were lost. */
class DeafStore extends MemoryStore {
  override listen(listener: StoreListener) {
    return super.listen({ ...listener, onClosed: undefined });
  }
}

it('result() of a run just started still finds its close when the notification is lost, by reading it again', async () => {
  const deaf = new DeafStore();
  const local = await Worker.create({
    store: deaf,
    workflows: { threeSteps },
    activities,
    handleSignals: false,
  });
  void local.run();
  const deafClient = new Client({ store: deaf });
  // Subscribed by the first result() (found by its read), so the second start is watched.
  expect(await (await deafClient.start(threeSteps, { a: 1, b: 2 })).result({ timeout: '10s' })).toBe(
    'result is 6',
  );
  expect(await (await deafClient.start(threeSteps, { a: 2, b: 2 })).result({ timeout: '10s' })).toBe(
    'result is 8',
  );
  await local.shutdown();
});
