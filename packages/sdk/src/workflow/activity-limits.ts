import type { Json } from '../codec.ts';
import { type Duration, toMs } from '../duration.ts';
import { ErrorCodes, ReelError } from '../errors.ts';

// Activity flow control (docs/flow-control.md): concurrency limits, rate limits and priority, checked
// when an activity is defined, and the keys of one attempt computed from its arguments.

/**
 * A limit's key: a constant, which every activity naming it shares (a named limit: a whole task
 * queue, an external API), or a function of the activity's arguments, such as `(accountId) => accountId`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the arguments are the activity's own.
export type LimitKey = string | ((...args: any[]) => string);

/** At most `limit` attempts of `key` run at once, across all workers. */
export interface ActivityConcurrency {
  /** Default: the activity's name. */
  key?: LimitKey;
  limit: number;
}

/** At most `limit` attempts of `key` start per `per` (a token bucket of `limit` tokens), across all workers. */
export interface ActivityRateLimit {
  /** Default: the activity's name. */
  key?: LimitKey;
  limit: number;
  /** The period the limit counts over, such as `'1s'` or `'1 minute'`. */
  per: Duration;
}

/** The limits of one attempt, with its keys computed: what its task carries. */
export interface AttemptLimits {
  concurrency?: { key: string; limit: number };
  rateLimit?: { key: string; limit: number; perMs: number };
  /** Absent: the run's priority. */
  priority?: number;
}

/** The options this file checks, a part of `ActivityOptions`. */
export interface LimitOptions {
  concurrency?: ActivityConcurrency;
  rateLimit?: ActivityRateLimit;
  priority?: number;
  taskQueue?: string;
}

/**
 * The task queue of the attempts of activities that have a limit and no `taskQueue`. Every worker
 * serves it for the activities it registers; no `taskQueue` can be named so, as names are non-empty.
 */
export const LIMITED_QUEUE = '';

const MAX_KEY = 256;

const invalid = (message: string) => new ReelError(ErrorCodes.INVALID_ARGUMENT, message);

const validKey = (key: unknown): key is string =>
  typeof key === 'string' && key.length > 0 && key.length <= MAX_KEY && !key.includes('\u0000');

/** A flow-control key: a non-empty string of at most 256 characters, without NUL. */
export function checkKey(key: unknown, what: string): string {
  if (!validKey(key)) {
    throw invalid(
      `${what} must be a non-empty string of at most ${MAX_KEY} characters, not ${JSON.stringify(key)}.`,
    );
  }
  return key;
}

/** `priority`: an integer from 0 (the default) to 10. */
export function checkPriority(priority: unknown): number | undefined {
  if (priority === undefined) return undefined;
  if (!Number.isInteger(priority) || (priority as number) < 0 || (priority as number) > 10) {
    throw invalid(`priority must be an integer from 0 to 10, not ${JSON.stringify(priority)}.`);
  }
  return priority as number;
}

/** The queue an activity's attempts go through: its `taskQueue`, or `LIMITED_QUEUE` if it has a limit. */
export function attemptQueue(options: LimitOptions): string | undefined {
  return options.taskQueue ?? (options.concurrency || options.rateLimit ? LIMITED_QUEUE : undefined);
}

/** Checks the limit options of `defineActivity`, so that a mistake fails at definition. */
export function checkLimitOptions(options: LimitOptions): void {
  const { concurrency, rateLimit, priority } = options;
  for (const [what, limit] of [
    ['concurrency', concurrency],
    ['rateLimit', rateLimit],
  ] as const) {
    if (limit === undefined) continue;
    if (typeof limit !== 'object' || limit === null)
      throw invalid(`${what} must be an object such as { limit: 5 }, not ${JSON.stringify(limit)}.`);
    if (!Number.isSafeInteger(limit.limit) || limit.limit < 1)
      throw invalid(`${what}.limit must be a positive integer, not ${JSON.stringify(limit.limit)}.`);
    if (typeof limit.key !== 'function' && limit.key !== undefined) checkKey(limit.key, `${what}.key`);
  }
  if (rateLimit) {
    const perMs = toMs(rateLimit.per, 'rateLimit.per');
    if (perMs < 1)
      throw invalid(
        `rateLimit.per must be at least 1 ms, such as '1s' or '1 minute', not ${JSON.stringify(rateLimit.per)}.`,
      );
  }
  checkPriority(priority);
  if (priority !== undefined && attemptQueue(options) === undefined)
    throw invalid(
      "priority orders the claims of queued attempts, and this activity runs at once on the workflow's worker: give it a taskQueue, concurrency or rateLimit, or leave priority out.",
    );
}

/**
 * The limits of an attempt of activity `name` with these arguments (as the activity receives them):
 * each key computed. Throws `REEL_INVALID_ARGUMENT` when a key function throws or returns no valid key.
 */
export function attemptLimits(name: string, options: LimitOptions, args: Json[]): AttemptLimits {
  const key = (what: string, k: LimitKey | undefined) => {
    if (typeof k !== 'function') return k ?? name;
    let computed: unknown;
    try {
      computed = k(...args);
    } catch (err) {
      throw invalid(
        `The ${what}.key function of activity '${name}' threw (${err instanceof Error ? err.message : String(err)}); make it return a string for every argument the activity gets.`,
      );
    }
    if (validKey(computed)) return computed;
    throw invalid(
      `The ${what}.key function of activity '${name}' returned ${JSON.stringify(computed) ?? String(computed)}; it must return a non-empty string of at most ${MAX_KEY} characters.`,
    );
  };
  const { concurrency, rateLimit, priority } = options;
  return {
    ...(concurrency
      ? { concurrency: { key: key('concurrency', concurrency.key), limit: concurrency.limit } }
      : {}),
    ...(rateLimit
      ? {
          rateLimit: {
            key: key('rateLimit', rateLimit.key),
            limit: rateLimit.limit,
            perMs: toMs(rateLimit.per, 'rateLimit.per'),
          },
        }
      : {}),
    ...(priority === undefined ? {} : { priority }),
  };
}
