import { spawnSync } from 'node:child_process';
import { access } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ActivityFn, WorkflowFn } from '@reel/sdk';
import type { HookOptions } from '../hooks/hook-options.ts';
import { UsageError } from './args.ts';

/** What `reel dev` and `reel worker` need from the user's module. */
export interface WorkflowModule {
  workflows: Record<string, WorkflowFn>;
  activities: Record<string, ActivityFn>;
}

/** A workflows module that does not load: exit code 2, with the cause (where, when Node or tsx knows). */
export class ModuleLoadError extends UsageError {}

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

/**
 * Imports the module at `path` and checks it exports `workflows` (and optionally `activities`),
 * each an object of functions. TypeScript modules load through tsx, registered before the import.
 */
export async function loadWorkflowModule(path: string | undefined): Promise<WorkflowModule> {
  if (!path)
    throw new UsageError('Pass --workflows <module>: a module that exports { workflows, activities }.');
  const file = resolve(path);
  try {
    await access(file);
  } catch {
    throw new UsageError(
      `No module at ${path} (looked for ${file}). Pass --workflows with the path of a module that exports { workflows, activities }.`,
    );
  }
  const mod = (await importModule(file, path)) as Record<string, unknown>;
  const workflows = functions(mod.workflows, 'workflows', path);
  if (!workflows || Object.keys(workflows).length === 0) {
    throw new UsageError(`${path} exports no workflows. Add: export const workflows = { orderWorkflow };`);
  }
  return {
    workflows: workflows as WorkflowModule['workflows'],
    activities: (functions(mod.activities, 'activities', path) ?? {}) as WorkflowModule['activities'],
  };
}

/**
 * Imports the module at `path` (`--hooks`) and returns its `hooks` export, the server's `hooks`
 * option: an object of webhook triggers by name. Checked in full when the server is built.
 */
export async function loadHooksModule(path: string): Promise<Record<string, HookOptions>> {
  const file = resolve(path);
  try {
    await access(file);
  } catch {
    throw new UsageError(
      `No module at ${path} (looked for ${file}). Pass --hooks with a module that exports { hooks }.`,
    );
  }
  const { hooks } = (await importModule(file, path)) as { hooks?: unknown };
  if (typeof hooks !== 'object' || hooks === null) {
    throw new UsageError(
      `${path} exports no hooks. Add: export const hooks = { github: { workflowType, signature, deliveryId } };`,
    );
  }
  return hooks as Record<string, HookOptions>;
}

function functions(value: unknown, what: string, path: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    Object.values(value).some((v) => typeof v !== 'function')
  ) {
    throw new UsageError(
      `${path}: \`${what}\` must be an object of functions, e.g. export const ${what} = { myFunction };`,
    );
  }
  return value as Record<string, unknown>;
}

async function importModule(file: string, path: string): Promise<unknown> {
  const typescript = TYPESCRIPT.has(extname(file));
  if (typescript) await registerTsx();
  try {
    return await import(pathToFileURL(file).href);
  } catch (err) {
    // Without tsx, only a Node that strips types itself loads TypeScript.
    if (typescript && (err as { code?: string }).code === 'ERR_UNKNOWN_FILE_EXTENSION')
      throw new ModuleLoadError(
        `${path} is TypeScript, which reel loads with tsx, and tsx is not installed here. Install it (npm install --save-dev tsx), or pass the compiled JavaScript.`,
        { cause: err },
      );
    throw new ModuleLoadError(`Could not load ${path}: ${describeLoadError(err, file)}`, { cause: err });
  }
}

/**
 * Registers tsx's loader, once, if tsx is installed. It must come before the first import of the
 * module: Node caches a failed import, so importing again after registering would fail again.
 */
let tsxRegistered = false;
async function registerTsx(): Promise<void> {
  if (tsxRegistered) return;
  try {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  } catch (err) {
    const missing = (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    if (!missing || !(err as Error).message.includes("'tsx'")) throw err;
  }
}

/** The cause of a failed import, with its place: file:line where Node or tsx gives it. */
function describeLoadError(err: unknown, file: string): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name !== 'SyntaxError') {
    // A missing module names itself, and tsx's TransformError starts with file:line:column; an error
    // thrown by the module's own code gets the first frame of that code.
    const frame = err.stack
      ?.split('\n')
      .find((line) => /^\s+at /.test(line) && !/node:|node_modules/.test(line));
    return frame && !(err as { code?: string }).code
      ? `${err.name}: ${err.message} (${frame.trim()})`
      : err.message;
  }
  const stack = err.stack ?? '';
  const headline = `SyntaxError: ${err.message}`;
  // A link error (a missing export) comes with its place before the headline.
  const place = stack.indexOf(headline);
  if (place > 0) return `${stack.slice(0, place).trim()}\n${headline}`;
  // A parse error of a dynamic import comes without one (nodejs/node#49441): Node's syntax check says where.
  const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
  const at = check.stderr.indexOf('SyntaxError:');
  if (check.status !== 0 && at > 0) return `${check.stderr.slice(0, at).trim()}\n${headline}`;
  return `${headline} (in a module that ${file} imports: \`node --check <file>\` shows where)`;
}
