#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatText, relativeFinding } from './format.ts';
import type { LintReport } from './run.ts';

const USAGE = `Usage: reel-lint [paths...] [--json] [--project tsconfig.json]

Checks workflow code for non-deterministic calls. Paths are files or folders (default: ./src).
  --json           print the findings as a JSON array
  --project <file> tsconfig.json to resolve imports with (default: ./tsconfig.json when present)
  --help           show this help

Exit codes: 0 no findings, 1 findings, 2 usage error.`;

class UsageError extends Error {}

interface CliArgs {
  paths: string[];
  json: boolean;
  project: string | undefined;
}

const OPTIONS = {
  json: { type: 'boolean' },
  project: { type: 'string', short: 'p' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: string[], cwd: string): CliArgs | 'help' {
  const { values, positionals } = parseStrict(argv);
  if (values.help) return 'help';
  const paths = positionals.length > 0 ? positionals : ['src'];
  for (const path of paths) {
    if (!existsSync(path)) {
      const hint = positionals.length === 0 ? ' (no paths given, so ./src was tried)' : '';
      throw new UsageError(`path not found: ${path}${hint}`);
    }
  }
  if (values.project !== undefined && !existsSync(values.project)) {
    throw new UsageError(`tsconfig not found: ${values.project}`);
  }
  const project = values.project ?? (existsSync(join(cwd, 'tsconfig.json')) ? 'tsconfig.json' : undefined);
  return { paths, json: values.json ?? false, project };
}

function parseStrict(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Runs the CLI and returns its exit code: 0 clean, 1 findings, 2 usage error or a project that cannot be read. */
async function main(argv: string[], cwd = process.cwd()): Promise<number> {
  let args: CliArgs | 'help';
  try {
    args = parse(argv, cwd);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`reel-lint: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let report: LintReport;
  try {
    // Loaded only now, so a usage error answers without loading the compiler.
    const { runLint } = await import('./run.ts');
    report = runLint({ paths: args.paths, ...(args.project ? { tsConfigFilePath: args.project } : {}) });
  } catch (err) {
    process.stderr.write(`reel-lint: could not lint: ${(err as Error).message}\n`);
    return 2;
  }
  if (args.json) {
    const findings = report.findings.map((f) => relativeFinding(f, cwd));
    process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
  } else {
    process.stdout.write(formatText(report, cwd));
  }
  return report.findings.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
