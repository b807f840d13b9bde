import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { Worker } from '@reel/worker';
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createTables } from './bank.ts';
import { activities, transfer, workflows } from './workflows.ts';

// A real worker process (worker.ts) is SIGKILLed while its transfer step is inside its transaction,
// after the debit and before the credit; a new worker takes the run over and books it once.
const db = useTestDatabase();
let pool: pg.Pool;
let client: Client;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.connectionString });
  await createTables(pool);
  await pool.query(`insert into accounts values ('alice', 10000), ('bob', 2500)`);
  client = new Client({ connectionString: db.connectionString });
});

afterAll(async () => {
  await client?.close();
  await pool?.end();
});

/** Starts worker.ts in a process of its own; resolves once it prints 'ready'. */
async function workerProcess() {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./worker.ts', import.meta.url))],
    { env: { ...process.env, DATABASE_URL: db.connectionString }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) if (line === 'ready') break;
  return child;
}

/** Resolves once a session waits for a row lock in a statement starting with `statement`. */
async function waitingOnLock(statement: string): Promise<void> {
  await vi.waitUntil(
    async () =>
      (
        await pool.query(
          `select 1 from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock' and query like $1 || '%'`,
          [statement],
        )
      ).rowCount,
    { timeout: 15_000, interval: 20 },
  );
}

const balances = async () =>
  Object.fromEntries(
    (await pool.query('select id, cents from accounts order by id')).rows.map((r) => [r.id, r.cents]),
  );

it('books a transfer once when its worker is killed inside the transaction step', async () => {
  const first = await workerProcess();
  // Holding bob's row stops the step at its credit, after its debit of alice, inside its transaction.
  const lock = new pg.Client({ connectionString: db.connectionString });
  await lock.connect();
  await lock.query('begin');
  await lock.query(`select 1 from accounts where id = 'bob' for update`);
  try {
    const handle = await client.start(transfer, { from: 'alice', to: 'bob', cents: 2_500 }, { id: 'tr-1' });
    await waitingOnLock('update accounts set cents = cents + ');
    first.kill('SIGKILL');
    await once(first, 'exit');
    await lock.query('rollback');

    // The killed step's debit never committed.
    expect(await balances()).toEqual({ alice: 10_000, bob: 2_500 });
    expect((await pool.query('select * from ledger')).rows).toEqual([]);

    const second = await Worker.create({
      connectionString: db.connectionString,
      workflows,
      activities,
      handleSignals: false,
    });
    void second.run();
    try {
      const result = await handle.result({ timeout: '30s' });
      expect(result).toEqual({ status: 'booked', balances: { alice: 7_500, bob: 5_000 } });
    } finally {
      await second.shutdown();
    }
    expect(await balances()).toEqual({ alice: 7_500, bob: 5_000 });
    expect((await pool.query('select transfer_id, cents from ledger')).rows).toEqual([
      { transfer_id: 'tr-1', cents: 2_500 },
    ]);
    const { events } = await client.history('tr-1');
    expect(events.filter((e) => e.type === 'activity_completed')).toHaveLength(1);
  } finally {
    first.kill('SIGKILL');
    await lock.end();
  }
}, 30_000);
