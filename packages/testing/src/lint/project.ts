import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Project, type SourceFile, ts } from 'ts-morph';

/** What to lint: files or folders, and optionally the tsconfig that says how their imports resolve. */
export interface LintOptions {
  /** Files or folders; folders are searched for `.ts`, `.tsx`, `.mts` and `.cts` files outside node_modules. */
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
  allowJs: false,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
};

const SOURCE_GLOB = '**/*.{ts,tsx,mts,cts}';

/**
 * Loads the files under `paths` into a ts-morph project whose imports resolve like the compiler's,
 * so that helpers and registered workflows can be followed into the files they live in.
 */
export function loadProject(options: LintOptions): { project: Project; files: SourceFile[] } {
  const project = options.tsConfigFilePath
    ? new Project({ tsConfigFilePath: resolve(options.tsConfigFilePath), skipAddingFilesFromTsConfig: true })
    : new Project({ compilerOptions: DEFAULT_COMPILER_OPTIONS });
  const files: SourceFile[] = [];
  for (const path of options.paths) {
    const full = resolve(path);
    if (statSync(full).isDirectory()) {
      files.push(...project.addSourceFilesAtPaths([`${full}/${SOURCE_GLOB}`, `!${full}/**/node_modules/**`]));
    } else {
      files.push(project.addSourceFileAtPath(full));
    }
  }
  project.resolveSourceFileDependencies();
  const unique = [...new Set(files)].filter((f) => !f.isDeclarationFile() && !f.isInNodeModules());
  return { project, files: unique.sort((a, b) => a.getFilePath().localeCompare(b.getFilePath())) };
}
