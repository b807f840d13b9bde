import { ErrorCodes, ReelError } from './errors.ts';

/** Milliseconds, or a string such as `'90s'`, `'15 minutes'`, `'3 days'`, `'1h 30m'`. */
export type Duration = number | string;

const UNITS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
};

/**
 * The longest duration Reel accepts: 100 years. Far beyond any real timeout, sleep or delay, while
 * "now" plus 100 times it (a default retry `maxInterval` is 100 times the initial one) stays well
 * inside what a JavaScript Date (year 275760) and a Postgres timestamptz (year 294276) can hold.
 */
export const MAX_DURATION_MS = 100 * 365.25 * 86_400_000;

const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/gy;

/**
 * Parses a `Duration` into milliseconds; throws `REEL_INVALID_DURATION` with the accepted forms, or
 * for a duration over `MAX_DURATION_MS`.
 */
export function toMs(duration: Duration, what = 'duration'): number {
  const ms = parse(duration);
  if (ms === undefined) {
    throw new ReelError(
      ErrorCodes.INVALID_DURATION,
      `Invalid ${what}: ${JSON.stringify(duration)}. Use milliseconds (a number >= 0) or a string such as '90s', '15 minutes', '3 days' or '1h 30m'.`,
    );
  }
  if (ms > MAX_DURATION_MS) {
    throw new ReelError(
      ErrorCodes.INVALID_DURATION,
      `Invalid ${what}: ${JSON.stringify(duration)} is longer than the maximum of 100 years (${MAX_DURATION_MS} ms).`,
    );
  }
  return ms;
}

function parse(duration: Duration): number | undefined {
  if (typeof duration === 'number') {
    if (Number.isFinite(duration) && duration >= 0) return duration;
  } else if (typeof duration === 'string') {
    const text = duration.trim().toLowerCase();
    let total = 0;
    let end = 0;
    PART.lastIndex = 0;
    for (let m = PART.exec(text); m; m = PART.exec(text)) {
      const unit = UNITS[m[2] as string] ?? UNITS[(m[2] as string).replace(/s$/, '')];
      if (unit === undefined) break;
      total += Number(m[1]) * unit;
      end = PART.lastIndex;
      while (text[PART.lastIndex] === ' ') PART.lastIndex++;
    }
    if (end > 0 && end === text.length) return Math.round(total);
  }
  return undefined;
}
