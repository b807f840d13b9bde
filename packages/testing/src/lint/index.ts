import type { LintOptions } from './project.ts';
import type { LintFinding } from './rules.ts';

export type { LintOptions } from './project.ts';
export { type LintFinding, RULES, type RuleId } from './rules.ts';

/**
 * Finds non-deterministic code in workflows — wall-clock reads, randomness, timers, network and file I/O,
 * environment reads, module-state writes — following calls into the project's helper functions.
 * The compiler is loaded on the first call, so importing `@reel/testing` stays cheap.
 * @example
 * const findings = await lintWorkflows({ paths: ['src/workflows'], tsConfigFilePath: 'tsconfig.json' });
 * for (const f of findings) console.log(`${f.file}:${f.line}:${f.column} ${f.rule} (in ${f.workflow})`);
 */
export async function lintWorkflows(options: LintOptions): Promise<LintFinding[]> {
  const { runLint } = await import('./run.ts');
  return runLint(options).findings;
}
