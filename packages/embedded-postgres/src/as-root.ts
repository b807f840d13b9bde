/**
 * Postgres refuses to run as root. Started by root (a CI container, a dev container), it runs as the
 * user `postgres`, who must be able to reach its programs and its data directory: neither may sit
 * behind a directory closed to other users, such as a 0700 home directory holding `node_modules`.
 */
import { execFile, spawn } from 'node:child_process';
import {
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  symlink,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { ErrorCodes, ReelError } from '@reel/sdk';
import type { Binaries } from './binaries.ts';

/** The user Postgres runs as when started by root. */
export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

const NAME = 'postgres';
const run = promisify(execFile);

/** The `postgres` user, created (as a system user) if the machine has none. */
export async function postgresUser(): Promise<RunAs> {
  const found = await lookUp().catch(() => undefined);
  if (found) return found;
  try {
    await run('useradd', ['--system', '--user-group', '--no-create-home', NAME]);
  } catch (err) {
    // Another process may have created it meanwhile.
    const raced = await lookUp().catch(() => undefined);
    if (raced) return raced;
    throw failed(
      `Postgres refuses to run as root, so Reel runs it as the user ${NAME}, who does not exist and could not be created (${(err as Error).message.trim()}). ` +
        `Create that user (useradd --system --user-group ${NAME}), or run as a user other than root.`,
      err,
    );
  }
  return lookUp();
}

/**
 * `binaries` themselves when `user` can run them, else a copy under the temp directory (made once per
 * version, owned by root, readable by all) that it can.
 */
export async function binariesFor(user: RunAs, binaries: Binaries): Promise<Binaries> {
  if (await canRun(user, binaries.postgres)) return binaries;
  const { version } = JSON.parse(await readFile(join(binaries.root, '..', 'package.json'), 'utf8'));
  const copy = join(tmpdir(), `reel-postgres-${version}`);
  if (!(await ownedByRoot(copy))) {
    // Copied aside, then renamed into place: a copy at `copy` is always whole.
    const staging = await mkdtemp(join(tmpdir(), 'reel-postgres-copy-'));
    await cp(binaries.root, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await rename(staging, copy).catch(() => rm(staging, { recursive: true, force: true }));
    if (!(await ownedByRoot(copy)))
      throw failed(
        `${copy} is in the way: it is not a directory only root can write. Remove it and try again.`,
      );
  }
  const moved = {
    root: copy,
    initdb: join(copy, relative(binaries.root, binaries.initdb)),
    postgres: join(copy, relative(binaries.root, binaries.postgres)),
  };
  if (!(await canRun(user, moved.postgres))) throw failed(unreachable(user, copy));
  return moved;
}

/**
 * A data directory `user` owns and can reach: `dir` itself when it can, else (when `dir` holds no
 * cluster yet) a new directory under the temp directory, linked from `dir` so later starts find it.
 */
export async function dataDirFor(user: RunAs, dir: string): Promise<string> {
  // A link whose target went (the temp directory was emptied) is a cluster that is no more.
  const existing = await realpath(dir).catch(() => undefined);
  if (existing === undefined) await rm(dir, { force: true });
  const target = existing ?? dir;
  await mkdir(target, { recursive: true });
  const fresh = (await readdir(target)).length === 0;
  if (fresh) await chown(target, user.uid, user.gid);
  if (await canReach(user, target)) return target;
  if (!fresh) throw failed(unreachable(user, target));

  await rm(target, { recursive: true });
  await rm(dir, { force: true });
  const moved = await mkdtemp(join(tmpdir(), 'reel-postgres-data-'));
  await chown(moved, user.uid, user.gid);
  if (!(await canReach(user, moved))) throw failed(unreachable(user, moved));
  await symlink(moved, dir);
  return moved;
}

async function lookUp(): Promise<RunAs> {
  const [uid, gid] = await Promise.all([run('id', ['-u', NAME]), run('id', ['-g', NAME])]);
  return { name: NAME, uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

/** Whether `user` can run `program` (asked for its version: this also loads its libraries). */
function canRun(user: RunAs, program: string): Promise<boolean> {
  return succeeds(program, ['--version'], user);
}

/** Whether `user` can get to `dir` and write in it. */
function canReach(user: RunAs, dir: string): Promise<boolean> {
  return succeeds('/bin/sh', ['-c', 'test -w "$1" && test -x "$1"', 'sh', dir], user);
}

function succeeds(program: string, args: string[], user: RunAs): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { uid: user.uid, gid: user.gid, cwd: '/', stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

async function ownedByRoot(path: string): Promise<boolean> {
  const stat = await lstat(path).catch(() => undefined);
  return stat?.isDirectory() === true && stat.uid === 0 && (stat.mode & 0o022) === 0;
}

function unreachable(user: RunAs, path: string): string {
  return (
    `Postgres refuses to run as root, so Reel runs it as the user ${user.name}, who cannot reach ${path}: ` +
    'a directory on the way is closed to other users (a home directory of mode 0700, say). ' +
    `Give ${user.name} access to it, choose a directory it can reach (for the temp directory: set TMPDIR), ` +
    'or run as a user other than root.'
  );
}

function failed(message: string, cause?: unknown): ReelError {
  return new ReelError(ErrorCodes.EMBEDDED_POSTGRES_FAILED, message, { cause });
}
