// Security headers on every response (helmet, its values worked out once per policy): one
// mechanism, one policy per kind of page. The default, for JSON and everything else, is the
// strictest: a document loaded from an API response may run nothing, load nothing and be
// framed by nobody. The HTML surfaces (the
// dashboard, Swagger UI at /docs, Bull Board) each get a Content-Security-Policy that allows
// what that page needs and nothing more (usePagePolicy in their scope). Tested in headless
// Chromium: every page loads with no CSP violation (tests/e2e/security-pages.test.ts).
//
// Not sent: Strict-Transport-Security (TLS ends at the proxy in front, which knows whether the
// whole domain is HTTPS and should set it) and upgrade-insecure-requests (the compose setup
// serves plain HTTP; upgrading would break every page there).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

export type CspDirectives = Readonly<Record<string, readonly string[]>>;

/** JSON responses and anything without a page policy. */
export const API_CSP: CspDirectives = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/** The dashboard: its own scripts, styles and images; thumbnails from YouTube's image host. */
export const DASHBOARD_CSP: CspDirectives = {
  'default-src': ["'self'"],
  'img-src': ["'self'", 'https://i.ytimg.com', 'data:'],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** Swagger UI (@fastify/swagger-ui): its bundled scripts; it styles elements inline and shows data: images. */
export const SWAGGER_UI_CSP: CspDirectives = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * Bull Board's UI: its bundled scripts; inline styles (its loading screen and components); the
 * IBM Plex fonts it links from Google Fonts; `<base href>` to its own path.
 */
export const BULL_BOARD_CSP: CspDirectives = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
  'font-src': ["'self'", 'https://fonts.gstatic.com'],
  'img-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

type Headers = Readonly<Record<string, string>>;

/**
 * The headers helmet sets for a policy, worked out once. @fastify/helmet builds a helmet instance
 * (parsing every directive) and sets each header through Node's validating setHeader on every
 * request, which cost the page-1 path about half its CPU; the values never change, so helmet
 * runs once per policy here and each response gets the finished set in one `reply.headers`.
 */
function headersFor(directives: CspDirectives): Headers {
  const headers: Record<string, string> = {};
  const collect = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives },
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
  })({} as IncomingMessage, collect as unknown as ServerResponse, (error?: unknown) => {
    if (error !== undefined && error !== null) throw error as Error;
  });
  return Object.freeze(headers);
}

const DEFAULT_HEADERS = headersFor(API_CSP);
/** Where a page scope puts its route's headers (route config is per route, read per request). */
const HEADERS_KEY = 'securityHeaders';

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    const own = (request.routeOptions.config as { [HEADERS_KEY]?: Headers } | undefined)?.[HEADERS_KEY];
    reply.headers(own ?? DEFAULT_HEADERS);
    done();
  });
}

/** Every route registered in `scope` from now on (its child scopes' too) is a page with this policy. */
export function usePagePolicy(scope: FastifyInstance, directives: CspDirectives): void {
  const headers = headersFor(directives);
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, [HEADERS_KEY]: headers } as typeof route.config;
  });
}
