import { readFile } from 'node:fs/promises';
import { useTestDatabase } from '@reel/testing/vitest';
import type { InjectOptions } from 'fastify';
import { beforeAll, expect, it } from 'vitest';
import { parseApiKeys } from '../src/auth.ts';
import { useHarness } from './helpers.ts';

/**
 * Every OpenAPI route, hit with generated bad requests: wrong types, deep nesting, bad encodings,
 * huge strings, wrong content types, missing, wrong and read-only keys. The seed is fixed, so a
 * failure replays; no answer may be a 500, and every error must carry a documented code.
 */
const SEED = 20_261_130;
const CASES_PER_ROUTE = 60;

const db = useTestDatabase();
const apiKeys = parseApiKeys('fuzz-admin-key:admin;fuzz-read-key:read');
const h = useHarness(db, { apiKeys });

const catalogue = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Set([...catalogue.matchAll(/^#{2,3} (REEL_[A-Z_]+)$/gm)].map((m) => m[1]));
/** 5xx answers that are a documented state of the world, not a failure of the server. */
const EXPECTED_5XX = new Set(['REEL_NO_WORKER', 'REEL_QUERY_TIMEOUT', 'REEL_TIMEOUT']);

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** JSON text used as is: a value nested too deep for JSON.stringify itself. */
class Raw {
  constructor(readonly text: string) {}
}
const deep = (depth: number) => new Raw(`${'['.repeat(depth)}0${']'.repeat(depth)}`);
const toJson = (body: Record<string, unknown>) =>
  `{${Object.entries(body)
    .map(([k, v]) => `${JSON.stringify(k)}:${v instanceof Raw ? v.text : JSON.stringify(v)}`)
    .join(',')}}`;
const VALUES: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  1.5,
  '',
  'x',
  'running',
  '@hourly',
  'soon',
  '1e20',
  '1000000000 days',
  'x'.repeat(100_000),
  '\u0000',
  '\ud800',
  '💥',
  [],
  [1, 'two', null],
  {},
  { nested: { deeper: [1, 2, 3] } },
  deep(200),
  deep(5_000),
];
const SEGMENTS: readonly string[] = [
  'fuzz-run',
  'x',
  '%',
  '%C0%AF',
  '%FF%FE',
  '%00',
  '..',
  encodeURIComponent('💥'),
  'y'.repeat(300),
  'z'.repeat(2_000),
];
const QUERY_VALUES: readonly string[] = [
  '',
  '0',
  '-5',
  'abc',
  '1e20',
  'running,bogus',
  '%',
  'x'.repeat(5_000),
];
const AUTH: readonly (Record<string, string> | undefined)[] = [
  { authorization: 'Bearer fuzz-admin-key' },
  { authorization: 'Bearer fuzz-admin-key' },
  { authorization: 'Bearer fuzz-read-key' },
  { authorization: 'Bearer wrong-key' },
  { authorization: 'fuzz-admin-key' },
  undefined,
];

interface Route {
  method: string;
  path: string;
  query: string[];
  body: string[];
}

let routes: Route[] = [];
beforeAll(async () => {
  await h.client.start('waiting', undefined, { id: 'fuzz-run' });
  const spec = (await h.app.inject({ url: '/openapi.json', headers: AUTH[0] })).json() as {
    paths: Record<
      string,
      Record<string, { parameters?: { in: string; name: string }[]; requestBody?: unknown }>
    >;
  };
  routes = Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const schema = (op.requestBody as { content?: Record<string, { schema?: { properties?: object } }> })
        ?.content?.['application/json']?.schema;
      return {
        method: method.toUpperCase(),
        path,
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        body: Object.keys(schema?.properties ?? {}),
      };
    }),
  );
});

/** One generated request to `route`. */
function generate(route: Route): InjectOptions {
  const path = route.path.replace(/\{[^}]+\}/g, () => pick(SEGMENTS));
  const query = route.query
    .filter(() => random() < 0.5)
    .map((name) => `${name}=${random() < 0.8 ? encodeURIComponent(pick(QUERY_VALUES)) : pick(['%', '%ZZ'])}`);
  const headers: Record<string, string> = { ...pick(AUTH) };
  const options: InjectOptions = {
    method: route.method as 'GET',
    url: query.length ? `${path}?${query.join('&')}` : path,
    headers,
  };
  if (route.method === 'GET' || route.method === 'DELETE') return options;
  const body: Record<string, unknown> = {};
  for (const name of route.body) if (random() < 0.6) body[name] = pick(VALUES);
  if (random() < 0.15) body[pick(['imput', '__proto__', 'constructor'])] = 1;
  const kind = random();
  if (kind < 0.6) {
    headers['content-type'] = 'application/json';
    options.payload = toJson(body);
  } else if (kind < 0.7) {
    headers['content-type'] = 'application/json';
    options.payload = pick([
      '{"type":',
      '[',
      'null',
      '1',
      '"x"',
      '\u0000',
      `{"input":${'['.repeat(20_000)}]}`,
    ]);
  } else if (kind < 0.8) {
    headers['content-type'] = pick([
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
      'bogus',
    ]);
    options.payload = 'type=quick';
  } else if (kind < 0.9) {
    options.payload = toJson(body); // no content type
  } else {
    headers['content-type'] = 'application/json; charset=latin1';
    options.payload = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
  }
  return options;
}

it('answers every generated bad request without a 500, with a documented code', async () => {
  expect(routes.length).toBeGreaterThan(10);
  const problems: string[] = [];
  for (const route of routes) {
    for (let i = 0; i < CASES_PER_ROUTE; i++) {
      const request = generate(route);
      const res = await h.app.inject(request);
      const what = `${request.method} ${String(request.url).slice(0, 120)} → ${res.statusCode}`;
      if (res.statusCode < 400) continue;
      let code: unknown;
      try {
        code = (res.json() as { error?: { code?: unknown; message?: unknown } }).error?.code;
      } catch {
        problems.push(`${what}: the body is not JSON: ${res.body.slice(0, 120)}`);
        continue;
      }
      if (typeof code !== 'string' || !documented.has(code))
        problems.push(`${what}: undocumented code ${String(code)} in ${res.body.slice(0, 200)}`);
      else if (res.statusCode >= 500 && !EXPECTED_5XX.has(code))
        problems.push(`${what}: ${res.body.slice(0, 200)}`);
    }
  }
  expect(problems).toEqual([]);
}, 120_000);
