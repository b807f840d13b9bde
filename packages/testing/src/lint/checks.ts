import { type CallExpression, type Identifier, type NewExpression, Node } from 'ts-morph';
import { globalPath } from './global-path.ts';
import type { RuleId } from './rules.ts';
import { importOrigin, isValueReference } from './symbols.ts';

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

/** A global the rules know: the rule it breaks, how it is shown (`()` for a function), and why. */
interface Known {
  rule: RuleId;
  call: '()' | '';
  why: string;
}

const timer: Known = {
  rule: 'no-timers',
  call: '',
  why: 'starts a real timer that history does not record; use ctx.sleep().',
};

/** The globals workflow code must not use, by the path `globalPath` gives them. */
const KNOWN: ReadonlyMap<string, Known> = new Map([
  [
    'Date.now',
    { rule: 'no-date-now', call: '()', why: 'reads the wall clock, which differs on replay; use ctx.now().' },
  ],
  [
    'Math.random',
    { rule: 'no-math-random', call: '()', why: 'returns new values on replay; use ctx.random().' },
  ],
  [
    'crypto.randomUUID',
    { rule: 'no-random-uuid', call: '()', why: 'returns a new id on replay; use ctx.uuid().' },
  ],
  [
    'performance.now',
    {
      rule: 'no-performance-now',
      call: '()',
      why: 'reads a clock; use ctx.now(), or measure inside an activity.',
    },
  ],
  [
    'process.env',
    {
      rule: 'no-process-env',
      call: '',
      why: 'may differ on the worker that replays this code; pass the value in the workflow input or read it in an activity.',
    },
  ],
  ['setTimeout', timer],
  ['setInterval', timer],
  ['setImmediate', timer],
  [
    'fetch',
    {
      rule: 'no-fetch',
      call: '()',
      why: 'does network I/O in workflow code; call it from an activity with ctx.activity().',
    },
  ],
]);

/** The rule an expression in workflow code breaks, if any (module-state writes are checked separately). */
export function checkExpression(node: Node): Hit | undefined {
  if (Node.isNewExpression(node) || Node.isCallExpression(node)) return checkNewDate(node);
  const reference = Node.isIdentifier(node) && isValueReference(node);
  if (reference || Node.isPropertyAccessExpression(node) || Node.isElementAccessExpression(node)) {
    // `const r = Math.random` only names the global: each use of `r` is reported, where it runs.
    const holder = node.getParent();
    if (
      Node.isVariableDeclaration(holder) &&
      holder.getInitializer() === node &&
      Node.isIdentifier(holder.getNameNode())
    )
      return undefined;
    const path = globalPath(node);
    const known = path === undefined ? undefined : KNOWN.get(path);
    if (path !== undefined && known) {
      const text = node.getText();
      const shown = text === path ? `${path}${known.call}` : `${text}${known.call} (${path}${known.call})`;
      return { rule: known.rule, node, message: `${shown} ${known.why}` };
    }
  }
  return reference ? checkIoImport(node as Identifier) : undefined;
}

/** `new Date()` and `Date()` without arguments, also through an alias of `Date`. */
function checkNewDate(node: NewExpression | CallExpression): Hit | undefined {
  if (node.getArguments().length > 0 || globalPath(node.getExpression()) !== 'Date') return undefined;
  const what = Node.isNewExpression(node) ? 'new Date()' : 'Date()';
  const text = node.getText();
  return {
    rule: 'no-new-date',
    node,
    message: `${text === what ? what : `${text} (${what})`} reads the wall clock, which differs on replay; use ctx.now().`,
  };
}

function checkIoImport(id: Identifier): Hit | undefined {
  const origin = importOrigin(id);
  if (!origin || !IO_MODULES.includes(origin.module)) return undefined;
  return {
    rule: 'no-io-import',
    node: id,
    message: `'${id.getText()}' from '${origin.module}' does I/O in workflow code; move it into an activity.`,
  };
}
