/**
 * An app outside this repository that depends on Reel as a user's would: every public package
 * built, packed, and installed with npm from the tarballs, with getting-started's code in it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** The packages a user installs: each is packed and installed from its tarball. */
export const PACKAGES = ['sdk', 'worker', 'server', 'embedded-postgres', 'testing'];

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The app's environment: no DATABASE_URL (it uses the embedded Postgres), and none of the `npm_*`
 * settings a package manager running this test passes down.
 */
const env = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => key !== 'DATABASE_URL' && !/^npm_/i.test(key)),
);

/** Runs a command to its end. */
export function run(command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((done) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Starts a long-running command; `output()` is what it printed so far, `exited` its exit code. */
export function start(command: string, args: string[], cwd: string) {
  const child: ChildProcess = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (chunk) => (text += chunk));
  child.stderr?.on('data', (chunk) => (text += chunk));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    exited,
    output: () => text,
    /** Resolves with the output once it matches `pattern`; rejects if the process exits first. */
    until(pattern: RegExp): Promise<string> {
      return new Promise((resolve, reject) => {
        const check = () => pattern.test(text) && resolve(text);
        child.stdout?.on('data', check);
        child.stderr?.on('data', check);
        void exited.then((code) => reject(new Error(`exited (${code}) before ${pattern}:\n${text}`)));
        check();
      });
    },
  };
}

/** getting-started's TypeScript files, by the `// name.ts` line each block starts with (tests aside). */
export async function gettingStartedFiles(): Promise<Map<string, string>> {
  const doc = await readFile(join(root, 'docs/getting-started.md'), 'utf8');
  const files = new Map<string, string>();
  for (const [, body] of doc.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const name = /^\/\/ ([\w-]+\.ts)\n/.exec(body as string)?.[1];
    if (name && !name.endsWith('.test.ts') && !name.startsWith('vitest.')) files.set(name, body as string);
  }
  return files;
}

/** The `npm init` and `npm pkg` lines of getting-started's install block, run as they are. */
async function setUpCommands(): Promise<string[][]> {
  const doc = await readFile(join(root, 'docs/getting-started.md'), 'utf8');
  const install = /## Install[\s\S]*?```sh\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  return install
    .split('\n')
    .filter((line) => /^npm (init|pkg) /.test(line))
    .map((line) => line.split(' '));
}

/**
 * Builds and packs the packages, then makes the app in a new directory under the temp directory
 * (mode 0700: run as root, Postgres's own user cannot enter it) and installs it.
 */
export async function makeApp(): Promise<{ dir: string; install: Run; remove(): Promise<void> }> {
  const work = await mkdtemp(join(tmpdir(), 'reel-consumer-'));
  const dir = join(work, 'app');
  // With the cluster too, which under root lives where .reel/pg links to.
  const remove = async () => {
    const cluster = await realpath(join(dir, '.reel/pg')).catch(() => undefined);
    if (cluster) await rm(cluster, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  };
  try {
    return { dir, install: await setUp(work, dir), remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

async function setUp(work: string, dir: string): Promise<Run> {
  const tarballs = join(work, 'tarballs');
  await mkdir(dir);
  for (const [command, args] of [
    ['pnpm', ['build']],
    ['pnpm', ['-r', '--filter', './packages/*', 'pack', '--pack-destination', tarballs]],
  ] as const) {
    const done = await run(command, [...args], root);
    if (done.code !== 0)
      throw new Error(`${command} ${args.join(' ')} failed:\n${done.stdout}${done.stderr}`);
  }
  const packed = await readdir(tarballs);
  const tarball = (name: string) => {
    const file = packed.find((f) => f.startsWith(`reel-${name}-`));
    if (!file) throw new Error(`no tarball for @reel/${name} in ${packed.join(', ')}`);
    return `file:${join(tarballs, file)}`;
  };

  for (const [command, ...args] of await setUpCommands()) {
    const done = await run(command as string, args, dir);
    if (done.code !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${done.stderr}`);
  }
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  // A server app: the server a production dependency; what development and tests need, dev dependencies.
  manifest.dependencies = {
    '@reel/sdk': tarball('sdk'),
    '@reel/worker': tarball('worker'),
    '@reel/server': tarball('server'),
  };
  manifest.devDependencies = {
    '@reel/embedded-postgres': tarball('embedded-postgres'),
    '@reel/testing': tarball('testing'),
    tsx: '^4.7.0',
    typescript: '^5.9.0',
    '@types/node': '^20.19.0',
  };
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  // As strict as a user may be: library declarations checked too.
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: false,
      rewriteRelativeImportExtensions: true,
      outDir: 'dist',
      types: ['node'],
    },
    include: ['*.ts'],
  };
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  for (const [name, text] of await gettingStartedFiles()) await writeFile(join(dir, name), text);

  const install = await run('npm', ['install', '--no-audit', '--no-fund'], dir);
  if (install.code !== 0) throw new Error(`npm install failed:\n${install.stdout}${install.stderr}`);
  return install;
}
