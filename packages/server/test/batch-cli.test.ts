import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { useTestDatabase } from '@reel/testing/vitest';
import { beforeAll, expect, it } from 'vitest';
import { useHarness } from './helpers.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const db = useTestDatabase();
const h = useHarness(db, { apiKeys: [{ key: 'cli-admin-key', scopes: ['admin'] }] });
let url: string;

beforeAll(async () => {
  url = await h.app.listen({ host: '127.0.0.1', port: 0 });
});

/** Runs `reel batch ...args` as a child process, as a user would. */
function reel(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        'packages/server/src/cli/main.ts',
        'batch',
        ...args,
        '--url',
        url,
        '--api-key',
        'cli-admin-key',
      ],
      { cwd: root },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

it('reel batch counts, cancels by filter and describes the batch', async () => {
  for (let i = 0; i < 3; i++)
    await h.client.start('waiting', undefined, { id: `cli-batch-${i}`, attributes: { group: 'cli' } });
  const filter = ['--type', 'waiting', '--status', 'running', '--attributes', '{"group":"cli"}'];
  const dry = await reel(['cancel', ...filter, '--dry-run']);
  expect(dry).toMatchObject({ code: 0, stdout: '3 runs match; nothing changed.\n' });

  const cancelled = await reel([
    'cancel',
    ...filter,
    '--id',
    'cli-recall',
    '--reason',
    'recall',
    '--wait',
    '--json',
  ]);
  expect(cancelled.code).toBe(0);
  expect(JSON.parse(cancelled.stdout)).toMatchObject({
    id: 'cli-recall',
    status: 'completed',
    matched: 3,
    done: 3,
  });
  for (let i = 0; i < 3; i++)
    await expect(h.client.result(`cli-batch-${i}`, { timeout: '10s' })).rejects.toThrow(/recall/);

  const described = await reel(['describe', 'cli-recall']);
  expect(described.stdout).toMatch(/^batch: +cli-recall\n/);
  expect(described.stdout).toMatch(/progress: +3 of 3 \(3 done, 0 skipped\)/);

  const missing = await reel(['describe', 'nobody', '--json']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/REEL_BATCH_NOT_FOUND/);
  const badDate = await reel(['cancel', '--created-after', 'someday']);
  expect(badDate.code).toBe(2);
});
