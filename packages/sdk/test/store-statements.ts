import { readdir } from 'node:fs/promises';
import type pg from 'pg';

const FOLDER = new URL('../src/store/postgres/', import.meta.url);

/** Every SQL text exported by the store's `*-queries.ts` files, by name. */
export async function statements(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const file of (await readdir(FOLDER)).filter((f) => f.endsWith('-queries.ts')).sort()) {
    const module: Record<string, unknown> = await import(new URL(file, FOLDER).href);
    for (const [name, value] of Object.entries(module)) {
      if (typeof value !== 'string') continue;
      if (found.has(name)) throw new Error(`${name} is exported by two *-queries.ts files`);
      found.set(name, value);
    }
  }
  return found;
}

/**
 * The generic plan of `text` (as a prepared statement's, for any parameters: the session must have
 * `plan_cache_mode = force_generic_plan`), as `explain (verbose, format json)` gives its root node.
 */
export async function genericPlan(client: pg.ClientBase, text: string): Promise<unknown> {
  await client.query(`prepare generic_plan as ${text}`);
  try {
    const { rows } = await client.query(
      `select cardinality(parameter_types) as n from pg_prepared_statements where name = 'generic_plan'`,
    );
    const args = Array.from({ length: rows[0].n }, () => 'null').join(', ');
    const plan = await client.query(
      `explain (verbose, format json) execute generic_plan${args ? `(${args})` : ''}`,
    );
    return plan.rows[0]['QUERY PLAN'][0].Plan;
  } finally {
    await client.query('deallocate generic_plan');
  }
}
