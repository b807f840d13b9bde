import { useTestDatabase } from '@reel/testing/vitest';
import { beforeAll, expect, it } from 'vitest';
import { reel, useHarness } from './helpers.ts';

const db = useTestDatabase();
const h = useHarness(db, { apiKeys: [{ key: 'cli-admin-key', scopes: ['admin'] }] });
let url: string;

beforeAll(async () => {
  url = await h.app.listen({ host: '127.0.0.1', port: 0 });
});

/** Runs `reel batch ...args` against the test's server, as a user would. */
const batch = (args: string[]) => reel(['batch', ...args, '--url', url, '--api-key', 'cli-admin-key']);

it('reel batch counts, cancels by filter and describes the batch', async () => {
  for (let i = 0; i < 3; i++)
    await h.client.start('waiting', undefined, { id: `cli-batch-${i}`, attributes: { group: 'cli' } });
  const filter = ['--type', 'waiting', '--status', 'running', '--attributes', '{"group":"cli"}'];
  const dry = await batch(['cancel', ...filter, '--dry-run']);
  expect(dry).toMatchObject({ code: 0, stdout: '3 runs match; nothing changed.\n' });

  const cancelled = await batch([
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

  const described = await batch(['describe', 'cli-recall']);
  expect(described.stdout).toMatch(/^batch: +cli-recall\n/);
  expect(described.stdout).toMatch(/progress: +3 of 3 \(3 done, 0 skipped\)/);

  const missing = await batch(['describe', 'nobody', '--json']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/REEL_BATCH_NOT_FOUND/);
  const badDate = await batch(['cancel', '--created-after', 'someday']);
  expect(badDate.code).toBe(2);
});
