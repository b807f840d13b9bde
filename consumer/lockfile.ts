import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface LockedPackage {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/**
 * The packages a production install of `name` brings, read from the app's package-lock.json: its
 * dependencies, optional dependencies and required peers, transitively, resolved as Node resolves them.
 */
export async function productionClosure(app: string, name: string): Promise<Set<string>> {
  const lock = JSON.parse(await readFile(join(app, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockedPackage>;
  };
  const found = new Set<string>();
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const entry = lock.packages[path] ?? {};
    const peers = Object.keys(entry.peerDependencies ?? {}).filter(
      (peer) => !entry.peerDependenciesMeta?.[peer]?.optional,
    );
    const names = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...peers,
    ];
    for (const dependency of names) {
      const resolved = resolve(lock.packages, path, dependency);
      if (resolved === undefined) continue; // an optional dependency for another platform
      found.add(dependency);
      visit(resolved);
    }
  };
  visit(`node_modules/${name}`);
  return found;
}

/** Where `name` is found from the package at `from`: its own node_modules, then each parent's. */
function resolve(packages: Record<string, unknown>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (candidate in packages) return candidate;
    if (!dir) return undefined;
    const up = dir.lastIndexOf('/node_modules/');
    dir = up === -1 ? '' : dir.slice(0, up);
  }
}
