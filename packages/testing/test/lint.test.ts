import { execFile } from 'node:child_process';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { type LintFinding, lintWorkflows, RULES } from '../src/lint/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures/lint');
const root = resolve(here, '../../..');
const tsConfigFilePath = join(root, 'tsconfig.json');

async function lint(...paths: string[]): Promise<LintFinding[]> {
  return lintWorkflows({ paths: paths.map((p) => join(fixtures, p)), tsConfigFilePath });
}

/** `file:line:col rule workflow`, file relative to the fixtures folder. */
function brief(findings: LintFinding[]): string[] {
  return findings.map((f) => `${relative(fixtures, f.file)}:${f.line}:${f.column} ${f.rule} ${f.workflow}`);
}

describe('lintWorkflows', () => {
  // One run over every fixture folder (each project load costs a second or more); tests look at their file.
  let all: LintFinding[] = [];
  const findingsIn = (path: string) => all.filter((f) => relative(fixtures, f.file).startsWith(path));
  beforeAll(async () => {
    all = await lint('clean', 'rules', 'helpers', 'suppressions', 'registered', 'discovery', 'aliases');
  }, 60_000);

  test('a deterministic workflow has no findings, whatever its activities and unreached functions do', () => {
    expect(findingsIn('clean')).toEqual([]);
  });

  test('reports one finding per rule at the offending expression', () => {
    const findings = findingsIn('rules/every-rule.ts');
    expect(brief(findings)).toEqual([
      'rules/every-rule.ts:9:15 no-date-now everyRuleWorkflow',
      'rules/every-rule.ts:10:17 no-new-date everyRuleWorkflow',
      'rules/every-rule.ts:11:16 no-math-random everyRuleWorkflow',
      'rules/every-rule.ts:12:14 no-random-uuid everyRuleWorkflow',
      'rules/every-rule.ts:13:17 no-random-uuid everyRuleWorkflow',
      'rules/every-rule.ts:14:13 no-performance-now everyRuleWorkflow',
      'rules/every-rule.ts:15:3 no-timers everyRuleWorkflow',
      'rules/every-rule.ts:16:22 no-fetch everyRuleWorkflow',
      'rules/every-rule.ts:17:18 no-process-env everyRuleWorkflow',
      'rules/every-rule.ts:18:18 no-io-import everyRuleWorkflow',
      'rules/every-rule.ts:19:3 no-module-state-write everyRuleWorkflow',
      'rules/every-rule.ts:20:3 no-module-state-write everyRuleWorkflow',
    ]);
    const codeRules = Object.keys(RULES).filter((r) => r !== 'suppression-needs-reason');
    expect(new Set(findings.map((f) => f.rule))).toEqual(new Set(codeRules));
    expect(findings[0]?.message).toContain('ctx.now()');
    expect(findings[9]?.message).toContain("'readFileSync' from 'node:fs'");
  });

  test('sees renamed imports, namespace imports, globalThis and member writes', () => {
    expect(brief(findingsIn('rules/other-forms.ts'))).toEqual([
      'rules/other-forms.ts:11:17 no-new-date otherFormsWorkflow',
      'rules/other-forms.ts:12:18 no-io-import otherFormsWorkflow',
      'rules/other-forms.ts:13:16 no-process-env otherFormsWorkflow',
      'rules/other-forms.ts:14:9 no-timers otherFormsWorkflow',
      'rules/other-forms.ts:15:26 no-fetch otherFormsWorkflow',
      'rules/other-forms.ts:16:3 no-module-state-write otherFormsWorkflow',
      'rules/other-forms.ts:17:3 no-module-state-write otherFormsWorkflow',
      'rules/other-forms.ts:18:3 no-module-state-write otherFormsWorkflow',
    ]);
  });

  test('follows aliases and destructuring to Math.random, Date.now, crypto.randomUUID, performance.now and the rest', () => {
    // Each alias is taken at module level or in the workflow; the finding is at the use. clock.ts also
    // merges a type into the global Date, which must leave Date the global here and in every fixture.
    expect(brief(findingsIn('aliases'))).toEqual([
      'aliases/alias-workflow.ts:16:13 no-math-random aliasWorkflow', // const { random } = Math
      'aliases/alias-workflow.ts:17:13 no-date-now aliasWorkflow', // const { now } = Date
      'aliases/alias-workflow.ts:18:13 no-random-uuid aliasWorkflow', // const { randomUUID } = crypto
      'aliases/alias-workflow.ts:19:13 no-performance-now aliasWorkflow', // const { now: perfNow } = performance
      'aliases/alias-workflow.ts:20:13 no-math-random aliasWorkflow', // const r = Math.random
      'aliases/alias-workflow.ts:21:13 no-math-random aliasWorkflow', // const M = Math
      'aliases/alias-workflow.ts:22:13 no-date-now aliasWorkflow', // const clock = Date
      'aliases/alias-workflow.ts:22:27 no-date-now aliasWorkflow', // exported from clock.ts
      'aliases/alias-workflow.ts:23:13 no-new-date aliasWorkflow', // new clock()
      'aliases/alias-workflow.ts:24:13 no-random-uuid aliasWorkflow', // an alias of an imported randomUUID
      'aliases/alias-workflow.ts:26:13 no-math-random aliasWorkflow', // destructured in the workflow
      'aliases/alias-workflow.ts:27:13 no-date-now aliasWorkflow', // globalThis.Date.now
      'aliases/alias-workflow.ts:28:13 no-process-env aliasWorkflow', // const { env } = process
      'aliases/alias-workflow.ts:29:20 no-process-env aliasWorkflow', // destructured from process.env
    ]);
    const messages = findingsIn('aliases').map((f) => f.message);
    expect(messages[0]).toBe('random() (Math.random()) returns new values on replay; use ctx.random().');
    expect(messages[5]).toBe('M.random() (Math.random()) returns new values on replay; use ctx.random().');
  });

  test('follows helper calls into other files, through cycles, but not into activities', async () => {
    // Only the workflow's file is given: pricing.ts is reached through its imports.
    expect(brief(await lint('helpers/checkout-workflow.ts'))).toEqual([
      // A value computed in ctx.activity's arguments is workflow code; the inline activity on line 6 is not.
      'helpers/checkout-workflow.ts:7:64 no-date-now checkoutWorkflow',
      // checkoutWorkflow → settle → applyDiscount ⇄ discountFactor → jitter
      'helpers/pricing.ts:12:37 no-math-random checkoutWorkflow',
      // settle takes the context itself, yet is reported under the workflow that calls it.
      'helpers/pricing.ts:22:27 no-date-now checkoutWorkflow',
    ]);
  });

  test('a suppression with a reason silences its rule on the next line or its own; one without is reported', () => {
    expect(brief(findingsIn('suppressions'))).toEqual([
      'suppressions/suppressed-workflow.ts:7:3 suppression-needs-reason suppressedWorkflow',
      // names another rule than the line breaks
      'suppressions/suppressed-workflow.ts:10:21 no-date-now suppressedWorkflow',
      // the line before holds the text in a string, not a comment
      'suppressions/suppressed-workflow.ts:12:22 no-date-now suppressedWorkflow',
    ]);
  });

  test('finds a workflow by its Worker.create registration alone', async () => {
    expect(brief(findingsIn('registered'))).toEqual([
      'registered/registered-workflow.ts:6:25 no-date-now registeredWorkflow',
    ]);
    // Without the worker file nothing marks the function as a workflow.
    expect(await lint('registered/registered-workflow.ts')).toEqual([]);
  });

  test('finds workflows by context type: renamed, namespaced, aliased, arrow and expression forms', () => {
    expect(findingsIn('discovery').map((f) => `${f.line} ${f.workflow}`)).toEqual([
      '8 renamedImportWorkflow',
      '13 namespaceWorkflow',
      '18 localAliasWorkflow',
      '23 arrowWorkflow',
      '28 expressionWorkflow',
    ]);
  });

  test('lints .js, .mjs and .cjs workflow files, given by name or found in a folder', async () => {
    const expected = [
      'javascript/draw-workflow.mjs:6:29 no-math-random drawWorkflow',
      'javascript/stamp-workflow.js:4:10 no-date-now stampWorkflow',
      'javascript/stamp-workflow.js:8:29 no-math-random pickWorkflow',
      'javascript/tick-workflow.cjs:6:10 no-date-now tickWorkflow',
    ];
    expect(brief(await lint('javascript'))).toEqual(expected);
    const named = ['draw-workflow.mjs', 'stamp-workflow.js', 'tick-workflow.cjs', 'worker.js'];
    expect(brief(await lint(...named.map((file) => `javascript/${file}`)))).toEqual(expected);
  }, 60_000);

  test('a path that does not exist is an error', async () => {
    await expect(lint('missing')).rejects.toThrow(/path not found/);
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  const script = join(root, 'packages/testing/src/lint/cli.ts');
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      { cwd: fixtures },
      (err, stdout, stderr) => {
        done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
  });
}

describe('reel-lint CLI', () => {
  // Each run starts a process that loads the compiler, a few seconds apiece on a busy machine.
  test('exits 1 with findings, 0 when clean, 2 on usage errors; --json prints the findings', {
    timeout: 90_000,
  }, async () => {
    const [dirty, json, clean, badFlag, badPath, noSrc, javascript] = await Promise.all([
      cli('rules/every-rule.ts', 'helpers'),
      cli('suppressions', '--json', '--project', tsConfigFilePath),
      cli('clean'),
      cli('clean', '--frobnicate'),
      cli('nowhere'),
      cli(),
      // A tsconfig without allowJs, like most.
      cli('javascript/stamp-workflow.js', 'javascript/worker.js', '--project', tsConfigFilePath),
    ]);

    expect(dirty.code).toBe(1);
    const lines = dirty.stdout.trim().split('\n');
    expect(lines).toContain(
      'rules/every-rule.ts:9:15  no-date-now  Date.now() reads the wall clock, which differs on replay; use ctx.now().  (in workflow everyRuleWorkflow)',
    );
    expect(lines).toContain(
      'helpers/pricing.ts:12:37  no-math-random  Math.random() returns new values on replay; use ctx.random().  (in workflow checkoutWorkflow)',
    );
    expect(lines.at(-1)).toBe('reel-lint: 15 findings in 3 files (3 workflows in 3 files checked)');

    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as LintFinding[];
    expect(parsed.map((f) => [f.file, f.line, f.rule])).toEqual([
      ['suppressions/suppressed-workflow.ts', 7, 'suppression-needs-reason'],
      ['suppressions/suppressed-workflow.ts', 10, 'no-date-now'],
      ['suppressions/suppressed-workflow.ts', 12, 'no-date-now'],
    ]);

    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe('reel-lint: no findings (1 workflow in 1 file checked)\n');

    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("Unknown option '--frobnicate'");
    expect(badPath.code).toBe(2);
    expect(badPath.stderr).toContain('path not found: nowhere');
    // The fixtures folder has no src/, the default path.
    expect(noSrc.code).toBe(2);
    expect(noSrc.stderr).toContain('no paths given');

    // JavaScript files given by name: a workflow typed in JSDoc, and one registered with Worker.create.
    expect(javascript.code).toBe(1);
    expect(javascript.stdout.trim().split('\n')).toEqual([
      'javascript/stamp-workflow.js:4:10  no-date-now  Date.now() reads the wall clock, which differs on replay; use ctx.now().  (in workflow stampWorkflow)',
      'javascript/stamp-workflow.js:8:29  no-math-random  Math.random() returns new values on replay; use ctx.random().  (in workflow pickWorkflow)',
      'reel-lint: 2 findings in 1 file (2 workflows in 2 files checked)',
    ]);
  });
});
