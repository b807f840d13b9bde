// Loaded with `node --import` in every child: the Reel packages resolve to their published build
// (`packages/*/dist`, compiled by tsc, as users install them), not to their TypeScript sources, which
// tsx compiles with esbuild's `keepNames` (a `__name` call for every function and closure made). The
// bench's own files stay TypeScript. `pnpm bench` builds the packages first.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) register(import.meta.url);

/** Node's module resolution hook: `@reel/<package>` → the same module in its package's `dist/`. */
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (!specifier.startsWith('@reel/')) return resolved;
  const built = resolved.url.replace(/\/packages\/([^/]+)\/src\/(.+)\.ts$/, '/packages/$1/dist/$2.js');
  if (!existsSync(fileURLToPath(built)))
    throw new Error(`${specifier} has no build at ${built}: run \`pnpm build\` at the repository root`);
  return { ...resolved, url: built };
}
