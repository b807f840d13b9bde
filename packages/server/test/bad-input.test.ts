import { connect } from 'node:net';
import { MAX_JSON_DEPTH } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
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

describe("errors raised before routing, in Reel's shape", () => {
  it.each([
    ['a malformed percent-encoding', '/v1/schedules/%', 400, 'REEL_INVALID_REQUEST'],
    ['invalid UTF-8', '/v1/workflows/%C0%AF', 400, 'REEL_INVALID_REQUEST'],
    ['a path parameter over 1,024 characters', `/v1/workflows/${'x'.repeat(1100)}`, 414, 'REEL_URI_TOO_LONG'],
  ])('%s', async (_what, url, status, code) => {
    const res = await h.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ error: { code, message: expect.any(String) } });
  });

  describe('on a listening server', () => {
    let url: URL;
    beforeAll(async () => {
      url = new URL(await h.app.listen({ host: '127.0.0.1', port: 0 }));
    });

    /** Sends raw bytes and returns the status and the JSON body of the answer. */
    const raw = (bytes: string) =>
      new Promise<{ status: number; body: unknown }>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname, () => socket.end(bytes));
        let text = '';
        socket.on('data', (chunk) => (text += chunk));
        socket.on('error', reject);
        socket.on('close', () => {
          const [head, body] = text.split('\r\n\r\n');
          resolve({ status: Number(head?.split(' ')[1]), body: JSON.parse(body ?? '') });
        });
      });

    it.each([
      ['a malformed request', 'NOT HTTP AT ALL\r\n\r\n', 400, 'REEL_INVALID_REQUEST'],
      [
        'a URL over 16 KiB',
        `GET /v1/workflows?type=${'x'.repeat(17_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        431,
        'REEL_HEADERS_TOO_LARGE',
      ],
    ])('%s', async (_what, bytes, status, code) => {
      const res = await raw(bytes);
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
    });
  });
});
