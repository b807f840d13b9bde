/** The id of a determinism-lint rule; these strings are stable and used in suppression comments. */
export type RuleId =
  | 'no-date-now'
  | 'no-new-date'
  | 'no-math-random'
  | 'no-random-uuid'
  | 'no-performance-now'
  | 'no-timers'
  | 'no-fetch'
  | 'no-process-env'
  | 'no-io-import'
  | 'no-module-state-write'
  | 'suppression-needs-reason';

/** One problem found in workflow code, located at the offending expression (1-based line and column). */
export interface LintFinding {
  rule: RuleId;
  message: string;
  /** Absolute path of the file holding the offending expression (a helper's file when reached through it). */
  file: string;
  line: number;
  column: number;
  /** The workflow whose code reaches the expression, directly or through helper calls. */
  workflow: string;
}

/** What each rule catches and what to do instead; the docs' rule table follows this list. */
export const RULES: Readonly<Record<RuleId, { catches: string; instead: string }>> = {
  'no-date-now': { catches: 'Date.now()', instead: 'use ctx.now()' },
  'no-new-date': { catches: 'new Date() and Date() with no arguments', instead: 'use ctx.now()' },
  'no-math-random': { catches: 'Math.random()', instead: 'use ctx.random()' },
  'no-random-uuid': {
    catches: "crypto.randomUUID() and randomUUID imported from 'crypto' or 'node:crypto'",
    instead: 'use ctx.uuid()',
  },
  'no-performance-now': {
    catches: 'performance.now()',
    instead: 'use ctx.now(), or measure inside an activity',
  },
  'no-timers': {
    catches: 'setTimeout, setInterval, setImmediate',
    instead: 'use ctx.sleep(); real timers are not recorded in history',
  },
  'no-fetch': { catches: 'fetch()', instead: 'call it from an activity through ctx.activity()' },
  'no-process-env': {
    catches: "process.env, and env imported from 'process' or 'node:process'",
    instead: 'pass the value in the workflow input, or read it in an activity',
  },
  'no-io-import': {
    catches: 'use of anything imported from fs, net, http, https, http2, child_process, dgram, dns or tls',
    instead: 'move the I/O into an activity',
  },
  'no-module-state-write': {
    catches: 'assignment, ++/--, delete or a mutating method call on module-level state',
    instead: 'keep workflow state in local variables; module state is shared between runs and not replayed',
  },
  'suppression-needs-reason': {
    catches: 'a reel-lint-ignore comment without a reason',
    instead: 'write // reel-lint-ignore <rule-id>: <why this is safe>',
  },
};

/** True for a string that names a rule. */
export function isRuleId(id: string): id is RuleId {
  return Object.hasOwn(RULES, id);
}
