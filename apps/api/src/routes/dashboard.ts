// GET / (the video dashboard) and GET /assets/<file> (its stylesheet, icon and browser modules).
// The page is static: it talks to the public API from the browser. Its files are read once at
// startup into memory, from apps/api/web/public (HTML, CSS, SVG) and apps/api/web/dist (the
// modules `tsc -b` compiles from web/src), resolved from this file's location so the same code
// works from src/ (tests) and dist/ (built).
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { DASHBOARD_CSP, usePagePolicy } from '../plugins/security-headers.js';

export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

async function loadFile(path: string): Promise<StaticFile | undefined> {
  const type = CONTENT_TYPES[extname(path)];
  if (type === undefined) return undefined;
  const body = await readFile(path);
  return { body, type, etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"` };
}

/** Every servable file directly in `dir` (none when it does not exist: web/dist before a build). */
async function loadDir(dir: string, accept: (name: string) => boolean): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  for (const name of names.filter(accept).sort()) {
    const file = await loadFile(join(dir, name));
    if (file !== undefined) files.set(name, file);
  }
  return files;
}

// Not versioned by file name, so browsers must revalidate every time (a cheap 304 by ETag);
// caching modules for longer could mix two deployments' modules in one page.
function send(request: FastifyRequest, reply: FastifyReply, file: StaticFile): FastifyReply {
  reply.header('cache-control', 'no-cache').header('etag', file.etag);
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.type(file.type).send(file.body);
}

export const dashboardRoutes: FastifyPluginAsyncTypebox<{ webRoot?: string }> = async (app, options) => {
  // Security headers (X-Content-Type-Options, X-Frame-Options, Referrer-Policy, ...) come from
  // helmet like everywhere; this is the page's Content-Security-Policy.
  usePagePolicy(app, DASHBOARD_CSP);
  const root = options.webRoot ?? DEFAULT_WEB_ROOT;
  const page = await loadFile(join(root, 'public', 'index.html'));
  const assets = new Map([
    ...(await loadDir(join(root, 'public'), (name) => name !== 'index.html')),
    ...(await loadDir(join(root, 'dist'), (name) => name.endsWith('.js') || name.endsWith('.js.map'))),
  ]);
  const built = assets.has('main.js');
  if (!built) app.log.warn({ webRoot: root }, 'dashboard scripts are not built (npm run build); GET / answers 503');

  app.get('/', { schema: { hide: true } }, (request, reply) => {
    if (page === undefined || !built) {
      return reply
        .code(503)
        .header('cache-control', 'no-store')
        .type('application/json; charset=utf-8')
        .send({ isError: true, message: 'The dashboard is not built; run npm run build.' });
    }
    return send(request, reply, page);
  });

  app.get(
    '/assets/:name',
    { schema: { hide: true, params: Type.Object({ name: Type.String({ maxLength: 100 }) }) } },
    (request, reply) => {
      const file = assets.get(request.params.name);
      if (file === undefined) return reply.callNotFound();
      return send(request, reply, file);
    },
  );
};
