// End to end: the HTML surfaces work under their own Content-Security-Policy in headless
// Chromium (playwright-core), against the API as deployed, listening on a port: Swagger UI at
// /docs renders the operations, Bull Board at /admin/queues shows the fetch queue, the dashboard
// renders its (empty) list; none of them triggers a CSP violation, a console error or a page
// error. Offline here: Bull Board's Google Fonts are refused at once, as a network failure (its
// policy allows them; a violation would be a different error).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '@tubefeed/core';
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

  it('the dashboard at / renders', async () => {
    const { problems, violations, close } = await visit('/', '#videos[aria-busy="false"]');
    await close();
    expect(violations).toEqual([]);
    expect(problems).toEqual([]);
  });
});
