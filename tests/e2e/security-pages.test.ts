// End to end: the HTML surfaces work under their own Content-Security-Policy in headless
// Chromium (playwright-core), against the API as deployed, listening on a port: Swagger UI at
// /docs renders the operations, Bull Board at /admin/queues shows the fetch queue, the dashboard
// renders its (empty) list and connects its live stream; none of them triggers a CSP
// violation, a console error or a page error. Offline here: Bull Board's Google Fonts are refused at once, as a network failure (its
// policy allows them; a violation would be a different error). And admin changes: Bull Board's
// own page pauses the queue (its fetch is same-origin), while a page on another site (or a
// sibling on the same site) that posts a form or a fetch to the admin routes is refused.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetchQueue, systemClock } from '@tubefeed/core';
import { clearRedisPrefix, createTestDatabase, createTestRedis, silentLogger, testConfig, type TestDatabase } from '@tubefeed/core/testing';
import { createApiRuntime, type ApiRuntime } from '../../apps/api/src/api-runtime.js';
import { launchChromium } from './browser.js';

const GOOGLE_FONTS = /^https:\/\/fonts\.(googleapis|gstatic)\.com\//;
const PASSWORD = 'pages-test-password';

let db: TestDatabase;
let api: ApiRuntime;
let baseUrl: string;
let browser: Browser;
const redis = createTestRedis();
let prefix: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const config = testConfig({ MYSQL_URL: db.url, ADMIN_PASSWORD: PASSWORD, RATE_LIMIT_MAX: '1000' });
  prefix = config.redis.prefix;
  api = await createApiRuntime({ config, log: silentLogger, clock: systemClock });
  baseUrl = await api.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await clearRedisPrefix(redis, prefix);
  redis.disconnect();
  await db?.drop();
});

interface Visit {
  readonly problems: string[];
  readonly violations: string[];
  readonly page: Page;
  close(): Promise<void>;
}

async function visit(path: string, ready: string): Promise<Visit> {
  const context = await browser.newContext({ httpCredentials: { username: 'admin', password: PASSWORD } });
  await context.route(GOOGLE_FONTS, (route) => route.abort('internetdisconnected'));
  // Every violation, reported by the page itself (console messages are checked too).
  await context.addInitScript(`
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (event) => window.__violations.push(event.violatedDirective + ' ' + event.blockedURI));
  `);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    const url = message.location().url;
    // The fonts' network failures (offline), reported by their requests below.
    if (message.text().startsWith('Failed to load resource') && GOOGLE_FONTS.test(url)) return;
    problems.push(`console ${message.type()}: ${message.text()} (${url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    if (!GOOGLE_FONTS.test(request.url())) problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  const response = await page.goto(`${baseUrl}${path}`);
  expect(response?.headers()['content-security-policy'], path).toBeTruthy();
  await page.waitForSelector(ready, { state: 'attached' });
  // Let late work (lazy chunks, polling, fonts) happen under the policy too.
  await page.waitForLoadState('networkidle');
  const violations = await page.evaluate<string[]>('window.__violations');
  return { problems, violations, page, close: () => context.close() };
}

describe('HTML surfaces under their Content-Security-Policy', () => {
  it('Swagger UI at /docs renders every public operation', async () => {
    const { problems, violations, page, close } = await visit('/docs', '.opblock-summary-path');
    const paths = await page.locator('.opblock-summary-path').allTextContents();
    expect(paths.map((text) => text.replace(/\u200b/g, ''))).toEqual(expect.arrayContaining(['/getData', '/videos', '/videos/search', '/queries', '/health']));
    // Expanding an operation renders its parameters (more of the UI under the policy).
    await page.locator('.opblock-summary', { hasText: '/getData' }).first().click();
    await page.waitForSelector('.parameters');
    expect(await page.locator('.parameters .parameter__name').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('limit')]));
    await close();
    expect(violations).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('Bull Board at /admin/queues shows the fetch queue', async () => {
    const { problems, violations, page, close } = await visit('/admin/queues', 'text=fetch');
    expect(await page.title()).toBe('tubefeed');
    // The queue's own page (its job lists) too.
    await page.locator('a', { hasText: 'fetch' }).first().click();
    await page.waitForURL(/\/admin\/queues\/queue\/fetch/);
    await page.waitForLoadState('networkidle');
    violations.push(...(await page.evaluate<string[]>('window.__violations')));
    await close();
    expect(violations).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('the dashboard at / renders and follows the live stream', async () => {
    const { problems, violations, page, close } = await visit('/', '#videos[aria-busy="false"]');
    // The EventSource on /videos/stream is a same-origin connection its connect-src allows.
    await page.locator('#live-status[data-state="connected"]').waitFor();
    violations.push(...(await page.evaluate<string[]>('window.__violations')));
    await close();
    expect(violations).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('admin changes from a browser', () => {
  /** The headers of the requests as the API received them (what Chromium really sent). */
  const received = (method: string, path: string) => {
    const seen: IncomingHttpHeaders[] = [];
    const listener = (request: IncomingMessage) => {
      if (request.method === method && request.url === path) seen.push(request.headers);
    };
    api.app.server.on('request', listener);
    return { seen, stop: () => api.app.server.off('request', listener) };
  };

  it("Bull Board's own page pauses the queue", async () => {
    const queue = createFetchQueue(redis, prefix, silentLogger);
    try {
      const pauses = received('PUT', '/admin/queues/api/queues/fetch/pause');
      const { problems, page, close } = await visit('/admin/queues/queue/fetch', '[aria-haspopup="menu"]');
      await page.locator('[aria-haspopup="menu"]').first().click();
      await page.getByRole('menuitem', { name: 'Pause' }).click();
      const paused = page.waitForResponse((response) => response.request().method() === 'PUT' && response.url().endsWith('/api/queues/fetch/pause'));
      await page.getByRole('button', { name: 'Confirm' }).click();
      const response = await paused;
      await close();
      pauses.stop();
      expect(response.status()).toBe(200);
      expect(pauses.seen).toEqual([expect.objectContaining({ 'sec-fetch-site': 'same-origin', origin: baseUrl })]);
      expect(await queue.isPaused()).toBe(true);
      expect(problems).toEqual([]);
      await queue.resume();
    } finally {
      await queue.close();
    }
  });

  it('a page on another site, or a sibling on this site, cannot follow a query or add a job', async () => {
    const apiUrl = new URL(baseUrl);
    // The page a visitor is lured to: a form that posts itself to an admin route (the classic
    // CSRF: no preflight, and the browser adds the Basic credentials it holds for the API).
    const attacker: Server = createServer((request, response) => {
      const action = new URL(request.url ?? '/', 'http://attacker').searchParams.get('action') ?? '';
      response.setHeader('content-type', 'text/html; charset=utf-8');
      response.end(`<!doctype html><html><body>
        <form id="csrf" method="POST" enctype="text/plain" action="${baseUrl}${action}">
          <input name='{"text":"planted by another site","name":"planted","pad":"' value='"}'>
        </form>
        <script>document.getElementById('csrf').submit();</script>
      </body></html>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const port = (attacker.address() as AddressInfo).port;
    const queue = createFetchQueue(redis, prefix, silentLogger);
    try {
      const jobsBefore = await queue.getJobCounts();
      // localhost is another site than 127.0.0.1; another port of 127.0.0.1 is the same site, another origin.
      for (const [site, origin] of [
        ['cross-site', `http://localhost:${port}`],
        ['same-site', `http://${apiUrl.hostname}:${port}`],
      ] as const) {
        for (const action of ['/admin/queries', '/admin/queues/api/queues/fetch/add']) {
          const context = await browser.newContext({ httpCredentials: { username: 'admin', password: PASSWORD } });
          const page = await context.newPage();
          page.setDefaultTimeout(15_000);
          const sent = received('POST', action);
          const posted = page.waitForResponse((response) => response.request().method() === 'POST' && response.url() === `${baseUrl}${action}`);
          await page.goto(`${origin}/?action=${encodeURIComponent(action)}`);
          const response = await posted;
          const where = `${site} POST ${action}`;
          expect(response.status(), where).toBe(403);
          sent.stop();
          expect(sent.seen, where).toEqual([expect.objectContaining({ 'sec-fetch-site': site, origin })]);
          // The form's navigation shows the refusal itself.
          await page.waitForURL(`${baseUrl}${action}`);
          expect(JSON.parse((await page.locator('body').textContent()) ?? ''), where).toEqual({
            isError: true,
            message: `Cross-site admin request refused: Sec-Fetch-Site is ${site}; admin changes are taken only from this server's own pages, or from clients that send neither Origin nor Sec-Fetch-Site.`,
          });
          await context.close();
        }
      }
      expect(await queue.getJobCounts()).toEqual(jobsBefore);
      const queries = await fetch(`${baseUrl}/admin/queries`, { headers: { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` } });
      expect(queries.status).toBe(200);
      expect(await queries.text()).not.toContain('planted');
    } finally {
      await queue.close();
      await new Promise((resolve) => attacker.close(resolve));
    }
  });
});
