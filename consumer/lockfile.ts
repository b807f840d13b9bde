import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
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

/**
 * The packages the published declarations of `name` import and a production install of it does not
 * make resolvable with types (their own, or `@types/…` among its dependencies). Its peers are the
 * user's to install.
 */
export async function untypedDeclarationImports(app: string, name: string): Promise<string[]> {
  const dir = join(app, 'node_modules', name);
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  const closure = await productionClosure(app, name);
  const imported = new Set<string>();
  for (const file of await readdir(join(dir, 'dist'), { recursive: true })) {
    if (!file.endsWith('.d.ts')) continue;
    const text = await readFile(join(dir, 'dist', file), 'utf8');
    // Import and export statements, and import types; not text that merely reads like them (a SQL
    // string's type, such as `distinct from 'waiting'`).
    const specifiers = text.matchAll(
      /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'".\s][^'"\s]*)['"]|import\(['"]([^'".\s][^'"\s]*)['"]\)/gm,
    );
    for (const [, statement, type] of specifiers) {
      const parts = (statement ?? type ?? '').split('/');
      imported.add(parts[0]?.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string));
    }
  }
  const missing: string[] = [];
  for (const pkg of imported) {
    if (pkg === name || pkg.startsWith('node:') || builtinModules.includes(pkg)) continue;
    if (manifest.peerDependencies?.[pkg] || closure.has(`@types/${pkg}`)) continue;
    if (closure.has(pkg) && (await hasOwnTypes(app, pkg))) continue;
    missing.push(pkg);
  }
  return missing;
}

async function hasOwnTypes(app: string, pkg: string): Promise<boolean> {
  const manifest = JSON.parse(await readFile(join(app, 'node_modules', pkg, 'package.json'), 'utf8'));
  if (manifest.types || manifest.typings) return true;
  if (JSON.stringify(manifest.exports ?? {}).includes('.d.')) return true;
  return (await readdir(join(app, 'node_modules', pkg))).includes('index.d.ts');
}
