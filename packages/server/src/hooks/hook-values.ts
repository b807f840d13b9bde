import type { HookRequest, HookValue } from './hook-options.ts';

/** The value `source` names in `request`: a JSON pointer into the body, a header, or a function's result. */
export function readValue(source: HookValue, request: HookRequest): unknown {
  if (typeof source === 'function') return source(request);
  if (typeof source === 'object') {
    const value = request.headers[source.header.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  }
  return pointer(request.body, source);
}

/** RFC 6901: `''` is the whole document; each `/token` steps into a member or an array index. */
function pointer(document: unknown, path: string): unknown {
  let at = document;
  for (const raw of path.split('/').slice(1)) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, token)) return undefined;
    at = (at as Record<string, unknown>)[token];
  }
  return at;
}

/** How a source is written in messages. */
export function describeValue(source: HookValue): string {
  if (typeof source === 'function') return 'the function';
  if (typeof source === 'object') return `header ${source.header}`;
  return `JSON pointer '${source}'`;
}
