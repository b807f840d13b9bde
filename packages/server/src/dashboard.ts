import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The dashboard's own files: plain ES modules, served as they are (there is no build step). */
const DASHBOARD_DIR = fileURLToPath(new URL('../dashboard/', import.meta.url));

/**
 * The ES modules of the libraries the dashboard imports, by the names its import map gives them.
 * htm's entry for `require` is CommonJS: its ES module sits beside it.
 */
const VENDOR: Record<string, (resolve: (name: string) => string) => string> = {
  'preact.mjs': (resolve) => resolve('preact'),
  'hooks.mjs': (resolve) => resolve('preact/hooks'),
  'htm.mjs': (resolve) => join(dirname(resolve('htm')), 'htm.mjs'),
};

/**
 * Serves the dashboard at `/` (under the plugin's prefix): index.html, its modules under
 * /dashboard/, and preact and htm from the installed packages, so nothing is fetched from a CDN.
 * The files are public; every API call they make needs the key the user gives, as any client's.
 */
export async function registerDashboard(app: FastifyInstance): Promise<void> {
  const require = createRequire(import.meta.url);
  const vendor = new Map(
    Object.entries(VENDOR).map(([file, path]) => [file, readFileSync(path(require.resolve), 'utf8')]),
  );
  const index = readFileSync(`${DASHBOARD_DIR}index.html`, 'utf8');
  // The page's links and API calls are relative to <base>, so it works under any prefix.
  const base = `${app.prefix}/`;
  const page = index.replace('<base href="/" />', `<base href="${base}" />`);

  await app.register(async (ui) => {
    ui.addHook('onRoute', (route) => {
      route.config = { ...route.config, scope: 'public' };
      route.schema = { ...route.schema, hide: true };
    });
    ui.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
    ui.get<{ Params: { file: string } }>('/dashboard/vendor/:file', async (request, reply) => {
      const code = vendor.get(request.params.file);
      if (code === undefined) return reply.callNotFound();
      return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(code);
    });
    await ui.register(fastifyStatic, {
      root: DASHBOARD_DIR,
      prefix: '/dashboard/',
      decorateReply: false,
      index: false,
      cacheControl: false,
      // Files change with the package: revalidate rather than cache them.
      setHeaders: (res) => res.setHeader('cache-control', 'no-cache'),
    });
  });
}
