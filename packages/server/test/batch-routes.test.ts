import { useTestDatabase } from '@reel/testing/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../src/http-client.ts';
import { codeOf, useHarness } from './helpers.ts';

const db = useTestDatabase();
const h = useHarness(db, {
  apiKeys: [
    { key: 'admin-key', scopes: ['admin'] },
    { key: 'write-key', scopes: ['read', 'write'] },
  ],
});
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const post = (url: string, payload: object, key = 'write-key') =>
  h.app.inject({ method: 'POST', url, payload, headers: as(key) });
const get = (url: string) => h.app.inject({ url, headers: as('write-key') });

/** Starts `n` waiting runs tagged with `group`. */
async function waitingRuns(group: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${group}-${i}`);
  for (const id of ids) await h.client.start('waiting', undefined, { id, attributes: { group } });
  return ids;
}

let http: HttpClient;
beforeAll(async () => {
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  http = new HttpClient({ baseUrl: url, apiKey: 'admin-key' });
});

describe('POST /v1/batches/:operation', () => {
  it('counts without changing anything on a dry run', async () => {
    const ids = await waitingRuns('dry', 3);
    const res = await post('/v1/batches/cancel', { filter: { attributes: { group: 'dry' } }, dryRun: true });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ dryRun: true, matched: 3 });
    expect(await http.batches.count({ attributes: { group: 'dry' }, latest: true })).toBe(3); // open runs are latest
    for (const id of ids) expect((await h.client.describe(id)).status).toBe('running');
    expect(await h.client.batches.count({ attributes: { group: 'dry' }, status: 'cancelled' })).toBe(0);
  });

  it('answers 202 with the batch, runs it in the server, and GET follows its progress to the end', async () => {
    const ids = await waitingRuns('http-cancel', 5);
    const res = await post('/v1/batches/cancel', {
      filter: { type: 'waiting', attributes: { group: 'http-cancel' }, status: ['running'] },
      id: 'http-cancel',
      pageSize: 2,
      reason: 'recall',
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({
      id: 'http-cancel',
      operation: { kind: 'cancel', reason: 'recall' },
      pageSize: 2,
      matched: 5,
    });
    let batch = res.json();
    while (batch.status === 'running') batch = (await get('/v1/batches/http-cancel')).json();
    expect(batch).toMatchObject({ status: 'completed', done: 5, skipped: 0 });
    for (const id of ids) await expect(h.client.result(id, { timeout: '10s' })).rejects.toThrow(/recall/);
  });

  it('needs the admin scope to terminate, as for one run', async () => {
    const res = await post('/v1/batches/terminate', { filter: { attributes: { group: 'none' } } });
    expect(res.statusCode).toBe(403);
    expect(codeOf(res)).toBe('REEL_FORBIDDEN');
  });

  it('answers 400 for a bad page size or date, 404 for an unknown batch, 409 for an id taken by another batch', async () => {
    const bad = await post('/v1/batches/cancel', { filter: {}, pageSize: 1001 });
    expect([bad.statusCode, codeOf(bad)]).toEqual([400, 'REEL_INVALID_REQUEST']);
    const date = await post('/v1/batches/cancel', { filter: { createdAfter: 'yesterday' } });
    expect([date.statusCode, codeOf(date)]).toEqual([400, 'REEL_INVALID_ARGUMENT']);
    const missing = await get('/v1/batches/nobody');
    expect([missing.statusCode, codeOf(missing)]).toEqual([404, 'REEL_BATCH_NOT_FOUND']);
    await post('/v1/batches/cancel', { filter: { attributes: { group: 'none' } }, id: 'taken' });
    const taken = await post('/v1/batches/cancel', {
      filter: { attributes: { group: 'other' } },
      id: 'taken',
    });
    expect([taken.statusCode, codeOf(taken)]).toEqual([409, 'REEL_BATCH_EXISTS']);
  });

  it('stops a batch: an ended one is left as it is', async () => {
    await post('/v1/batches/cancel', { filter: { attributes: { group: 'none' } }, id: 'to-stop' });
    const stopped = await post('/v1/batches/to-stop/stop', {});
    expect(stopped.statusCode).toBe(200);
    expect(['completed', 'cancelled']).toContain(stopped.json().status);
  });
});

describe('HttpClient.batches', () => {
  it('terminates and signals by filter, following each batch to its end, with dates in the filter', async () => {
    const ids = await waitingRuns('http-client', 4);
    const filter = { attributes: { group: 'http-client' }, createdBefore: new Date(Date.now() + 60_000) };
    expect(await http.batches.count(filter)).toBe(4);
    const signalled = await http.batches.signal(filter, 'nudge', { n: 1 }, { pageSize: 3 });
    expect(signalled).toMatchObject({ status: 'completed', done: 4, filter });
    const terminated = await http.batches.terminate(filter, { reason: 'cleanup', id: 'http-terminate' });
    expect(terminated).toMatchObject({ status: 'completed', done: 4, operation: { kind: 'terminate' } });
    for (const id of ids) {
      const { events } = await h.client.history(id);
      expect(events.filter((e) => e.type === 'workflow_terminated')).toHaveLength(1);
    }
    expect(await http.batches.describe('http-terminate')).toEqual(terminated);
  });
});
