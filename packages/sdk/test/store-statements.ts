import { readdir } from 'node:fs/promises';

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
