import { useTestDatabase } from '@reel/testing/vitest';
import { beforeAll, expect, it, vi } from 'vitest';
import { scheduleCommand } from '../src/cli/schedule-commands.ts';
import { reel, useHarness } from './helpers.ts';

const db = useTestDatabase();
const h = useHarness(db, { apiKeys: [{ key: 'cli-admin-key', scopes: ['admin'] }] });
let url: string;

beforeAll(async () => {
  url = await h.app.listen({ host: '127.0.0.1', port: 0 });
});

/** Runs `reel schedule ...args` against the test's server, as a user would. */
const schedule = (args: string[]) => reel(['schedule', ...args, '--url', url, '--api-key', 'cli-admin-key']);

const errorCode = (run: { stderr: string }) => JSON.parse(run.stderr).error.code;

/** Runs `reel schedule ...args` in this process (a process each costs seconds), returning its output. */
async function inProcess(args: string[]): Promise<string> {
  const out: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  try {
    await scheduleCommand([...args, '--url', url, '--api-key', 'cli-admin-key']);
  } finally {
    write.mockRestore();
  }
  return out.join('');
}

it('reel schedule create answers usage errors with exit code 2 before any request, and what the server refuses with 1 and its code', async () => {
  const create = ['create', 'cli-report', '--type', 'quick', '--cron', '0 9 * * 1-5'];
  const [created, noCron, badCron] = await Promise.all([
    schedule([...create, '--timezone', 'Europe/Paris', '--input', '3', '--overlap', 'bufferOne']),
    schedule(['create', 'cli-bad', '--type', 'quick', '--json']),
    schedule(['create', 'cli-bad', '--type', 'quick', '--cron', '61 * * * *', '--json']),
  ]);
  expect(created).toMatchObject({ code: 0, stderr: '' });
  expect(created.stdout).toMatch(
    /^schedule: +cli-report\ntype: +quick\ncron: +0 9 \* \* 1-5 \(Europe\/Paris\)\n/,
  );
  expect(created.stdout).toMatch(/^overlap: +bufferOne$/m);
  expect(created.stdout).toMatch(/^next fire: +\d{4}-\d\d-\d\dT0[78]:00:00\.000Z$/m); // 09:00 in Paris
  expect([noCron.code, errorCode(noCron)]).toEqual([2, 'REEL_USAGE']);
  expect(noCron.stderr).toContain('needs --cron');
  expect([badCron.code, errorCode(badCron)]).toEqual([1, 'REEL_INVALID_SCHEDULE']);
  await expect(
    inProcess(['create', 'cli-bad', '--type', 'quick', '--cron', '@daily', '--overlap', 'queue']),
  ).rejects.toThrow(/--overlap must be one of skip, bufferOne, allowAll/);
  expect((await h.client.schedules.list()).map((s) => s.id)).toEqual(['cli-report']);
});

it('reel schedule triggers, pauses, describes, lists, resumes and deletes schedules', async () => {
  await h.client.schedules.create({ id: 'cli-weekly', workflow: 'quick', cron: '@weekly', input: 3 });
  await h.client.schedules.create({ id: 'cli-other', workflow: 'quick', cron: '@daily', input: 1 });
  const run = JSON.parse(await inProcess(['trigger', 'cli-weekly', '--json']));
  expect(run.workflowId).toMatch(/^cli-weekly@/);
  expect(await h.client.result(run.workflowId, { timeout: '10s' })).toBe('Hello, #3!');
  expect(await inProcess(['pause', 'cli-weekly'])).toBe(
    'Paused cli-weekly; it fires no ticks until resumed.\n',
  );
  await expect(inProcess(['describe', 'nobody'])).rejects.toMatchObject({ code: 'REEL_SCHEDULE_NOT_FOUND' });

  const described = await inProcess(['describe', 'cli-weekly']);
  expect(described).toMatch(/^status: +paused$/m);
  expect(described).toMatch(new RegExp(`^run: +${run.workflowId} \\(run ${run.runId}\\)$`, 'm'));
  expect(described).not.toMatch(/^next fire:/m);
  const listed = await inProcess(['list']);
  expect(listed).toMatch(/^SCHEDULE +TYPE +CRON +TIMEZONE +NEXT FIRE\ncli-other +quick +@daily +UTC +\d{4}-/);
  expect(listed).toMatch(/^cli-weekly +quick +@weekly +UTC +paused$/m);

  expect(await inProcess(['resume', 'cli-weekly'])).toMatch(/^Resumed cli-weekly; next fire \d{4}-.*Z\.\n$/);
  expect(await inProcess(['delete', 'cli-other'])).toBe('Deleted cli-other; the runs it started go on.\n');
  const left = JSON.parse(await inProcess(['list', '--json'])).items;
  expect(left.map((s: { id: string; paused: boolean }) => [s.id, s.paused])).toEqual([
    ['cli-report', false],
    ['cli-weekly', false],
  ]);
});
