/**
 * Bench-only instrumentation: records every statement `pg` sends, with its duration and the pool it
 * came from, by wrapping `pg.Client.prototype.query` in this process. Reel's code is untouched.
 */
import pg from 'pg';
import * as statements from '../../../packages/sdk/src/store/postgres/queries.ts';

export interface LoggedQuery {
  pool: string;
  name: string;
  startMs: number;
  ms: number;
  /** Rows the statement returned or changed, once answered. */
  rows?: number;
}

const names = new Map<string, string>(
  Object.entries(statements).map(([name, text]) => [String(text), name] as [string, string]),
);

/** The statement's name in queries.ts, or its first words. */
function nameOf(text: string): string {
  return names.get(text) ?? text.replace(/\s+/g, ' ').trim().slice(0, 48);
}

const tags = new WeakMap<object, string>();
export const log: LoggedQuery[] = [];
let recording = false;
let prepare = false;

/**
 * Experiment: send Reel's named statements as prepared statements (parsed and planned once per
 * connection) instead of unnamed ones, to measure what that would save.
 */
export function prepareStatements(on: boolean): void {
  prepare = on;
}

/** A pool whose connections are tagged `tag` in the log. */
export function taggedPool(connectionString: string, tag: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 10 });
  pool.on('connect', (client) => tags.set(client, tag));
  pool.on('error', () => undefined);
  return pool;
}

export function record(on: boolean): void {
  recording = on;
}

type QueryFn = (this: pg.Client, ...args: unknown[]) => unknown;
const original = pg.Client.prototype.query as unknown as QueryFn;
(pg.Client.prototype as unknown as { query: QueryFn }).query = function (this: pg.Client, ...args) {
  const first = args[0] as string | { text?: string; submit?: unknown } | undefined;
  const text = typeof first === 'string' ? first : first?.text;
  const statement = typeof first === 'string' ? names.get(first) : undefined;
  if (prepare && statement && Array.isArray(args[1])) {
    args.splice(0, 2, { name: `reel_${statement.toLowerCase()}`, text: first, values: args[1] });
  }
  if (!recording || text === undefined) return original.apply(this, args);
  const entry: LoggedQuery = {
    pool: tags.get(this) ?? 'other',
    name: nameOf(text),
    startMs: performance.now(),
    ms: 0,
  };
  log.push(entry);
  const done = (res?: unknown) => {
    entry.ms = performance.now() - entry.startMs;
    entry.rows = (res as { rowCount?: number } | undefined)?.rowCount ?? undefined;
  };
  // pg.Pool passes a callback; direct callers get a promise.
  const last = args[args.length - 1];
  if (typeof last === 'function') {
    args[args.length - 1] = (...cb: unknown[]) => {
      done(cb[1]);
      return (last as (...a: unknown[]) => unknown)(...cb);
    };
    return original.apply(this, args);
  }
  const result = original.apply(this, args);
  if (result instanceof Promise) result.then(done, () => done());
  return result;
};

/** What a process sent while recording: statements by name, and the claims that found nothing. */
export interface StatementCounts {
  byName: Record<string, number>;
  emptyClaims: number;
}

export function counts(): StatementCounts {
  const byName: Record<string, number> = {};
  let emptyClaims = 0;
  for (const q of log) {
    byName[q.name] = (byName[q.name] ?? 0) + 1;
    if (q.name === 'CLAIM' && q.rows === 0) emptyClaims++;
  }
  return { byName, emptyClaims };
}
