import type { BatchFilter, Json, WorkflowStatus } from '@reel/sdk';
import { json, type Parsed, str, UsageError } from './args.ts';

/** The flags of a list filter, shared by `reel workflow list` and `reel batch`. */
export const FILTER_OPTIONS = {
  status: { type: 'string' },
  type: { type: 'string' },
  attributes: { type: 'string' },
  'created-after': { type: 'string' },
  'created-before': { type: 'string' },
  latest: { type: 'boolean' },
} as const;

/**
 * The list filter the flags give: `--status a,b`, `--type`, `--attributes JSON`,
 * `--created-after/-before`, `--latest`.
 */
export function filterOf(parsed: Parsed): BatchFilter {
  const filter: BatchFilter = {};
  const status = str(parsed, 'status');
  if (status !== undefined) filter.status = status.split(',') as WorkflowStatus[];
  const type = str(parsed, 'type');
  if (type !== undefined) filter.type = type;
  const attributes = attributesOf(parsed);
  if (attributes !== undefined) filter.attributes = attributes;
  for (const [flag, key] of [
    ['created-after', 'createdAfter'],
    ['created-before', 'createdBefore'],
  ] as const) {
    const text = str(parsed, flag);
    if (text === undefined) continue;
    const at = new Date(text);
    if (Number.isNaN(at.getTime()))
      throw new UsageError(
        `--${flag} must be a date, e.g. 2026-11-30T08:00:00Z, not ${JSON.stringify(text)}.`,
      );
    filter[key] = at;
  }
  if (parsed.values.latest === true) filter.latest = true;
  return filter;
}

/** `--attributes JSON`: a run's attributes (`workflow start`) or what they must contain (filters). */
export function attributesOf(parsed: Parsed): Record<string, Json> | undefined {
  const attributes = json(parsed, 'attributes');
  if (attributes === undefined) return undefined;
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes))
    throw new UsageError(`--attributes must be a JSON object, e.g. --attributes '{"tenant":"acme"}'.`);
  return attributes as Record<string, Json>;
}
