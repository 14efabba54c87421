// Security headers on every response (@fastify/helmet): one mechanism, one policy per kind of
// page. The default, for JSON and everything else, is the strictest: a document loaded from an
// API response may run nothing, load nothing and be framed by nobody. The HTML surfaces (the
// dashboard, Swagger UI at /docs, Bull Board) each get a Content-Security-Policy that allows
// what that page needs and nothing more (usePagePolicy in their scope). Tested in headless
// Chromium: every page loads with no CSP violation (tests/e2e/security-pages.test.ts).
//
// Not sent: Strict-Transport-Security (TLS ends at the proxy in front, which knows whether the
// whole domain is HTTPS and should set it) and upgrade-insecure-requests (the compose setup
// serves plain HTTP; upgrading would break every page there).
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

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

const policy = (directives: CspDirectives) => ({
  contentSecurityPolicy: { useDefaults: false, directives: directives as Record<string, string[]> },
});

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    ...policy(API_CSP),
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
  });
}

/** Every route registered in `scope` from now on (its child scopes' too) is a page with this policy. */
export function usePagePolicy(scope: FastifyInstance, directives: CspDirectives): void {
  scope.addHook('onRoute', (route) => {
    // @fastify/helmet reads `config.helmet` per request. (Its own onRoute hook copies a route's
    // `helmet` option there, but it was registered first, so it has already run.)
    route.config = { ...route.config, helmet: policy(directives) } as typeof route.config;
  });
}
