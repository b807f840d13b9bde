import type { Duration, Json, WorkflowContext } from '@reel/sdk';
import { httpRequest, sendMessage } from './activities.ts';

/** An action: what a step of a flow does, given its parameters (rendered, see render below). */
export type Action = (ctx: WorkflowContext, params: Record<string, Json>) => Promise<Json>;

/**
 * The registry: every action a flow may name. An action is workflow code, so it talks to the world
 * only through `ctx`: an activity, or a durable sleep. Adding an action is a code change; adding
 * or editing a flow is not.
 */
export const registry: Record<string, Action> = {
  http_request: (ctx, p) =>
    ctx.activity(httpRequest, String(p.method ?? 'GET'), String(p.url), p.body ?? null),
  send_message: (ctx, p) => ctx.activity(sendMessage, String(p.to), String(p.text)),
  wait: async (ctx, p) => {
    await ctx.sleep(p.duration as Duration);
    return null;
  },
};

/**
 * Replaces every `{{path}}` in the strings of `value` with what `path` names in `scope`
 * (`{{input.userId}}`, `{{steps.user.body.name}}`). A string that is one placeholder keeps the
 * value's type. Pure: the same scope gives the same result on every replay.
 */
export function render(value: Json, scope: Json): Json {
  if (typeof value === 'string') {
    const whole = /^\{\{([^}]+)\}\}$/.exec(value);
    if (whole) return lookup(scope, whole[1] as string);
    return value.replace(/\{\{([^}]+)\}\}/g, (_, path: string) => String(lookup(scope, path)));
  }
  if (Array.isArray(value)) return value.map((v) => render(v, scope));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, scope)]));
  }
  return value;
}

function lookup(scope: Json, path: string): Json {
  let at: Json | undefined = scope;
  for (const key of path.trim().split('.')) {
    at = at !== null && typeof at === 'object' && !Array.isArray(at) ? at[key] : undefined;
  }
  if (at === undefined) throw new Error(`'{{${path}}}' names nothing: check the step ids and the input.`);
  return at;
}
