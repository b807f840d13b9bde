import { relative } from 'node:path';
import type { LintFinding } from './rules.ts';
import type { LintReport } from './run.ts';

/** A finding with its file made relative to `cwd`, as the CLI prints it. */
export function relativeFinding(finding: LintFinding, cwd: string): LintFinding {
  return { ...finding, file: relative(cwd, finding.file) || finding.file };
}

/** One line per finding, `file:line:col  rule-id  message  (in workflow X)`, then a summary line. */
export function formatText(report: LintReport, cwd: string): string {
  const lines = report.findings.map((f) => {
    const { file } = relativeFinding(f, cwd);
    const where = f.workflow ? `  (in workflow ${f.workflow})` : '';
    return `${file}:${f.line}:${f.column}  ${f.rule}  ${f.message}${where}`;
  });
  lines.push(summary(report));
  return `${lines.join('\n')}\n`;
}

function summary({ findings, workflows, files }: LintReport): string {
  const checked = `${plural(workflows.length, 'workflow')} in ${plural(files, 'file')}`;
  if (findings.length === 0) return `reel-lint: no findings (${checked} checked)`;
  const inFiles = new Set(findings.map((f) => f.file)).size;
  return `reel-lint: ${plural(findings.length, 'finding')} in ${plural(inFiles, 'file')} (${checked} checked)`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
