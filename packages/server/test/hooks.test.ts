import { createHmac } from 'node:crypto';
import { useTestDatabase } from '@reel/testing/vitest';
import { describe, expect, it } from 'vitest';
import { checkHooks, type HookOptions } from '../src/hooks/hook-options.ts';
import { readValue } from '../src/hooks/hook-values.ts';
import { codeOf, useHarness } from './helpers.ts';

const db = useTestDatabase();
const GITHUB_SECRET = 'github-webhook-secret';
const STRIPE_SECRET = 'whsec_stripe-webhook-secret';

/** The body of the `notices` hook's deliveries, checked by `parseNotice`. */
interface Notice {
  stream: string;
  n: number;
}
function parseNotice(body: unknown): Notice {
  const { stream, n } = (body ?? {}) as Partial<Notice>;
  if (typeof stream !== 'string' || typeof n !== 'number')
    throw new Error('a notice is { stream: string, n: number }');
  return { stream, n };
}
const notices: HookOptions<Notice> = {
  // Signals only: no workflow type to start.
  signature: { secret: GITHUB_SECRET, header: 'X-Signature' },
  body: parseNotice,
  deliveryId: { header: 'X-Delivery' },
  // Typed by parseNotice: no cast.
  workflowId: (request) => `notices-${request.body.stream}`,
  signal: { name: 'tick', payload: (request) => request.body.n, start: false },
};
// @ts-expect-error A typed body needs its check: HookOptions<Notice> without `body` does not compile.
({ ...notices, body: undefined }) satisfies HookOptions<Notice>;

const hooks: Record<string, HookOptions> = {
  // GitHub: X-Hub-Signature-256: sha256=<hex of the body>, delivery id in X-GitHub-Delivery.
  github: {
    workflowType: 'greeting',
    signature: { secret: GITHUB_SECRET, header: 'X-Hub-Signature-256', prefix: 'sha256=' },
    deliveryId: { header: 'X-GitHub-Delivery' },
    input: '/sender',
  },
  // Stripe: Stripe-Signature: t=<seconds>,v1=<hex of "t.body">; the event id is in the body.
  stripe: {
    workflowType: 'quick',
    signature: { secret: STRIPE_SECRET, header: 'Stripe-Signature', scheme: 'stripe', toleranceSeconds: 300 },
    deliveryId: '/id',
    workflowId: (request) =>
      `invoice-${(request.body as { data: { object: { id: string } } }).data.object.id}`,
    input: '/data/object/amount',
  },
  // Signal-with-start: every delivery signals one long-lived run, once per delivery id.
  events: {
    workflowType: 'waiting',
    signature: { secret: GITHUB_SECRET, header: 'X-Signature', encoding: 'base64' },
    deliveryId: { header: 'X-Delivery' },
    workflowId: '/stream',
    signal: { name: 'tick', payload: '/n' },
  },
  notices,
};
const h = useHarness(db, { apiKeys: [{ key: 'admin-key-0123', scopes: ['admin'] }], hooks });

const hmac = (secret: string, text: string, encoding: 'hex' | 'base64' = 'hex') =>
  createHmac('sha256', secret).update(text).digest(encoding);

function github(body: unknown, delivery: string, secret = GITHUB_SECRET) {
  const payload = JSON.stringify(body);
  return h.app.inject({
    method: 'POST',
    url: '/v1/hooks/github',
    headers: {
      'content-type': 'application/json',
      'x-github-delivery': delivery,
      'x-hub-signature-256': `sha256=${hmac(secret, payload)}`,
    },
    payload,
  });
}

function stripe(body: unknown, signedAt = Math.floor(Date.now() / 1000), secret = STRIPE_SECRET) {
  const payload = JSON.stringify(body);
  return h.app.inject({
    method: 'POST',
    url: '/v1/hooks/stripe',
    headers: {
      'content-type': 'application/json',
      'stripe-signature': `t=${signedAt},v1=${'0'.repeat(64)},v1=${hmac(secret, `${signedAt}.${payload}`)}`,
    },
    payload,
  });
}

function deliver(delivery: string, n: number) {
  const payload = JSON.stringify({ stream: 'stream-1', n });
  return h.app.inject({
    method: 'POST',
    url: '/v1/hooks/events',
    headers: {
      'content-type': 'application/json',
      'x-delivery': delivery,
      'x-signature': hmac(GITHUB_SECRET, payload, 'base64'),
    },
    payload,
  });
}

const exists = (id: string) =>
  h.client
    .getHandle(id)
    .describe()
    .then(
      () => true,
      (err) => (err.code === 'REEL_WORKFLOW_NOT_FOUND' ? false : Promise.reject(err)),
    );

describe('webhook triggers', () => {
  it('starts the workflow from a GitHub-style delivery, input from a JSON pointer, with no API key', async () => {
    const res = await github({ action: 'opened', sender: { name: 'Ada' } }, 'delivery-1');
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ workflowId: 'github-delivery-1', created: true, duplicate: false });
    await h.client.signal('github-delivery-1', 'approve', { by: 'Grace' });
    expect(await h.client.getHandle('github-delivery-1').result()).toEqual({
      text: 'Hello, Ada!',
      approvedBy: 'Grace',
    });
  });

  it('starts one run for a delivery sent several times, at once and later', async () => {
    const body = { sender: { name: 'Lin' } };
    const answers = await Promise.all(Array.from({ length: 5 }, () => github(body, 'delivery-dup')));
    const later = await github(body, 'delivery-dup');
    const runs = [...answers, later].map((res) => res.json());
    expect(runs.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(1);
    expect(later.statusCode).toBe(200);
    expect(later.json()).toMatchObject({ duplicate: true });
  });

  it('starts nothing for a bad signature, a missing one, or a body changed after signing (401)', async () => {
    const body = { sender: { name: 'Mallory' } };
    const wrongSecret = await github(body, 'forged-1', 'not-the-secret');
    const missing = await h.app.inject({
      method: 'POST',
      url: '/v1/hooks/github',
      headers: { 'content-type': 'application/json', 'x-github-delivery': 'forged-2' },
      payload: JSON.stringify(body),
    });
    const changed = await h.app.inject({
      method: 'POST',
      url: '/v1/hooks/github',
      headers: {
        'content-type': 'application/json',
        'x-github-delivery': 'forged-3',
        'x-hub-signature-256': `sha256=${hmac(GITHUB_SECRET, JSON.stringify(body))}`,
      },
      // The same JSON value, spaced differently: the signature is over the bytes.
      payload: JSON.stringify(body, null, 2),
    });
    for (const [res, message] of [
      [wrongSecret, /does not match the body/],
      [missing, /has no X-Hub-Signature-256 header/],
      [changed, /does not match the body/],
    ] as const) {
      expect(res.statusCode).toBe(401);
      expect(codeOf(res)).toBe('REEL_WEBHOOK_SIGNATURE_INVALID');
      expect(res.json().error.message).toMatch(message);
    }
    for (const id of ['forged-1', 'forged-2', 'forged-3'])
      expect(await exists(`github-${id}`), id).toBe(false);
  });

  it('accepts a Stripe-style signature, and refuses a stale one (a replay) without starting anything', async () => {
    const event = (id: string, invoice: string) => ({ id, data: { object: { id: invoice, amount: 2 } } });
    const fresh = await stripe(event('evt_1', 'in_1'));
    expect(fresh.statusCode).toBe(201);
    expect(await h.client.getHandle('invoice-in_1').result()).toBe('Hello, #2!'); // the amount, through quick
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    const stale = await stripe(event('evt_2', 'in_2'), tenMinutesAgo);
    expect(stale.statusCode).toBe(401);
    expect(codeOf(stale)).toBe('REEL_WEBHOOK_SIGNATURE_INVALID');
    expect(stale.json().error.message).toMatch(/more than 300 s from now/);
    expect(await exists('invoice-in_2')).toBe(false);
    expect((await stripe(event('evt_3', 'in_3'), undefined, 'whsec_other')).statusCode).toBe(401);
    expect(await exists('invoice-in_3')).toBe(false);
  });

  it('signals one run per delivery id with signal-with-start, a redelivery signalling nothing', async () => {
    const first = await Promise.all([deliver('a', 1), deliver('a', 1), deliver('a', 1)]);
    expect(first.map((res) => res.statusCode).sort()).toEqual([200, 200, 202]);
    expect((await deliver('a', 1)).json()).toMatchObject({ duplicate: true });
    expect((await deliver('b', 2)).statusCode).toBe(202);
    // Signals are recorded in order of arrival: once b's is in history, any duplicate of a would be too.
    let ticks: unknown[] = [];
    await expect
      .poll(async () => {
        const { events } = await h.client.history('stream-1');
        ticks = events.flatMap((e) => (e.type === 'signal_received' && e.name === 'tick' ? [e.payload] : []));
        return ticks.includes(2);
      })
      .toBe(true);
    expect(ticks).toEqual([1, 2]);
  });

  it('takes a delivery over when its handler died before finishing, not while it may still be at work', async () => {
    const pool = (h.client.store as unknown as { pool: import('pg').Pool }).pool;
    await pool.query(
      `insert into reel.hook_deliveries (hook, delivery_id, claimed_at)
       values ('events', 'died', now() - interval '2 minutes'), ('events', 'busy', now())`,
    );
    expect((await deliver('died', 3)).statusCode).toBe(202);
    expect((await deliver('busy', 4)).json()).toMatchObject({ duplicate: true });
  });

  it('answers 404 for a hook that is not configured, and 400 for a delivery without its delivery id', async () => {
    const unknown = await h.app.inject({ method: 'POST', url: '/v1/hooks/nope', payload: {} });
    expect(unknown.statusCode).toBe(404);
    expect(codeOf(unknown)).toBe('REEL_WEBHOOK_NOT_FOUND');
    const payload = JSON.stringify({ data: { object: { id: 'in_9' } } });
    const t = Math.floor(Date.now() / 1000);
    const noId = await h.app.inject({
      method: 'POST',
      url: '/v1/hooks/stripe',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': `t=${t},v1=${hmac(STRIPE_SECRET, `${t}.${payload}`)}`,
      },
      payload,
    });
    expect(noId.statusCode).toBe(400);
    expect(noId.json().error.message).toMatch(/deliveryId from JSON pointer '\/id'/);
  });

  it('signals only with signal.start false, over HTTP: no run is 404 and unrecorded, so the retry after the start signals', async () => {
    const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const notice = async (delivery: string, body: unknown) => {
      const payload = JSON.stringify(body);
      const res = await fetch(`${url}/v1/hooks/notices`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-delivery': delivery,
          'x-signature': hmac(GITHUB_SECRET, payload),
        },
        body: payload,
      });
      return { status: res.status, body: (await res.json()) as { error: { message: string } } };
    };
    const early = await notice('n-1', { stream: 'orders', n: 1 });
    expect(early).toMatchObject({ status: 404, body: { error: { code: 'REEL_WORKFLOW_NOT_FOUND' } } });
    expect(early.body.error.message).toMatch(/only signals .*start the run, then send the delivery again/);
    expect(await exists('notices-orders')).toBe(false);

    const { runId } = await h.client.start('waiting', undefined, { id: 'notices-orders' });
    expect(await notice('n-1', { stream: 'orders', n: 1 })).toMatchObject({
      status: 202,
      body: { workflowId: 'notices-orders', created: false, duplicate: false },
    });
    expect(await notice('n-1', { stream: 'orders', n: 1 })).toMatchObject({
      status: 200,
      body: { duplicate: true },
    });
    await expect
      .poll(async () =>
        (await h.client.history('notices-orders')).events.filter((e) => e.type === 'signal_received'),
      )
      .toEqual([expect.objectContaining({ name: 'tick', payload: 1 })]);

    await h.client.terminate('notices-orders', 'done');
    const late = await notice('n-2', { stream: 'orders', n: 2 });
    expect(late).toMatchObject({ status: 409, body: { error: { code: 'REEL_WORKFLOW_CLOSED' } } });
    const malformed = await notice('n-3', { stream: 'orders', n: 'three' });
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'REEL_INVALID_REQUEST' } } });
    expect(malformed.body.error.message).toContain('a notice is { stream: string, n: number }');
    expect((await h.client.runs('notices-orders')).map((r) => r.runId)).toEqual([runId]); // nothing started
  });

  it('reads values by RFC 6901 JSON pointer, header or function', () => {
    const request = {
      body: { 'a/b': { 'c~d': [10, 20] }, n: 0 },
      headers: { 'x-id': 'h-1' },
      rawBody: Buffer.from(''),
    };
    expect(readValue('/a~1b/c~0d/1', request)).toBe(20);
    expect(readValue('/n', request)).toBe(0);
    expect(readValue('/missing/deeper', request)).toBeUndefined();
    expect(readValue('', request)).toBe(request.body);
    expect(readValue({ header: 'X-Id' }, request)).toBe('h-1');
    expect(readValue((r) => (r.body as { n: number }).n + 1, request)).toBe(1);
  });

  it('refuses hook options that could not work, when the server is built', () => {
    const base = hooks.github as HookOptions;
    const bad: Record<string, unknown>[] = [
      { ...base, signature: undefined },
      { ...base, signature: { ...base.signature, secret: '' } },
      { ...base, signature: { ...base.signature, scheme: 'md5' } },
      { ...base, deliveryId: 'id' },
      { ...base, workflowType: '' },
      { ...base, workflowType: undefined }, // a hook that starts names what it starts
      { ...notices, workflowType: '' },
      { ...base, signal: { name: 'tick' } },
      { ...base, body: 'not a function' },
      { ...notices, workflowType: 'waiting', signal: { name: 'tick', start: 'no' } },
      { ...notices, input: '/n' }, // a hook that never starts takes no input
    ];
    for (const options of bad) {
      expect(() => checkHooks({ bad: options as unknown as HookOptions }), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'REEL_INVALID_ARGUMENT' }),
      );
    }
    expect(() => checkHooks({ 'bad name!': base })).toThrow(/hook name/);
  });
});
