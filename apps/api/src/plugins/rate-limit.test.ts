// The public rate limit, through the API as deployed (createApiRuntime): two API processes on
// one Redis prefix enforce one limit per client; 429 in the error shape with Retry-After and the
// RateLimit headers; /health and the admin surfaces are outside it; a forged X-Forwarded-For
// escapes nothing unless TRUST_PROXY trusts the peer; RATE_LIMIT_MAX=0 turns it off; Redis away
// fails nothing open or shut: the limit holds per process and a warning is logged.
import { describe, expect, it } from 'vitest';
import { ManualClock, loadConfig } from '@tubefeed/core';
import { captureLog } from '../testing/log-capture.js';
import { useTestApis, type TestApi } from '../testing/test-api.js';
import { rateLimitKey } from './shared-rate-limit-store.js';

const WINDOW = 60_000;
// 15 s into a window, frozen: the window never ends under a test, and Retry-After is known.
const clock = new ManualClock(Math.floor(Date.parse('2024-06-01T00:00:00Z') / WINDOW) * WINDOW + 15_000);
const windowIndex = Math.floor(clock.now().getTime() / WINDOW);
const { start, replica, redis } = useTestApis({ clock, env: { RATE_LIMIT_WINDOW_MS: String(WINDOW), ADMIN_PASSWORD: 'admin-secret' } });

const get = (api: TestApi, url: string, headers: Record<string, string> = {}, remoteAddress?: string) =>
  api.app.inject({ method: 'GET', url, headers, ...(remoteAddress === undefined ? {} : { remoteAddress }) });

/** Until this process's counts are in Redis (the counter syncs every 100 ms). */
const shared = (prefix: string, client: string, total: number) =>
  expect.poll(() => redis.get(rateLimitKey(prefix, 'public', windowIndex, client)), { timeout: 5000, interval: 20 }).toBe(String(total));

describe('public rate limit', () => {
  it('is one limit per client across two API processes on one Redis prefix', async () => {
    const a = await start({ RATE_LIMIT_MAX: '6' });
    const b = await replica(a);
    const prefix = a.config.redis.prefix;

    // One count for every public route.
    const remaining: string[] = [];
    for (const url of ['/getData', '/videos', '/getData?limit=1', '/queries']) {
      const response = await get(a, url);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['ratelimit-limit']).toBe('6');
      remaining.push(String(response.headers['ratelimit-remaining']));
    }
    expect(remaining).toEqual(['5', '4', '3', '2']);
    await shared(prefix, '127.0.0.1', 4);

    // B knows A's four once it has synced its own first request.
    expect((await get(b, '/videos')).statusCode).toBe(200);
    await shared(prefix, '127.0.0.1', 5);
    const last = await get(b, '/getData');
    expect(last.statusCode).toBe(200);
    expect(last.headers['ratelimit-remaining']).toBe('0');

    const refused = await get(b, '/getData');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(refused.json()).toEqual({ isError: true, message: 'Too many requests: at most 6 per 60 s from one address; try again in 45 s.' });
    expect(refused.headers['retry-after']).toBe('45');
    expect(refused.headers).toMatchObject({ 'ratelimit-limit': '6', 'ratelimit-remaining': '0', 'ratelimit-reset': '45' });
    // Security headers stay on refusals.
    expect(refused.headers['x-content-type-options']).toBe('nosniff');

    // A admits at most what it has not yet heard of (the documented overshoot), then refuses too.
    await shared(prefix, '127.0.0.1', 7);
    const beforeSync = await get(a, '/videos');
    expect(beforeSync.statusCode).toBe(200);
    await shared(prefix, '127.0.0.1', 8);
    expect((await get(a, '/videos')).statusCode).toBe(429);
    expect((await get(a, '/docs/json')).statusCode).toBe(429);
    expect((await get(a, '/')).statusCode).toBe(429);

    // Another client has a count of its own.
    expect((await get(a, '/getData', {}, '192.0.2.10')).statusCode).toBe(200);

    // Outside the limit: probes, and the admin surfaces (their own limit counts failed logins).
    expect((await get(a, '/health')).statusCode).toBe(200);
    const admin = await get(a, '/admin/queries', { authorization: `Basic ${Buffer.from('admin:admin-secret').toString('base64')}` });
    expect(admin.statusCode).toBe(200);
    expect(admin.headers['ratelimit-limit']).toBeUndefined();
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY trusts the peer that sent it', async () => {
    const untrusting = await start({ RATE_LIMIT_MAX: '1' });
    expect((await get(untrusting, '/videos')).statusCode).toBe(200);
    for (const forged of ['198.51.100.1', '198.51.100.2, 10.0.0.1']) {
      expect((await get(untrusting, '/videos', { 'x-forwarded-for': forged })).statusCode, forged).toBe(429);
    }

    const behindProxy = await start({ RATE_LIMIT_MAX: '1', TRUST_PROXY: '10.0.0.0/8' });
    const viaProxy = (client: string) => get(behindProxy, '/videos', { 'x-forwarded-for': client }, '10.1.2.3');
    expect((await viaProxy('198.51.100.1')).statusCode).toBe(200);
    expect((await viaProxy('198.51.100.1')).statusCode).toBe(429);
    expect((await viaProxy('198.51.100.2')).statusCode).toBe(200);
    // The header from a peer that is not a trusted proxy is ignored again.
    expect((await get(behindProxy, '/videos', { 'x-forwarded-for': '198.51.100.3' }, '192.0.2.1')).statusCode).toBe(200);
    expect((await get(behindProxy, '/videos', { 'x-forwarded-for': '198.51.100.4' }, '192.0.2.1')).statusCode).toBe(429);
  });

  it('is off with RATE_LIMIT_MAX=0', async () => {
    const api = await start({ RATE_LIMIT_MAX: '0' });
    for (let i = 0; i < 30; i++) {
      const response = await get(api, '/videos');
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-limit']).toBeUndefined();
    }
  });

  it('with Redis away, fails no request and still limits within the process, and says so', async () => {
    const captured = captureLog('warn');
    const api = await start({ RATE_LIMIT_MAX: '3', REDIS_URL: 'redis://127.0.0.1:1' }, captured.log);
    for (let i = 0; i < 3; i++) expect((await get(api, '/videos')).statusCode).toBe(200);
    expect((await get(api, '/videos')).statusCode).toBe(429);
    await expect
      .poll(() => captured.lines.some((line) => line.msg.startsWith('rate limit counts not shared')), { timeout: 5000, interval: 20 })
      .toBe(true);
  });

  it('counts only what TRUST_PROXY, RATE_LIMIT_MAX and RATE_LIMIT_WINDOW_MS say (config errors name the variable)', () => {
    expect(() => loadConfig({ RATE_LIMIT_MAX: '-1' })).toThrow(/RATE_LIMIT_MAX/);
    expect(() => loadConfig({ RATE_LIMIT_WINDOW_MS: '10' })).toThrow(/RATE_LIMIT_WINDOW_MS/);
  });
});
