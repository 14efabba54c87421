// Security headers (helmet) on every kind of response, each HTML surface with its own policy;
// CORS for the public API only, as CORS_ORIGINS says, never on the admin surfaces.
// (That the pages actually work under their policies is shown in Chromium:
// tests/e2e/security-pages.test.ts and tests/e2e/dashboard.test.ts.)
import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '@tubefeed/core';
import { parseCsp } from '../testing/csp.js';
import { useTestApis, type TestApi } from '../testing/test-api.js';
import { isAdminPath } from './cors.js';
import { API_CSP, BULL_BOARD_CSP, DASHBOARD_CSP, SWAGGER_UI_CSP } from './security-headers.js';

const AUTH = { authorization: `Basic ${Buffer.from('admin:pw-for-tests').toString('base64')}` };
const { start } = useTestApis({ clock: systemClock, env: { ADMIN_PASSWORD: 'pw-for-tests' } });

describe('security headers', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await start();
  });

  const COMMON = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };

  it.each([
    ['/getData', 200, API_CSP],
    ['/getData?limit=abc', 400, API_CSP],
    ['/videos', 200, API_CSP],
    ['/health', 200, API_CSP],
    ['/no/such/route', 404, API_CSP],
    ['/', 200, DASHBOARD_CSP],
    ['/assets/main.js', 200, DASHBOARD_CSP],
    ['/docs', 200, SWAGGER_UI_CSP],
    ['/docs/json', 200, SWAGGER_UI_CSP],
    ['/docs/static/swagger-initializer.js', 200, SWAGGER_UI_CSP],
    ['/admin/queues', 200, BULL_BOARD_CSP],
    ['/admin/queues/api/queues', 200, BULL_BOARD_CSP],
    ['/admin/keys', 200, API_CSP],
  ] as const)('GET %s (%i) carries its policy and the common headers', async (url, status, csp) => {
    const response = await api.app.inject({ method: 'GET', url, headers: AUTH });
    expect(response.statusCode).toBe(status);
    expect(parseCsp(response.headers['content-security-policy'] as string)).toEqual(csp);
    expect(response.headers).toMatchObject(COMMON);
    // TLS is the proxy's business: no HSTS from here.
    expect(response.headers['strict-transport-security']).toBeUndefined();
  });

  it('keeps the policies as narrow as the pages need', () => {
    for (const csp of [DASHBOARD_CSP, SWAGGER_UI_CSP, BULL_BOARD_CSP]) {
      expect(csp['script-src']).toEqual(["'self'"]);
      expect(csp['object-src']).toEqual(["'none'"]);
      expect(csp['frame-ancestors']).toEqual(["'none'"]);
      expect(Object.values(csp).flat()).not.toContain("'unsafe-eval'");
    }
    expect(DASHBOARD_CSP['style-src']).toEqual(["'self'"]);
  });
});

describe('CORS', () => {
  const preflight = (api: TestApi, url: string, origin: string) =>
    api.app.inject({
      method: 'OPTIONS',
      url,
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' },
    });

  it('is off by default: no CORS header, no preflight', async () => {
    const api = await start();
    const response = await api.app.inject({ method: 'GET', url: '/getData', headers: { origin: 'https://elsewhere.example' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect((await preflight(api, '/getData', 'https://elsewhere.example')).statusCode).toBe(404);
  });

  it('allows the listed origins only, with preflight, validators and rate-limit headers readable', async () => {
    const api = await start({ CORS_ORIGINS: 'https://app.example,http://localhost:5173' });
    const allowed = await api.app.inject({ method: 'GET', url: '/videos', headers: { origin: 'https://app.example' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(allowed.headers.vary).toMatch(/Origin/i);
    expect(String(allowed.headers['access-control-expose-headers'])).toMatch(/ETag.*Retry-After/);
    const other = await api.app.inject({ method: 'GET', url: '/videos', headers: { origin: 'https://evil.example' } });
    expect(other.statusCode).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const ok = await preflight(api, '/getData', 'http://localhost:5173');
    expect(ok.statusCode).toBe(204);
    expect(ok.headers).toMatchObject({ 'access-control-allow-origin': 'http://localhost:5173', 'access-control-allow-methods': 'GET, HEAD' });
    expect(ok.headers['access-control-allow-headers']).toBe('if-none-match');
  });

  it('with *, any origin may read the public API, and still never the admin surfaces', async () => {
    const api = await start({ CORS_ORIGINS: '*' });
    for (const url of ['/getData', '/videos/search?q=tea', '/queries', '/docs/json']) {
      const response = await api.app.inject({ method: 'GET', url, headers: { origin: 'https://any.example' } });
      expect(response.headers['access-control-allow-origin'], url).toBe('*');
    }
    for (const url of ['/admin/keys', '/admin/queries', '/admin/queues', '/admin/queues/api/queues', '/metrics', '/%61dmin/keys']) {
      const response = await api.app.inject({ method: 'GET', url, headers: { origin: 'https://any.example', ...AUTH } });
      expect(response.headers['access-control-allow-origin'], url).toBeUndefined();
      const options = await preflight(api, url, 'https://any.example');
      expect(options.statusCode, url).toBe(404);
      expect(options.headers['access-control-allow-origin'], url).toBeUndefined();
    }
  });

  it('knows the admin paths as the router does', () => {
    for (const path of ['/admin', '/admin/keys', '/admin/queues/api/queues?x=1', '/%61dmin/keys', '/metrics', '/metrics?x']) expect(isAdminPath(path), path).toBe(true);
    for (const path of ['/', '/getData', '/administrator', '/metricsx', '/docs/admin', '/%E0%A4%A']) expect(isAdminPath(path), path).toBe(false);
  });
});
