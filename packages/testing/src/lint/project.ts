import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Project, type SourceFile, ts } from 'ts-morph';

/** What to lint: files or folders, and optionally the tsconfig that says how their imports resolve. */
export interface LintOptions {
  /**
   * Files or folders; folders are searched outside node_modules for TypeScript (`.ts`, `.tsx`, `.mts`,
   * `.cts`) and JavaScript (`.js`, `.jsx`, `.mjs`, `.cjs`), whose workflows are typed in JSDoc or registered.
   */
  paths: string[];
  /** A tsconfig.json for compiler options (module resolution, path aliases). Its `include` list is not used. */
  tsConfigFilePath?: string;
}

/** Used when no tsconfig is given: the settings of a modern Node ESM TypeScript project. */
const DEFAULT_COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  allowImportingTsExtensions: true,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
};

const SOURCE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;

/**
 * The source files under a folder, skipping node_modules, dot-folders and declaration files.
 * Walked by hand rather than globbed: workspace node_modules hold symlink cycles a globber would descend.
 */
function sourceFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) out.push(...sourceFilesUnder(path));
    } else if (entry.isFile() && SOURCE.test(entry.name) && !/\.d\.[cm]?ts$/.test(entry.name)) {
      out.push(path);
    }
  }
  return out;
}

/**
 * Loads the files under `paths` into a ts-morph project whose imports resolve like the compiler's,
 * so that helpers and registered workflows can be followed into the files they live in.
 */
export function loadProject(options: LintOptions): { project: Project; files: SourceFile[] } {
  // JavaScript files are read whatever the tsconfig says: a workflow's JSDoc types resolve, and its helpers are followed.
  const project = options.tsConfigFilePath
    ? new Project({
        tsConfigFilePath: resolve(options.tsConfigFilePath),
        skipAddingFilesFromTsConfig: true,
        compilerOptions: { allowJs: true },
      })
    : new Project({ compilerOptions: { ...DEFAULT_COMPILER_OPTIONS, allowJs: true } });
  const files: SourceFile[] = [];
  for (const path of options.paths) {
    const full = resolve(path);
    const stat = statSync(full, { throwIfNoEntry: false });
    if (!stat) throw new Error(`path not found: ${path}`);
    for (const file of stat.isDirectory() ? sourceFilesUnder(full) : [full]) {
      files.push(project.addSourceFileAtPath(file));
    }
  }
  const unique = [...new Set(files)].filter((f) => !f.isDeclarationFile() && !f.isInNodeModules());
  return { project, files: unique.sort((a, b) => a.getFilePath().localeCompare(b.getFilePath())) };
}
