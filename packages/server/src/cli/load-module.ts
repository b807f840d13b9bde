import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ActivityFn, WorkflowFn } from '@reel/sdk';
import { UsageError } from './args.ts';

/** What `reel dev` and `reel worker` need from the user's module. */
export interface WorkflowModule {
  workflows: Record<string, WorkflowFn>;
  activities: Record<string, ActivityFn>;
}

/**
 * Imports the module at `path` and checks it exports `workflows` (and optionally `activities`),
 * each an object of functions. TypeScript modules load through tsx when Node cannot load them itself.
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
  const mod = (await importModule(file)) as Record<string, unknown>;
  const workflows = functions(mod.workflows, 'workflows', path);
  if (!workflows || Object.keys(workflows).length === 0) {
    throw new UsageError(`${path} exports no workflows. Add: export const workflows = { orderWorkflow };`);
  }
  return {
    workflows: workflows as WorkflowModule['workflows'],
    activities: (functions(mod.activities, 'activities', path) ?? {}) as WorkflowModule['activities'],
  };
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

async function importModule(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  try {
    return await import(url);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
    const { register } = await import('tsx/esm/api');
    register();
    return import(url);
  }
}
