import type { Logger } from '@reel/sdk';

/** The levels a `Logger` writes at, quietest last. */
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];

/** One line a `recordingLogger` kept: its level, message, and fields (with its children's bindings). */
export interface LogRecord {
  level: LogLevel;
  msg: string;
  fields: Record<string, unknown>;
}

/** A `Logger` that keeps its lines in memory instead of printing them. */
export interface RecordingLogger extends Logger {
  /** Every line kept, its children's included, in order. */
  readonly records: LogRecord[];
  /** The messages kept at `level` or above (default: all). */
  messages(level?: LogLevel): string[];
  /** Resolves with the first line whose message matches `pattern`: one kept already, or the next. */
  waitFor(pattern: RegExp | string): Promise<LogRecord>;
}

/**
 * A logger for tests: prints nothing and keeps every line at `level` (default `debug`) or above, so
 * a test can assert what was logged, or wait for a line. Pass it as `logger` to `Worker.create`,
 * `new Client` or `createTestEnv`; `onRecord` also hears of each line as it comes.
 * @example
 * const logger = recordingLogger();
 * const worker = await Worker.create({ connectionString, workflows, logger });
 * await logger.waitFor(/run parked/);
 * expect(logger.messages('warn')).toEqual([]);
 */
export function recordingLogger(
  options: { level?: LogLevel; onRecord?: (record: LogRecord) => void } = {},
): RecordingLogger {
  const min = LEVELS.indexOf(options.level ?? 'debug');
  const records: LogRecord[] = [];
  const waiters: { test(msg: string): boolean; resolve(record: LogRecord): void }[] = [];
  const matcher = (pattern: RegExp | string) => (msg: string) =>
    typeof pattern === 'string' ? msg.includes(pattern) : pattern.test(msg);

  const make = (bindings: Record<string, unknown>): Logger => {
    const at =
      (level: LogLevel) =>
      (fields: Record<string, unknown>, msg: string): void => {
        if (LEVELS.indexOf(level) < min) return;
        const record = { level, msg, fields: { ...bindings, ...fields } };
        records.push(record);
        options.onRecord?.(record);
        for (const w of waiters.filter((w) => w.test(msg))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(record);
        }
      };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };

  return {
    ...make({}),
    records,
    messages: (level = 'debug') =>
      records.filter((r) => LEVELS.indexOf(r.level) >= LEVELS.indexOf(level)).map((r) => r.msg),
    waitFor(pattern) {
      const test = matcher(pattern);
      const kept = records.find((r) => test(r.msg));
      if (kept) return Promise.resolve(kept);
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
  };
}
