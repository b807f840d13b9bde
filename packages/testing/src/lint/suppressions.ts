import { type SourceFile, ts } from 'ts-morph';
import type { LintFinding } from './rules.ts';

/** One `// reel-lint-ignore <rule-id>[, <rule-id>]: <reason>` comment. */
export interface Suppression {
  rules: string[];
  reason: string;
  /** The line whose findings it silences: its own when it follows code, else the next one. */
  target: number;
  line: number;
  column: number;
}

/** Rule ids, then `: reason`; anything else after the ids counts as a missing reason. */
const PATTERN = /^\/\/\s*reel-lint-ignore\s+([\w-]+(?:\s*,\s*[\w-]+)*)(.*)$/;

/** The suppression comments in a file, found among its real comments (not in strings or templates). */
export function readSuppressions(file: SourceFile): Suppression[] {
  const text = file.getFullText();
  const out: Suppression[] = [];
  for (const range of commentRanges(file.compilerNode)) {
    const match = PATTERN.exec(text.slice(range.pos, range.end).trim());
    if (!match) continue;
    const { line, column } = file.getLineAndColumnAtPos(range.pos);
    const lineStart = range.pos - (column - 1);
    const followsCode = text.slice(lineStart, range.pos).trim() !== '';
    out.push({
      rules: (match[1] ?? '').split(',').map((r) => r.trim()),
      reason: reasonOf(match[2] ?? ''),
      target: followsCode ? line : line + 1,
      line,
      column,
    });
  }
  return out;
}

function reasonOf(rest: string): string {
  const trimmed = rest.trim();
  return trimmed.startsWith(':') ? trimmed.slice(1).trim() : '';
}

/** Every comment in a file, each once, read from the trivia around each token. */
function commentRanges(root: ts.SourceFile): ts.CommentRange[] {
  const seen = new Map<number, ts.CommentRange>();
  const text = root.text;
  const visit = (node: ts.Node): void => {
    if (ts.isJSDoc(node)) return;
    for (const range of ts.getLeadingCommentRanges(text, node.pos) ?? []) seen.set(range.pos, range);
    // A comment after code on the same line is the trailing trivia of the token before it.
    for (const range of ts.getTrailingCommentRanges(text, node.end) ?? []) seen.set(range.pos, range);
    for (const child of node.getChildren(root)) visit(child);
  };
  visit(root);
  return [...seen.values()];
}

/**
 * Drops the findings a suppression covers, and reports each suppression that gives no reason
 * (it still silences its line, so the one thing left to fix is the missing reason).
 */
export function applySuppressions(findings: LintFinding[], files: Iterable<SourceFile>): LintFinding[] {
  const byFile = new Map<string, Suppression[]>();
  for (const file of files) byFile.set(file.getFilePath(), readSuppressions(file));
  const usedBy = new Map<Suppression, Set<string>>();
  const kept = findings.filter((finding) => {
    const match = byFile
      .get(finding.file)
      ?.find((s) => s.target === finding.line && s.rules.includes(finding.rule));
    if (!match) return true;
    const workflows = usedBy.get(match) ?? new Set();
    usedBy.set(match, workflows.add(finding.workflow));
    return false;
  });
  for (const [file, suppressions] of byFile) {
    for (const s of suppressions) {
      if (s.reason) continue;
      kept.push({
        rule: 'suppression-needs-reason',
        message: `reel-lint-ignore ${s.rules.join(', ')} needs a reason: // reel-lint-ignore ${s.rules.join(', ')}: <why this is safe>`,
        file,
        line: s.line,
        column: s.column,
        workflow: [...(usedBy.get(s) ?? [])].join(', '),
      });
    }
  }
  return kept;
}
