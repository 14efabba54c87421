// Cross-origin reads of the public API (@fastify/cors), for the origins CORS_ORIGINS names: none
// by default (no CORS header at all), any with `*`, or a list. Registered in the public routes'
// scope, so admin responses never carry a CORS header. The plugin's preflight route (OPTIONS *)
// would also answer preflights for admin paths, which would let a page elsewhere send a
// non-simple request there; the delegator refuses those (they get 404, as without CORS).
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '@tubefeed/core';

/** Admin surfaces by path, as the router would match them (percent-decoded, dot segments are the browser's job). */
export function isAdminPath(url: string): boolean {
  const raw = url.split('?', 1)[0] ?? '';
  let path = raw;
  try {
    path = decodeURIComponent(raw);
  } catch {
    // A malformed escape: judged as sent.
  }
  return path === '/metrics' || path.startsWith('/metrics/') || path === '/admin' || path.startsWith('/admin/');
}

export async function registerCors(scope: FastifyInstance, settings: Config['cors']): Promise<void> {
  const { origins } = settings;
  if (origins !== '*' && origins.length === 0) return;
  const options = {
    origin: origins === '*' ? '*' : [...origins],
    methods: ['GET', 'HEAD'],
    // What a page may read besides the CORS-safelisted headers: validators and the rate limit.
    exposedHeaders: ['ETag', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
    maxAge: 600,
  };
  // An OPTIONS request that is not a preflight (no Origin or no Access-Control-Request-Method)
  // gets no CORS either: a plain 404 in the error shape, not the plugin's text/plain 400.
  const notPreflight = (request: FastifyRequest) =>
    request.method === 'OPTIONS' && (request.headers.origin === undefined || request.headers['access-control-request-method'] === undefined);
  await scope.register(cors, {
    delegator: (request: FastifyRequest, callback: (error: Error | null, options: object) => void) =>
      callback(null, isAdminPath(request.url) || notPreflight(request) ? { origin: false } : options),
  });
}
