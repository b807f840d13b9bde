import { MAX_JSON_DEPTH } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { describe, expect, it } from 'vitest';
import { codeOf, useHarness } from './helpers.ts';

const db = useTestDatabase();
const h = useHarness(db);

/** JSON text of an array nested `depth` levels deep, built as text so nothing recurses. */
const deepJson = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe('deeply nested JSON', () => {
  it.each([
    ['POST', '/v1/workflows', (d: string) => `{"type":"quick","input":${d}}`],
    [
      'POST',
      '/v1/schedules',
      (d: string) => `{"id":"deep","workflowType":"quick","cron":"@hourly","input":${d}}`,
    ],
    ['POST', '/v1/workflows/nobody/signals/go', (d: string) => `{"payload":${d}}`],
    ['POST', '/v1/workflows/nobody/queries/stage', (d: string) => `{"args":[${d}]}`],
  ])('%s %s answers 400 REEL_NOT_SERIALIZABLE at 10,000 levels', async (method, url, body) => {
    const res = await h.app.inject({
      method: method as 'POST',
      url,
      payload: body(deepJson(10_000)),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(codeOf(res)).toBe('REEL_NOT_SERIALIZABLE');
    expect(res.json().error.message).toContain(`deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it(`starts a run whose input nests ${MAX_JSON_DEPTH - 1} levels`, async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      payload: `{"type":"quick","id":"deep-ok","input":${deepJson(MAX_JSON_DEPTH - 1)}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(201);
  });
});
