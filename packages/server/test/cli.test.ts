import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HttpClient } from '../src/http-client.ts';
import { closedPort, reel, reelHere, useHarness } from './helpers.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const main = 'packages/server/src/cli/main.ts';
const fixtures = 'packages/server/test/fixtures';
const db = useTestDatabase();
const h = useHarness(db, { apiKeys: [{ key: 'cli-admin-key', scopes: ['admin'] }] });
let url: string;

beforeAll(async () => {
  url = await h.app.listen({ host: '127.0.0.1', port: 0 });
});

const remote = () => ['--url', url, '--api-key', 'cli-admin-key'];

describe('reel workflow', () => {
  it('starts, lists, describes, queries, signals, waits for, cancels and terminates workflows on a server', async () => {
    await h.client.start('waiting', undefined, { id: 'cli-cancel' });
    await h.client.start('waiting', undefined, { id: 'cli-terminate' });
    const [started, cancel, terminate] = await Promise.all([
      reelHere([
        'workflow',
        'start',
        'greeting',
        '--id',
        'cli-1',
        '--input',
        '{"name":"Ada"}',
        '--json',
        ...remote(),
      ]),
      reelHere(['workflow', 'cancel', 'cli-cancel', '--reason', 'no longer needed', ...remote()]),
      reelHere(['workflow', 'terminate', 'cli-terminate', '--json', ...remote()]),
    ]);
    expect(started).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(started.stdout)).toMatchObject({ workflowId: 'cli-1', created: true });
    expect(cancel).toMatchObject({ code: 0, stdout: 'Asked cli-cancel to cancel.\n' });
    expect(terminate).toMatchObject({ code: 0, stdout: '{"ok":true}\n' });
    expect((await h.client.describe('cli-terminate')).status).toBe('terminated');

    const [list, later, describe, query] = await Promise.all([
      reelHere(['workflow', 'list', '--type', 'greeting', '--json', ...remote()]),
      reelHere(['workflow', 'list', '--created-after', '2999-01-01T00:00:00Z', '--json', ...remote()]),
      reelHere(['workflow', 'describe', 'cli-1', ...remote()]),
      reelHere(['workflow', 'query', 'cli-1', 'stage', '--args', '["?"]', '--json', ...remote()]),
    ]);
    expect(JSON.parse(list.stdout).items.map((r: { workflowId: string }) => r.workflowId)).toEqual(['cli-1']);
    expect(JSON.parse(later.stdout)).toEqual({ items: [] }); // the filter reached the server
    expect(describe.stdout).toMatch(/^workflow: cli-1\n/);
    expect(describe.stdout).toMatch(/status: +running/);
    expect(JSON.parse(query.stdout)).toEqual({ result: expect.stringMatching(/\?$/) });

    // The key can come from the environment too.
    const signal = await reelHere(
      ['workflow', 'signal', 'cli-1', 'approve', '--payload', '{"by":"Bob"}', '--url', url],
      { REEL_API_KEY: 'cli-admin-key' },
    );
    expect(signal).toMatchObject({ code: 0, stdout: "Sent signal 'approve' to cli-1.\n" });
    const [result, history] = await Promise.all([
      reelHere(['workflow', 'result', 'cli-1', '--timeout', '10s', '--json', ...remote()]),
      reelHere(['workflow', 'history', 'cli-1', ...remote()]),
    ]);
    expect(JSON.parse(result.stdout)).toEqual({
      status: 'completed',
      result: { text: 'Hello, Ada!', approvedBy: 'Bob' },
    });
    expect(history.stdout.split('\n')[0]).toMatch(/^SEQ +TYPE +AT +DETAILS$/);
    expect(history.stdout).toContain('signal_received');
  });

  it("sends an update and prints the handler's result; the same --update-id gets the first result", async () => {
    await h.client.start('guestbook', undefined, { id: 'cli-update' });
    const first = await reelHere([
      'workflow',
      'update',
      'cli-update',
      'sign',
      '"Ada"',
      '--update-id',
      'once',
      '--json',
      ...remote(),
    ]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(first.stdout)).toEqual({ result: { greeting: 'Hello, Ada!', count: 1 } });
    const again = await reelHere([
      'workflow',
      'update',
      'cli-update',
      'sign',
      '"Bob"',
      '--update-id',
      'once',
      ...remote(),
    ]);
    expect(JSON.parse(again.stdout)).toEqual({ greeting: 'Hello, Ada!', count: 1 });
    const rejected = await reelHere(['workflow', 'update', 'cli-update', 'sign', '""', ...remote()]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toBe('reel: a guest needs a name\n');
    const bad = await reelHere(['workflow', 'update', 'cli-update', 'sign', 'Ada', ...remote()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('The update argument must be JSON');
  });

  it('fails with exit code 1 and the server error, or 2 for usage mistakes', async () => {
    const port = await closedPort();
    await h.client.start('waiting', undefined, { id: 'cli-exists' });
    const [unreachable, missing, badInput, exists, halfFlow, loneMaxWait] = await Promise.all([
      reel(['workflow', 'list', '--url', `http://127.0.0.1:${port}`, '--json']),
      reel(['workflow', 'describe', 'nobody', ...remote()]),
      reel(['workflow', 'start', 'quick', '--input', '{oops', ...remote()]),
      reel(['workflow', 'start', 'waiting', '--id', 'cli-exists', '--fail-if-exists', '--json', ...remote()]),
      reel(['workflow', 'start', 'quick', '--throttle-key', 'k', ...remote()]),
      reel(['workflow', 'start', 'quick', '--debounce-max-wait', '1m', ...remote()]),
    ]);
    // The hint names the CLI's flags, not the options of the SDK it calls.
    expect(exists.code).toBe(1);
    expect(JSON.parse(exists.stderr)).toEqual({
      error: {
        code: 'REEL_WORKFLOW_ALREADY_STARTED',
        message: expect.stringMatching(
          /^Workflow cli-exists already exists \(run [0-9a-f-]{36}\)\. Use another --id, or leave out --fail-if-exists to get the existing run\.$/,
        ),
      },
    });
    expect(unreachable.code).toBe(1);
    expect(JSON.parse(unreachable.stderr)).toEqual({
      error: { code: 'REEL_SERVER_UNREACHABLE', message: expect.stringContaining('ECONNREFUSED') },
    });
    expect(missing).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('No workflow with id "nobody"'),
    });
    expect(badInput).toMatchObject({ code: 2, stderr: expect.stringContaining('--input must be JSON') });
    expect(halfFlow).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Give --throttle-key and --throttle-period together.'),
    });
    expect(loneMaxWait).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Give --debounce-max-wait with --debounce-key and --debounce-period.'),
    });
  });

  it('starts with flow-control flags, and describe says what a run waits for', async () => {
    await h.client.start('waiting', undefined, { concurrency: { key: 'cli-key', limit: 1 } });
    const flags = ['--concurrency-key', 'cli-key', '--concurrency-limit', '1', '--priority', '3'];
    const throttled = ['workflow', 'start', 'quick', '--throttle-key', 'cli-t', '--throttle-period', '1h'];
    const debounced = ['workflow', 'start', 'quick', '--debounce-key', 'cli-d', '--debounce-period', '1h'];
    const [started, first, capped, tooShort] = await Promise.all([
      reelHere(['workflow', 'start', 'waiting', '--id', 'cli-queued', ...flags, ...remote()]),
      reelHere([...throttled, ...remote()]),
      reelHere([...debounced, '--debounce-max-wait', '2h', ...remote()]),
      reelHere([...debounced, '--debounce-max-wait', '30m', ...remote()]),
    ]);
    expect(capped).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Started quick/) });
    expect(tooShort).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('debounce.maxWait must be at least debounce.period'),
    });
    const [second, described] = await Promise.all([
      reelHere([...throttled, ...remote()]),
      reelHere(['workflow', 'describe', 'cli-queued', ...remote()]),
    ]);
    expect(started).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Started waiting cli-queued/) });
    expect([first.stdout, second.stdout]).toEqual([
      expect.stringMatching(/^Started quick/),
      expect.stringMatching(/^Coalesced into quick/),
    ]);
    expect(described.stdout).toMatch(/^waiting: +for a slot of concurrency key cli-key$/m);
    expect(described.stdout).toMatch(/^priority: +3$/m);
  });

  it('starts with a delay, an execution timeout and attributes', async () => {
    const flags = ['--start-delay', '1h', '--execution-timeout', '2h', '--attributes', '{"tenant":"cli"}'];
    const started = await reelHere([
      'workflow',
      'start',
      'quick',
      '--id',
      'cli-delayed',
      ...flags,
      ...remote(),
    ]);
    expect(started).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Started quick cli-delayed/) });
    const [history] = (await h.client.history('cli-delayed')).events;
    expect(history).toMatchObject({ type: 'workflow_started', executionTimeoutMs: 7_200_000 });
    expect((await h.client.describe('cli-delayed')).attributes).toEqual({ tenant: 'cli' });
    const bad = await reelHere(['workflow', 'start', 'quick', '--attributes', '[1]', ...remote()]);
    expect(bad).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--attributes must be a JSON object'),
    });
  });

  it('describes a run without printing the fields it does not have', async () => {
    await h.client.start('waiting', undefined, { id: 'cli-no-input' });
    const described = await reelHere(['workflow', 'describe', 'cli-no-input', ...remote()]);
    expect(described.code).toBe(0);
    const keys = described.stdout
      .trimEnd()
      .split('\n')
      .map((line) => {
        expect(line).toMatch(/^[a-z]+: +\S/);
        return line.split(':')[0];
      });
    // No input, result, error, parking or close time: each line is left out, not printed blank.
    expect(keys).toEqual(['workflow', 'run', 'type', 'status', 'events', 'created', 'updated']);
  });

  it('retries and resets a workflow, and describe names the run that took over', async () => {
    await h.client.start('greeting', { name: 'Ada' }, { id: 'cli-reset' });
    await expect
      .poll(async () =>
        (await h.client.history('cli-reset')).events.some((e) => e.type === 'activity_completed'),
      )
      .toBe(true);
    const old = await h.client.describe('cli-reset');
    expect(await reelHere(['workflow', 'retry', 'cli-reset', ...remote()])).toMatchObject({
      code: 0,
      stdout: 'cli-reset retries now.\n',
    });
    const missing = await reelHere(['workflow', 'reset', 'cli-reset', ...remote()]);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--to-event') });
    const reset = await reelHere([
      'workflow',
      'reset',
      'cli-reset',
      '--to-event',
      '0',
      '--json',
      ...remote(),
    ]);
    expect(reset.code).toBe(0);
    const { runId } = JSON.parse(reset.stdout) as { runId: string };
    const described = await reelHere([
      'workflow',
      'describe',
      'cli-reset',
      '--run-id',
      old.runId,
      ...remote(),
    ]);
    expect(described.stdout).toMatch(/^status: +reset$/m);
    expect(described.stdout).toContain(`reset:    to run ${runId}`);
    const [runs, latest] = await Promise.all([
      reelHere(['workflow', 'runs', 'cli-reset', ...remote()]),
      reelHere(['workflow', 'list', '--type', 'greeting', '--latest', '--json', ...remote()]),
    ]);
    expect(runs.code).toBe(0);
    // --latest leaves out the run the reset took over.
    const listed = JSON.parse(latest.stdout).items.map((r: { runId: string }) => r.runId);
    expect(listed).toContain(runId);
    expect(listed).not.toContain(old.runId);
    // The latest first: the run the reset started, then the one it reset.
    expect(
      runs.stdout
        .split('\n')
        .slice(1, 3)
        .map((line) => line.split(/ +/).slice(0, 2)),
    ).toEqual([
      [runId, expect.any(String)],
      [old.runId, 'reset'],
    ]);
  });
});

describe('reel worker, migrate and dev', () => {
  it('refuses a --read-database-url that is not a postgres:// URL, as a usage error (2)', async () => {
    const run = await reelHere([
      'server',
      '--port',
      '0',
      '--database-url',
      db.connectionString,
      '--read-database-url',
      'mysql://replica/db',
    ]);
    expect(run).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('The read database URL must start with postgres:// or postgresql://'),
    });
  });

  it('gives usage errors (2) for a missing module or one without workflows, failures (1) for an unreachable database or an insecure bind', async () => {
    const [missing, empty, down, migrated, insecure] = await Promise.all([
      reel(['worker', '--workflows', `${fixtures}/nope.ts`, '--database-url', db.connectionString]),
      reel(['worker', '--workflows', `${fixtures}/no-workflows.ts`, '--database-url', db.connectionString]),
      reel([
        'migrate',
        '--database-url',
        `postgres://u:p@127.0.0.1:${await closedPort()}/db`,
        '--wait-for-database',
        '300ms',
      ]),
      reel(['migrate', '--json'], { DATABASE_URL: db.connectionString }),
      reel(['server', '--host', '0.0.0.0', '--port', '0', '--database-url', db.connectionString], {
        REEL_API_KEYS: '',
      }),
    ]);
    expect(missing).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('No module at packages/server/test/fixtures/nope.ts'),
    });
    expect(empty).toMatchObject({ code: 2, stderr: expect.stringContaining('exports no workflows') });
    expect(down).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /is not reachable \(connect ECONNREFUSED .*\); next try in .*Could not connect to Postgres at 127\.0\.0\.1:\d+\/db within 0\.3 s: connection refused \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)\. Check that Postgres runs/s,
      ),
    });
    expect(migrated).toMatchObject({ code: 0, stdout: '{"applied":[]}\n' });
    expect(insecure).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Refusing to listen on 0.0.0.0 without API keys'),
    });
  });

  it('prints the SQL of pending migrations; applied by another client, reel migrate then has nothing to apply', async () => {
    const empty = await createTestDatabase(inject('databaseUrl'));
    try {
      const printed = await reel(['migrate', '--print-sql', '--database-url', empty.connectionString]);
      expect(printed).toMatchObject({ code: 0, stdout: expect.stringContaining('-- 0001_init.sql\nbegin;') });
      // As a team's own migration tool would: the whole script, as it is, in one simple query.
      const own = new pg.Client({ connectionString: empty.connectionString });
      await own.connect();
      await own.query(printed.stdout).finally(() => own.end());
      expect(await reel(['migrate', '--json', '--database-url', empty.connectionString])).toMatchObject({
        code: 0,
        stdout: '{"applied":[]}\n',
      });
    } finally {
      await empty.drop();
    }
  });

  it('says why Postgres refused the connection, with a code, for every command that connects', async () => {
    const at = (change: (url: URL) => void) => {
      const url = new URL(db.connectionString);
      change(url);
      return url.toString();
    };
    const noDatabase = at((url) => {
      url.pathname = '/reel_no_such_database';
    });
    const noRole = at((url) => {
      url.username = 'reel_no_such_role';
    });
    const [migrate, server, worker, role] = await Promise.all([
      reel(['migrate', '--database-url', noDatabase, '--json']),
      reel(['server', '--port', '0', '--database-url', noDatabase], { REEL_API_KEYS: '' }),
      reel(['worker', '--workflows', `${fixtures}/workflows.ts`, '--database-url', noDatabase]),
      reel(['migrate', '--database-url', noRole, '--json']),
    ]);
    expect(migrate.code).toBe(1);
    expect(JSON.parse(migrate.stderr)).toEqual({
      error: {
        code: 'REEL_DATABASE_NOT_FOUND',
        message: expect.stringMatching(
          /^Could not connect to Postgres at .*\/reel_no_such_database: database "reel_no_such_database" does not exist\. Create it, or point --database-url \(or DATABASE_URL\) at one that exists\.$/,
        ),
      },
    });
    for (const run of [server, worker]) {
      expect(run).toMatchObject({
        code: 1,
        stderr: expect.stringContaining('database "reel_no_such_database" does not exist. Create it'),
      });
    }
    expect(role.code).toBe(1);
    expect(JSON.parse(role.stderr)).toEqual({
      error: {
        code: 'REEL_DATABASE_AUTH_FAILED',
        // Postgres names the role under trust authentication, and only the failed password otherwise.
        message: expect.stringMatching(
          /(role|password authentication failed for user) "reel_no_such_role"( does not exist)?\. Check the user and password in --database-url/,
        ),
      },
    });
  });

  it('loads the example with reel worker, and fails a module that does not load with 2 and the cause, with its place', async () => {
    const closed = `postgres://u:p@127.0.0.1:${await closedPort()}/db`;
    const worker = (module: string) =>
      reel(['worker', '--workflows', module, '--database-url', closed, '--wait-for-database', '0']);
    const [example, syntax, missing] = await Promise.all([
      worker('examples/order/workflows.ts'),
      worker(`${fixtures}/syntax-error.mjs`),
      worker(`${fixtures}/missing-import.mjs`),
    ]);
    // Loaded: it got as far as the database.
    expect(example).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Could not connect to Postgres'),
    });
    expect(syntax).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/Could not load .*syntax-error\.mjs: .*syntax-error\.mjs:2/s),
    });
    expect(syntax.stderr).not.toContain('reel --help');
    expect(missing).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/Could not load .*missing-import\.mjs: .*'no-such-package'/s),
    });
  });

  it('reel server stops on SIGTERM, saying what it waits for', async () => {
    const server = spawn(
      process.execPath,
      ['--import', 'tsx', main, 'server', '--port', '0', '--database-url', db.connectionString],
      { cwd: root, env: { ...process.env, REEL_API_KEYS: '', REEL_LOG_LEVEL: 'warn' } },
    );
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      server.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (stderr.includes('Reel server on')) resolve();
      });
      void exited.then(() => reject(new Error(`reel server exited early:\n${stderr}`)));
    });
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGTERM: closing the server');
    // It runs no worker, so it has none to drain.
    expect(stderr).not.toContain('worker');
  });

  it('reel server takes webhooks from --hooks and JWT auth from REEL_JWT_SECRET', async () => {
    const secret = 'cli-jwt-secret-of-at-least-32-bytes';
    const server = spawn(
      process.execPath,
      ['--import', 'tsx', main, 'server', '--port', '0', '--hooks', `${fixtures}/hooks.ts`],
      {
        cwd: root,
        env: {
          ...process.env,
          DATABASE_URL: db.connectionString,
          REEL_API_KEYS: '',
          REEL_JWT_SECRET: secret,
          GITHUB_WEBHOOK_SECRET: 'gh-secret',
          REEL_LOG_LEVEL: 'warn',
        },
      },
    );
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    try {
      const serverUrl = await new Promise<string>((resolve, reject) => {
        let stderr = '';
        server.stderr.on('data', (chunk) => {
          stderr += chunk;
          const found = /Reel server on (\S+) .*JWT auth, webhooks github\./.exec(stderr);
          if (found) resolve(found[1] as string);
        });
        void exited.then(() => reject(new Error(`reel server exited early:\n${stderr}`)));
      });
      const body = JSON.stringify({ n: 7 });
      const delivery = await fetch(`${serverUrl}/v1/hooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-delivery': 'cli-1',
          'x-hub-signature-256': `sha256=${createHmac('sha256', 'gh-secret').update(body).digest('hex')}`,
        },
        body,
      });
      expect(delivery.status).toBe(201);
      const token = await new SignJWT({ scope: 'read' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1m')
        .sign(new TextEncoder().encode(secret));
      const read = await fetch(`${serverUrl}/v1/workflows/github-cli-1`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(read.status).toBe(200);
      expect((await fetch(`${serverUrl}/v1/workflows/github-cli-1`)).status).toBe(401);
    } finally {
      server.kill('SIGTERM');
      await exited;
    }
  });

  describe('reel dev', () => {
    let dir: string;
    let child: ChildProcess | undefined;
    afterAll(async () => {
      if (child?.exitCode === null) child.kill('SIGKILL');
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('runs Postgres, the server and a worker in one process, and drains on Ctrl-C', async () => {
      dir = await mkdtemp(join(tmpdir(), 'reel-dev-'));
      await chmod(dir, 0o755); // under root, Postgres runs as another user that must reach it
      const dev = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          main,
          'dev',
          '--workflows',
          `${fixtures}/workflows.ts`,
          '--port',
          '0',
          '--dir',
          dir,
        ],
        { cwd: root },
      );
      child = dev;
      let stdout = '';
      let stderr = '';
      dev.stdout.on('data', (chunk) => (stdout += chunk));
      dev.stderr.on('data', (chunk) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        dev.stdout.on('data', () => stdout.includes('Press Ctrl-C') && resolve());
        void exited.then(() => reject(new Error(`reel dev exited early:\n${stdout}\n${stderr}`)));
      });
      const devUrl = /Reel dev server: (\S+)/.exec(stdout)?.[1] as string;
      const client = new HttpClient({ baseUrl: devUrl });
      const handle = await client.start('quick', 9);
      expect(await handle.result({ timeout: '10s' })).toBe('Hello, #9!');
      // The dashboard it prints needs no key, as the API it calls.
      const dashboard = await fetch(/Dashboard +(\S+)/.exec(stdout)?.[1] as string);
      expect(dashboard.status).toBe(200);
      expect(await dashboard.text()).toContain('dashboard/app.js');

      dev.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stderr).toContain('draining the worker');
      expect(existsSync(join(dir, 'pg', 'PG_VERSION'))).toBe(true);
      expect(existsSync(join(dir, 'pg', 'postmaster.pid'))).toBe(false);
    });
  });
});
