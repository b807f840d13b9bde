import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readlink, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { binariesFor, postgresUser } from '../src/as-root.ts';
import { platformBinaries } from '../src/binaries.ts';
import { startEmbeddedPostgres } from '../src/index.ts';

const root = process.getuid?.() === 0;
const cleanup: string[] = [];
afterAll(async () => {
  for (const path of cleanup) await rm(path, { recursive: true, force: true });
});

async function query(connectionString: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A new directory of mode 0700, such as `mkdtemp` makes and a home directory often is. */
async function closedDirectory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'reel-closed-'));
  cleanup.push(dir);
  expect((await stat(dir)).mode & 0o777).toBe(0o700);
  return dir;
}

describe('startEmbeddedPostgres', () => {
  it('stops the server and removes its data when the process that started it is killed', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./fixtures/start-and-wait.ts', import.meta.url))],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [line] = (await once(createInterface({ input: child.stdout as Readable }), 'line')) as [string];
    const started = JSON.parse(line) as { dir: string; connectionString: string };
    expect(await query(started.connectionString, 'select 1 as one')).toEqual([{ one: 1 }]);
    child.kill('SIGKILL'); // no exit handler runs
    const exists = () =>
      stat(started.dir).then(
        () => true,
        () => false,
      );
    await expect.poll(exists, { timeout: 20_000 }).toBe(false);
    await expect(query(started.connectionString, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('starts a server that answers, and stop() removes its temporary data', async () => {
    const server = await startEmbeddedPostgres();
    expect(await query(server.connectionString, 'select 1 as one')).toEqual([{ one: 1 }]);
    await server.stop();
    await expect(stat(server.dir)).rejects.toThrow(/ENOENT/);
  });

  it('keeps data in a directory closed to other users, and finds it again there', async () => {
    const dir = join(await closedDirectory(), 'project', '.reel', 'pg');
    let server = await startEmbeddedPostgres({ dir });
    cleanup.push(server.dir);
    await query(
      server.connectionString,
      'create table kept (note text); insert into kept values ($$hello$$)',
    );
    await server.stop();

    server = await startEmbeddedPostgres({ dir });
    try {
      expect(await query(server.connectionString, 'select note from kept')).toEqual([{ note: 'hello' }]);
      if (root) {
        // Postgres's own user cannot enter the closed directory: the data lives under the temp
        // directory, and `dir` links there.
        expect(server.dir.startsWith(await realpath(tmpdir()))).toBe(true);
        expect(await readlink(dir)).toBe(server.dir);
      } else {
        expect(server.dir).toBe(dir);
      }
    } finally {
      await server.stop();
    }
  });
});

describe.runIf(root)('under root', () => {
  it('runs binaries the postgres user cannot reach from a copy it can', async () => {
    const binaries = await platformBinaries();
    // The platform package as npm would leave it in a project under a closed directory.
    const installed = join(await closedDirectory(), 'node_modules', 'platform');
    await mkdir(installed, { recursive: true });
    await cp(binaries.root, join(installed, 'native'), { recursive: true, verbatimSymlinks: true });
    const version = `0.0.0-test.${process.pid}`;
    await writeFile(join(installed, 'package.json'), JSON.stringify({ version }));
    const unreachable = {
      root: join(installed, 'native'),
      initdb: join(installed, 'native', 'bin', 'initdb'),
      postgres: join(installed, 'native', 'bin', 'postgres'),
    };

    const usable = await binariesFor(await postgresUser(), unreachable);
    cleanup.push(usable.root);
    expect(usable.root).toBe(join(tmpdir(), `reel-postgres-${version}`));
    expect(dirname(dirname(usable.postgres))).toBe(usable.root);
    const copied = await stat(usable.root);
    expect({ uid: copied.uid, mode: copied.mode & 0o777 }).toEqual({ uid: 0, mode: 0o755 });
  });
});
