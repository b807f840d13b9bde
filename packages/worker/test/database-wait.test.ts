import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReelError } from '@reel/sdk';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { Worker, type WorkerLogger } from '../src/index.ts';
import { workflows } from './fixtures/workflows.ts';

const db = useTestDatabase();
let parent: string | undefined;
let server: EmbeddedPostgresServer | undefined;
afterAll(async () => {
  await server?.stop();
  if (parent) await rm(parent, { recursive: true, force: true });
});

/** A port nothing listens on (yet). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A logger that keeps what it is told, and lets a test wait for a line. */
function recorder() {
  const lines: string[] = [];
  const waiters: [RegExp, () => void][] = [];
  const logger: WorkerLogger = (_level, message) => {
    lines.push(message);
    for (const [pattern, wake] of waiters) if (pattern.test(message)) wake();
  };
  const logged = (pattern: RegExp) =>
    new Promise<void>((resolve) => {
      if (lines.some((l) => pattern.test(l))) resolve();
      else waiters.push([pattern, resolve]);
    });
  return { lines, logger, logged };
}

it('Worker.create started before Postgres waits for it, and succeeds once it is up', async () => {
  parent = await mkdtemp(join(tmpdir(), 'reel-wait-'));
  await chmod(parent, 0o755); // under root, Postgres runs as another user that must reach it
  const port = await freePort();
  const { lines, logger, logged } = recorder();
  const creating = Worker.create({
    connectionString: `postgres://postgres:password@127.0.0.1:${port}/postgres`,
    workflows,
    logger,
    waitForDatabase: '30s',
  });
  await Promise.race([
    logged(/^Postgres is not reachable \(.*ECONNREFUSED.*\); next try in \d+\.\d s$/),
    creating.then(() => expect.fail('Worker.create resolved with no Postgres up')),
  ]);
  server = await startEmbeddedPostgres({ dir: join(parent, 'pg'), port });
  const worker = await creating;

  const pool = new pg.Pool({ connectionString: server.connectionString });
  const { rows } = await pool.query('select name from reel.workflow_types order by name');
  expect(rows.map((r) => r.name)).toEqual(Object.keys(workflows).sort());
  await pool.end();
  await worker.shutdown();
  expect(lines.every((l) => l.startsWith('Postgres is not reachable'))).toBe(true);
});

it('fails at once on an error that waiting cannot fix, and with REEL_DATABASE_UNAVAILABLE once the wait is over', async () => {
  const url = new URL(db.connectionString);
  url.pathname = '/no_such_database';
  const wrongDatabase = recorder();
  const startedAt = Date.now();
  await expect(
    Worker.create({
      connectionString: url.toString(),
      workflows,
      logger: wrongDatabase.logger,
      waitForDatabase: '1 minute',
    }),
  ).rejects.toMatchObject({
    code: 'REEL_DATABASE_NOT_FOUND',
    message: expect.stringMatching(
      /"no_such_database" does not exist: create it, or point the connection string/,
    ),
    cause: { code: '3D000' },
  });
  expect(Date.now() - startedAt).toBeLessThan(10_000);
  expect(wrongDatabase.lines).toEqual([]);

  const down = recorder();
  const err: ReelError = await Worker.create({
    connectionString: `postgres://postgres:password@127.0.0.1:${await freePort()}/postgres`,
    workflows,
    logger: down.logger,
    waitForDatabase: '500ms',
  }).catch((e) => e);
  expect(err.code).toBe('REEL_DATABASE_UNAVAILABLE');
  expect(err.message).toMatch(
    /not reachable within 0\.5 s \(connect ECONNREFUSED .*\).*raise waitForDatabase/,
  );
  expect(down.lines.length).toBeGreaterThanOrEqual(1);
});

it('validates waitForDatabase and the session limits', async () => {
  for (const bad of [
    { waitForDatabase: 'soon' },
    { statementTimeout: -1 },
    { idleInTransactionTimeout: 'forever' },
  ])
    await expect(
      Worker.create({ connectionString: db.connectionString, workflows, ...bad }),
    ).rejects.toMatchObject({ code: 'REEL_INVALID_DURATION' });
});
