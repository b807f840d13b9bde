import { type Identifier, Node, type PropertyAccessExpression } from 'ts-morph';
import type { RuleId } from './rules.ts';
import { importOrigin, isGlobalOr, isValueReference } from './symbols.ts';

/** A rule broken by one expression, before suppressions and locations are worked out. */
export interface Hit {
  rule: RuleId;
  node: Node;
  message: string;
}

/** Modules whose every export does I/O (or starts processes) and so cannot run in workflow code. */
export const IO_MODULES: readonly string[] = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'http2',
  'child_process',
  'dgram',
  'dns',
  'dns/promises',
  'tls',
].flatMap((m) => [m, `node:${m}`]);

const CRYPTO = ['crypto', 'node:crypto'];
const PROCESS = ['process', 'node:process'];
const PERF_HOOKS = ['perf_hooks', 'node:perf_hooks'];
const TIMERS = ['timers', 'node:timers', 'timers/promises', 'node:timers/promises'];
const TIMER_NAMES = new Set(['setTimeout', 'setInterval', 'setImmediate']);

/** The rule an expression in workflow code breaks, if any (module-state writes are checked separately). */
export function checkExpression(node: Node): Hit | undefined {
  if (Node.isPropertyAccessExpression(node)) return checkMember(node);
  if (Node.isNewExpression(node) || Node.isCallExpression(node)) {
    const callee = node.getExpression();
    if (Node.isIdentifier(callee) && callee.getText() === 'Date' && isGlobalOr(callee)) {
      if (node.getArguments().length > 0) return undefined;
      const what = Node.isNewExpression(node) ? 'new Date()' : 'Date()';
      return {
        rule: 'no-new-date',
        node,
        message: `${what} reads the wall clock, which differs on replay; use ctx.now().`,
      };
    }
    return undefined;
  }
  if (Node.isIdentifier(node) && isValueReference(node)) return checkIdentifier(node);
  return undefined;
}

function checkMember(node: PropertyAccessExpression): Hit | undefined {
  const object = node.getExpression();
  if (!Node.isIdentifier(object)) return undefined;
  const owner = object.getText();
  const name = node.getName();
  const hit = (rule: RuleId, message: string): Hit => ({ rule, node, message });
  if (owner === 'Date' && name === 'now' && isGlobalOr(object)) {
    return hit('no-date-now', 'Date.now() reads the wall clock, which differs on replay; use ctx.now().');
  }
  if (owner === 'Math' && name === 'random' && isGlobalOr(object)) {
    return hit('no-math-random', 'Math.random() returns new values on replay; use ctx.random().');
  }
  if (owner === 'performance' && name === 'now' && isGlobalOr(object, PERF_HOOKS)) {
    return hit(
      'no-performance-now',
      'performance.now() reads a clock; use ctx.now(), or measure inside an activity.',
    );
  }
  if (name === 'randomUUID' && isCryptoObject(object)) {
    return hit('no-random-uuid', `${owner}.randomUUID() returns a new id on replay; use ctx.uuid().`);
  }
  if (owner === 'process' && name === 'env' && isGlobalOr(object, PROCESS)) {
    return hit(
      'no-process-env',
      'process.env may differ on the worker that replays this code; pass the value in the workflow input or read it in an activity.',
    );
  }
  if (owner === 'globalThis' && (TIMER_NAMES.has(name) || name === 'fetch')) {
    return name === 'fetch' ? fetchHit(node) : timerHit(node, name);
  }
  return undefined;
}

function isCryptoObject(object: Identifier): boolean {
  const origin = importOrigin(object);
  if (origin) return CRYPTO.includes(origin.module);
  return object.getText() === 'crypto' && isGlobalOr(object);
}

function checkIdentifier(id: Identifier): Hit | undefined {
  const name = id.getText();
  if (TIMER_NAMES.has(name) && isGlobalOr(id, TIMERS)) return timerHit(id, name);
  if (name === 'fetch' && isGlobalOr(id)) return fetchHit(id);
  const origin = importOrigin(id);
  if (!origin) return undefined;
  if (TIMERS.includes(origin.module) && TIMER_NAMES.has(origin.name)) {
    return timerHit(id, name === origin.name ? name : `${name} (${origin.name} from '${origin.module}')`);
  }
  if (CRYPTO.includes(origin.module) && origin.name === 'randomUUID') {
    return {
      rule: 'no-random-uuid',
      node: id,
      message: `${name}() returns a new id on replay; use ctx.uuid().`,
    };
  }
  if (PROCESS.includes(origin.module) && origin.name === 'env') {
    return {
      rule: 'no-process-env',
      node: id,
      message: `'${name}' is process.env, which may differ on the worker that replays this code; pass the value in the workflow input.`,
    };
  }
  if (IO_MODULES.includes(origin.module)) {
    return {
      rule: 'no-io-import',
      node: id,
      message: `'${name}' from '${origin.module}' does I/O in workflow code; move it into an activity.`,
    };
  }
  return undefined;
}

function timerHit(node: Node, name: string): Hit {
  return {
    rule: 'no-timers',
    node,
    message: `${name} starts a real timer that history does not record; use ctx.sleep().`,
  };
}

function fetchHit(node: Node): Hit {
  return {
    rule: 'no-fetch',
    node,
    message: 'fetch() does network I/O in workflow code; call it from an activity with ctx.activity().',
  };
}
