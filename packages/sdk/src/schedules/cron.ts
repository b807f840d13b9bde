import { Cron } from 'croner';
import { ErrorCodes, ReelError } from '../errors.ts';

/** How many runs a schedule remembers in `recentRuns`. */
export const RECENT_RUNS = 10;

/**
 * Checks a cron expression and an IANA time zone; throws `REEL_INVALID_SCHEDULE` saying what is wrong.
 * Accepts 5 fields (minute precision), 6 (seconds first) or 7 (a year last), and nicknames such as
 * `@daily`.
 */
export function checkCron(cron: unknown, timezone: unknown, now: Date): Date {
  if (typeof timezone !== 'string' || !isTimeZone(timezone)) {
    throw invalid(
      `Unknown time zone ${JSON.stringify(timezone)}. Use an IANA name such as 'UTC', 'Europe/Paris' or 'America/New_York'.`,
    );
  }
  if (typeof cron !== 'string') throw invalid(`A cron expression is a string, not ${JSON.stringify(cron)}.`);
  let next: Date | null;
  try {
    next = pattern(cron, timezone).nextRun(now);
  } catch (err) {
    throw invalid(
      `Invalid cron expression ${JSON.stringify(cron)}: ${(err as Error).message}. Use 5 fields ('0 9 * * *': 09:00 daily), 6 with seconds first ('*/10 * * * * *'), or a nickname such as '@hourly'.`,
    );
  }
  if (next === null)
    throw invalid(`The cron expression ${JSON.stringify(cron)} never matches a future time.`);
  return next;
}

/**
 * The first time strictly after `after` that `cron` matches in `timezone`, or `null` if none.
 * Daylight-saving changes follow Vixie cron (through croner): a fixed time that falls in the
 * spring-forward gap runs just after it, one that occurs twice in the fall-back hour runs once.
 */
export function nextFireTime(cron: string, timezone: string, after: Date): Date | null {
  return pattern(cron, timezone).nextRun(after);
}

function pattern(cron: string, timezone: string): Cron {
  return new Cron(cron, { timezone, paused: true });
}

function isTimeZone(name: string): boolean {
  if (name.length === 0) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function invalid(message: string): ReelError {
  return new ReelError(ErrorCodes.INVALID_SCHEDULE, message);
}
