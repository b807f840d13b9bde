import type { SourceFile } from 'ts-morph';
import { findWorkflows } from './find-workflows.ts';
import { type LintOptions, loadProject } from './project.ts';
import type { LintFinding } from './rules.ts';
import { applySuppressions } from './suppressions.ts';
import { walkWorkflow } from './walk.ts';

/** The findings of one lint run, with what was looked at (so "no findings" can be told from "found nothing"). */
export interface LintReport {
  findings: LintFinding[];
  /** The names of the workflows checked. */
  workflows: string[];
  /** How many files were searched for workflows. */
  files: number;
}

/**
 * Lints the workflows under `options.paths`. Each offending expression is reported once: under a workflow
 * that no other workflow calls when there is one, so a `ctx`-taking helper is blamed on the workflow using it.
 */
export function runLint(options: LintOptions): LintReport {
  const { files } = loadProject(options);
  const walks = findWorkflows(files).map(walkWorkflow);
  const called = new Set(walks.flatMap((w) => [...w.reached].filter((fn) => fn !== w.entry.fn)));
  const ordered = [
    ...walks.filter((w) => !called.has(w.entry.fn)),
    ...walks.filter((w) => called.has(w.entry.fn)),
  ];

  const unique = new Map<string, LintFinding>();
  const touched = new Set<SourceFile>(files);
  for (const { entry, hits } of ordered) {
    for (const { rule, node, message } of hits) {
      const file = node.getSourceFile();
      const key = `${file.getFilePath()}:${node.getStart()}:${rule}`;
      if (unique.has(key)) continue;
      touched.add(file);
      const { line, column } = file.getLineAndColumnAtPos(node.getStart());
      unique.set(key, { rule, message, file: file.getFilePath(), line, column, workflow: entry.name });
    }
  }
  const findings = applySuppressions([...unique.values()], touched).sort(
    (a, b) =>
      a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule),
  );
  return { findings, workflows: walks.map((w) => w.entry.name), files: files.length };
}
