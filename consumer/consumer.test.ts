/**
 * Reel as a user gets it: the packed packages installed with npm into an app outside this
 * repository (ESM, `"type": "module"`), running getting-started's code with `node` and with `tsx`,
 * the installed `reel` CLI on a TypeScript module, and `reel-lint` on JavaScript.
 */
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApp, type Run, run, start } from './app.ts';
import { productionClosure, untypedDeclarationImports } from './lockfile.ts';

/** What only development and tests need: none of it may come with a production install. */
const TOOLING =
  /^(@reel\/testing|@reel\/embedded-postgres|embedded-postgres|@embedded-postgres\/.*|ts-morph|@ts-morph\/.*|typescript|tsx|esbuild|@esbuild\/.*|vitest|testcontainers|@testcontainers\/.*|@sinonjs\/.*)$/;
const RESULT = "{ followUp: 'message to ada@example.com: How is it going?' }";

let app: string;
let install: Run;
let remove: () => Promise<void> = async () => {};
const bin = (name: string) => join(app, 'node_modules/.bin', name);

beforeAll(async () => {
  ({ dir: app, install, remove } = await makeApp());
});
afterAll(() => remove());

describe('installing the packed packages with npm', () => {
  it("follows getting-started's steps: an ES module app", async () => {
    expect(JSON.parse(await readFile(join(app, 'package.json'), 'utf8')).type).toBe('module');
  });

  it('prints no engine warning on Node 20', async () => {
    expect(`${install.stdout}${install.stderr}`).not.toMatch(/EBADENGINE/);
  });

  it('brings no test tooling with a production install of the sdk, the worker or the server', async () => {
    for (const name of ['@reel/sdk', '@reel/worker', '@reel/server']) {
      const tooling = [...(await productionClosure(app, name))].filter((dep) => TOOLING.test(dep));
      expect(tooling, name).toEqual([]);
    }
  });

  it('brings, with each package, the types its published declarations import (@types/pg with the sdk)', async () => {
    for (const name of [
      '@reel/sdk',
      '@reel/worker',
      '@reel/server',
      '@reel/embedded-postgres',
      '@reel/testing',
    ]) {
      expect(await untypedDeclarationImports(app, name), name).toEqual([]);
    }
  });
});

describe("getting-started's code", () => {
  it('type-checks against the published declarations, library files included (skipLibCheck off)', async () => {
    const tsc = await run(bin('tsc'), ['-p', '.'], app);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  });

  it('runs with node (compiled) and with tsx, the second time at once from the same data', async () => {
    const compiled = await run(process.execPath, ['dist/main.js'], app);
    expect(compiled.stderr).toBe('');
    expect(compiled.stdout).toContain(RESULT);
    const typescript = await run(bin('tsx'), ['main.ts'], app);
    expect(typescript.stderr).toBe('');
    expect(typescript.stdout).toContain(RESULT);
    // One cluster, in .reel/pg (or, under root in a closed directory, a link to it): none nested.
    expect(await readdir(join(app, '.reel'))).toEqual(['pg']);
  });
});

describe('the installed CLIs', () => {
  it('reel dev and reel worker run a TypeScript workflows module', async () => {
    const dev = start(bin('reel'), ['dev', '--workflows', 'workflows.ts', '--port', '0'], app);
    try {
      const banner = await dev.until(/Press Ctrl-C/);
      const url = /Reel dev server: (\S+)/.exec(banner)?.[1] as string;
      const database = /Postgres {3}(\S+)/.exec(banner)?.[1] as string;
      const started = await run(
        bin('reel'),
        ['workflow', 'start', 'welcomeWorkflow', '--id', 'welcome-grace', '--input', '"grace"', '--url', url],
        app,
      );
      expect(started).toMatchObject({ code: 0, stdout: expect.stringContaining('welcome-grace') });
      const result = await run(bin('reel'), ['workflow', 'result', 'welcome-grace', '--url', url], app);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        followUp: 'message to grace@example.com: How is it going?',
      });
      // The dashboard's files and the Preact and htm modules it imports ship in the package.
      const dashboard = /Dashboard +(\S+)/.exec(banner)?.[1] as string;
      for (const file of [
        '',
        'dashboard/app.js',
        'dashboard/vendor/preact.mjs',
        'dashboard/vendor/htm.mjs',
      ]) {
        expect((await fetch(`${dashboard}${file}`)).status, file).toBe(200);
      }

      const worker = start(
        bin('reel'),
        ['worker', '--workflows', 'workflows.ts', '--database-url', database],
        app,
      );
      await worker.until(/Reel worker \S+ serving welcomeWorkflow/);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      dev.child.kill('SIGINT');
    }
    expect(await dev.exited).toBe(0);
    // reel dev used the cluster main.ts made: still one, in .reel/pg.
    expect(await readdir(join(app, '.reel'))).toEqual(['pg']);
  });

  it('reel-lint checks JavaScript: the compiled getting-started, and a workflow that reads the clock', async () => {
    await writeFile(
      join(app, 'stamp.js'),
      [
        "/** @param {import('@reel/sdk').WorkflowContext} ctx */",
        'export async function stampWorkflow(ctx) {',
        '  return Date.now();',
        '}',
        '',
      ].join('\n'),
    );
    const lint = await run(bin('reel-lint'), ['dist/main.js', 'stamp.js'], app);
    expect(lint).toMatchObject({ code: 1, stderr: '' });
    expect(lint.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^stamp\.js:3:10 {2}no-date-now .*\(in workflow stampWorkflow\)$/),
      'reel-lint: 1 finding in 1 file (2 workflows in 2 files checked)',
    ]);
  });

  it('without its optional peers, reel dev and a TypeScript module say what to install', async () => {
    const aside = async (name: string, use: () => Promise<void>) => {
      const path = join(app, 'node_modules', name);
      await rename(path, `${path}.aside`);
      try {
        await use();
      } finally {
        await rename(`${path}.aside`, path);
      }
    };
    await aside('@reel/embedded-postgres', async () => {
      const dev = await run(bin('reel'), ['dev', '--workflows', 'workflows.ts', '--json'], app);
      expect(dev.code).toBe(1);
      expect(JSON.parse(dev.stderr).error).toEqual({
        code: 'REEL_MISSING_DEPENDENCY',
        message: expect.stringContaining('npm install --save-dev @reel/embedded-postgres'),
      });
    });
    await aside('tsx', async () => {
      const worker = await run(bin('reel'), ['worker', '--workflows', 'workflows.ts'], app);
      expect(worker).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('npm install --save-dev tsx'),
      });
    });
  });

  it('a module that does not load: exit 2 with the cause and its place', async () => {
    await writeFile(
      join(app, 'broken.ts'),
      'export const workflows = {};\nexport const broken: number = ;\n',
    );
    const broken = await run(
      bin('reel'),
      ['worker', '--workflows', 'broken.ts', '--database-url', 'postgres://x@127.0.0.1:1/x'],
      app,
    );
    expect(broken).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/Could not load broken\.ts: .*broken\.ts:2:/s),
    });
  });
});
