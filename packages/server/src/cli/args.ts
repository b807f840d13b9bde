import { type ParseArgsConfig, parseArgs } from 'node:util';
import { toMs } from '@reel/sdk';

/** The codes `--json` errors carry besides Reel's own (docs/errors.md, "Codes of the CLI"). */
export const CliErrorCodes = { USAGE: 'REEL_USAGE', FAILED: 'REEL_FAILED' } as const;

/** A mistake in how the command was called: exit code 2, with a hint. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const COMMON: Options = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

/** Options of the commands that talk to a running server. */
export const REMOTE: Options = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
};

/** Options of the commands that talk to Postgres directly. */
export const DATABASE: Options = {
  'database-url': { type: 'string' },
  'wait-for-database': { type: 'string' },
};

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** `parseArgs`, strict, turning its errors into usage errors that name the command. */
export function parse(command: string, argv: string[], options: Options): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON, ...options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    throw new UsageError(
      `${(err as Error).message.replace(/\. To specify.*$/s, '')} (reel ${command} --help lists the options).`,
    );
  }
}

/** The positional at `index`, or a usage error naming it. */
export function positional(parsed: Parsed, index: number, name: string, command: string): string {
  const value = parsed.positionals[index];
  if (value === undefined) throw new UsageError(`reel ${command} needs <${name}>.`);
  return value;
}

/** A string option, or undefined. */
export function str(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A non-negative integer option (else `fallback`, e.g. from the environment), or undefined. */
export function int(parsed: Parsed, name: string, fallback?: string): number | undefined {
  const text = str(parsed, name) ?? (fallback || undefined);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw new UsageError(`--${name} must be a whole number, not ${JSON.stringify(text)}.`);
  return Number(text);
}

/** A duration option (`90s`, `2 minutes`, or milliseconds), in milliseconds, or undefined. */
export function duration(parsed: Parsed, name: string, value = str(parsed, name)): number | undefined {
  if (value === undefined) return undefined;
  try {
    return toMs(/^\d+$/.test(value) ? Number(value) : value, `--${name}`);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A JSON option (`--input '{"a":1}'`), or undefined; invalid JSON is a usage error. */
export function json(parsed: Parsed, name: string): unknown {
  const text = str(parsed, name);
  return text === undefined ? undefined : parseJson(text, `--${name}`, `--${name} '"text"'`);
}

/** `text` as JSON, or a usage error naming `what` and how to quote a string (`example`). */
export function parseJson(text: string, what: string, example: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} must be JSON (quote strings: ${example}): ${(err as Error).message}.`);
  }
}
