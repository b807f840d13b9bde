import { ErrorCodes, ReelError } from './errors.ts';

/** A value Reel can store: JSON, with no lossy conversions. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * How deeply arrays and objects may nest in a value Reel stores. Real payloads nest a few levels;
 * JSON.stringify, Postgres's jsonb parser and every recursive walk of a value break somewhere in the
 * thousands of levels, depending on the stack left. 128 leaves room for the envelopes a value is
 * stored in, and is the limit common JSON parsers (serde_json) choose too.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Checks that `value` survives a JSON round trip unchanged and returns it.
 * Throws `REEL_NOT_SERIALIZABLE` naming the first offending path, because a Date that comes back
 * as a string or a Map that comes back as `{}` would silently change what replay sees, and for a
 * value nested deeper than `MAX_JSON_DEPTH`.
 */
export function assertJson(value: unknown, what: string): Json | undefined {
  if (isJson(value, 0)) return value as Json | undefined;
  const problem = findProblem(value, what, new Set(), 0);
  if (problem) {
    throw new ReelError(
      ErrorCodes.NOT_SERIALIZABLE,
      `${problem}. Reel stores inputs, arguments and results as JSON: pass plain objects, arrays, strings, finite numbers, booleans or null.`,
    );
  }
  return value as Json | undefined;
}

/**
 * The check of `findProblem` without its bookkeeping (paths, the set of ancestors), so that a value
 * that passes, as nearly every one does, costs no allocation: every workflow command's arguments
 * are checked, on replay too. A cycle fails here by depth; `findProblem` then names it.
 */
function isJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth === MAX_JSON_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++)
          if (value[i] === undefined || !isJson(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) if (!isJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

function findProblem(value: unknown, path: string, seen: Set<object>, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${value}, which JSON cannot hold`;
    case 'object': {
      if (value === null) return undefined;
      if (seen.has(value)) return `${path} refers back to itself (a cycle)`;
      // Checked before recursing, so the walk itself never runs out of stack.
      if (depth === MAX_JSON_DEPTH)
        return `${path} nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`;
      const proto = Object.getPrototypeOf(value);
      if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
        const kind = (value as object).constructor?.name ?? 'object';
        return `${path} is a ${kind}${kind === 'Date' ? ' (pass date.toISOString())' : ''}`;
      }
      seen.add(value);
      if (Array.isArray(value)) {
        // JSON turns holes and undefined elements into null: the replayed value would differ.
        for (let i = 0; i < value.length; i++) {
          if (value[i] === undefined)
            return `${path}[${i}] is undefined, which JSON stores as null (use null)`;
        }
      }
      const entries = Array.isArray(value)
        ? value.map((v, i) => [`[${i}]`, v] as const)
        : Object.entries(value).map(([k, v]) => [`.${k}`, v] as const);
      for (const [key, child] of entries) {
        const problem = findProblem(child, path + key, seen, depth + 1);
        if (problem) return problem;
      }
      seen.delete(value);
      return undefined;
    }
    default:
      return `${path} is a ${typeof value}`;
  }
}
