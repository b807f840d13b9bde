// Calls to the server's public /v1 API, with the API key kept for this browser tab.

import htm from 'htm';
import { h, render } from 'preact';

export const html = htm.bind(h);
export { render };

const KEY = 'reel.apiKey';

/** The API key given in this tab, or ''. */
export const apiKey = () => sessionStorage.getItem(KEY) ?? '';

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

/** An error answer of the API: its code and message, as the server wrote them. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls the API at `path` (relative to the page's base, so any mount prefix applies). */
export async function api(method, path, body) {
  const headers = {};
  const key = apiKey();
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const error = json?.error;
    throw new ApiError(res.status, error?.code, error?.message ?? `${res.status} ${res.statusText}`);
  }
  return json;
}

/** A query string of the defined, non-empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, String(v));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const enc = encodeURIComponent;

/** The page's route: the hash, as `#/workflows/<id>`. */
export const link = (...parts) => `#/${parts.map(enc).join('/')}`;

/** Local time, to the second. */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { hour12: false });
}

export const pretty = (value) => (value === undefined ? '' : JSON.stringify(value, null, 2));

/** Whether the run is open: running or parked. */
export const isOpen = (run) => run.status === 'running' || run.status === 'parked';

/** Whether the scopes allow an action that needs `scope`; admin implies every scope. */
export const can = (scopes, scope) => scopes.includes('admin') || scopes.includes(scope);
