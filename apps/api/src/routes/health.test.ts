// /health (readiness, answered from the background probe) and /health/live (liveness, no I/O).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, ManualHealthTimers } from '@tubefeed/core';
import { createTestDatabase, silentLogger, testConfig, until, type TestDatabase } from '@tubefeed/core/testing';
import { startPrivateRedis, type PrivateRedis } from '@tubefeed/core/testing';
import { createApiRuntime, type ApiRuntime } from '../api-runtime.js';
import { buildTestApi, type TestApi } from '../testing/test-api.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');

describe('GET /health with its dependencies up', () => {
  let db: TestDatabase;
  let api: TestApi;
  beforeAll(async () => {
    db = await createTestDatabase();
    api = await buildTestApi({ databaseUrl: db.url, clock });
  });
  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it('answers 200 with every check up', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      isError: false,
      message: 'Server is Up and Running',
      checks: { mysql: 'up', redis: 'up', youtube: 'no_keys', feedChannel: 'up' },
      quotaResetAt: null,
      keys: { ok: 0, exhausted: 0, suspect: 0, disabled: 0 },
      quota: { projects: 0, buckets: { search: { used: 0, limit: 0, remaining: 0 }, units: { used: 0, limit: 0, remaining: 0 } } },
      youtube: {
        searching: false,
        resumesAt: null,
        message: 'No YouTube API key is configured: set YOUTUBE_API_KEYS or add one (POST /admin/keys); stored videos are still served.',
      },
    });
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['retry-after']).toBeUndefined();
  });

  it('/health/live answers 200 live', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toBe('{"isError":false,"message":"live"}');
  });
});

describe('/health answered from the background probe (timers fired by hand)', () => {
  let db: TestDatabase;
  let redisServer: PrivateRedis;
  let runtime: ApiRuntime;
  const timers = new ManualHealthTimers();
  const probeEnded = () => until('the probe to end', () => (timers.pending().length === 1 ? true : undefined));
  const health = () => runtime.app.inject({ method: 'GET', url: '/health' });
  beforeAll(async () => {
    db = await createTestDatabase();
    redisServer = await startPrivateRedis();
    runtime = await createApiRuntime({
      config: testConfig({ MYSQL_URL: db.url, REDIS_URL: redisServer.url }),
      log: silentLogger,
      clock,
      connectTimeoutMs: 1000,
      healthTimers: timers,
    });
  });
  afterAll(async () => {
    await runtime?.close();
    await redisServer?.stop();
    await db?.drop();
  });

  it('probes once for many concurrent requests, and not again until the interval has passed', async () => {
    // Nothing is probed before the app is ready.
    expect(runtime.health.probes()).toBe(0);
    const first = await Promise.all(Array.from({ length: 100 }, () => health()));
    expect(runtime.health.probes()).toBe(1);
    expect(new Set(first.map((r) => r.statusCode))).toEqual(new Set([200]));
    expect(new Set(first.map((r) => r.body)).size).toBe(1);
    expect(first[0]!.json()).toMatchObject({ isError: false, message: 'Server is Up and Running', checks: { mysql: 'up', redis: 'up' } });

    await probeEnded();
    expect(timers.pending()).toEqual([1000]);
    const later = await Promise.all(Array.from({ length: 100 }, () => health()));
    expect(runtime.health.probes()).toBe(1);
    expect(later.every((r) => r.statusCode === 200 && r.body === first[0]!.body)).toBe(true);

    timers.fire();
    await probeEnded();
    expect(runtime.health.probes()).toBe(2);
  });

  it('turns 503 at the first probe after Redis goes down, while /health/live stays 200 with no probe', async () => {
    await probeEnded();
    await redisServer.crash();
    try {
      const probes = runtime.health.probes();
      const live = await runtime.app.inject({ method: 'GET', url: '/health/live' });
      expect(live.statusCode).toBe(200);
      expect(live.json()).toEqual({ isError: false, message: 'live' });
      expect(runtime.health.probes()).toBe(probes);

      // The next probe, one interval after the last (bounded by the probe timeout).
      expect(timers.pending()).toEqual([1000]);
      timers.fire();
      await probeEnded();
      const down = await health();
      expect(down.statusCode).toBe(503);
      expect(down.headers['retry-after']).toBe('5');
      expect(down.headers['cache-control']).toBe('no-store');
      expect(down.json()).toMatchObject({ isError: true, message: 'Unavailable: redis', checks: { mysql: 'up', redis: 'down' } });
      expect((await runtime.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await redisServer.restart();
    }
    await until('/health 200 again', async () => {
      timers.fire();
      await probeEnded();
      const response = await health();
      return response.statusCode === 200 ? response : undefined;
    });
  });

  it('stops probing at close: no timer left, no probe after', async () => {
    await probeEnded();
    await runtime.close();
    expect(timers.pending()).toEqual([]);
    const probes = runtime.health.probes();
    timers.fire();
    expect(runtime.health.probes()).toBe(probes);
  });
});

describe('with the live-update channel down while MySQL and Redis answer', () => {
  // A Redis of its own whose default user may run every command but subscribe to no channel
  // (an ACL mistake): the API works, only change notices cannot arrive.
  let db: TestDatabase;
  let redisServer: PrivateRedis;
  let admin: Redis;
  let api: TestApi;
  const auth = { authorization: `Basic ${Buffer.from('admin:health-pw').toString('base64')}` };
  beforeAll(async () => {
    db = await createTestDatabase();
    redisServer = await startPrivateRedis();
    admin = new Redis(redisServer.url);
    await admin.call('ACL', 'SETUSER', 'default', 'resetchannels');
    api = await buildTestApi({ databaseUrl: db.url, clock, env: { REDIS_URL: redisServer.url, ADMIN_PASSWORD: 'health-pw' } });
  });
  afterAll(async () => {
    await api?.close();
    admin?.disconnect();
    await redisServer?.stop();
    await db?.drop();
  });

  const metric = async (name: string) => {
    const text = (await api.app.inject({ method: 'GET', url: '/metrics', headers: auth })).body;
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  };

  it('answers 200, degraded: the message says page 1 is refreshed by time; up again once SUBSCRIBE is allowed', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      isError: false,
      message: 'Degraded: the live-update channel is down; page 1 is refreshed by time instead of on change',
      checks: { mysql: 'up', redis: 'up', feedChannel: 'down' },
    });
    expect(await metric('tubefeed_feed_channel_up')).toBe(0);

    await admin.call('ACL', 'SETUSER', 'default', 'allchannels');
    await until('the channel to be up', async () => {
      const body = (await api.app.inject({ method: 'GET', url: '/health' })).json<{ checks: { feedChannel: string }; message: string }>();
      return body.checks.feedChannel === 'up' ? body : undefined;
    });
    const healthy = (await api.app.inject({ method: 'GET', url: '/health' })).json<{ message: string }>();
    expect(healthy.message).toBe('Server is Up and Running');
    expect(await metric('tubefeed_feed_channel_up')).toBe(1);
    // Never up before, so nothing was lost.
    expect(await metric('tubefeed_feed_channel_losses_total')).toBe(0);
  });
});

describe('with MySQL and Redis unreachable (closed ports)', () => {
  let api: TestApi;
  beforeAll(async () => {
    const config = testConfig({
      MYSQL_URL: 'mysql://root@127.0.0.1:1/tubefeed',
      REDIS_URL: 'redis://127.0.0.1:1',
      YOUTUBE_API_KEYS: 'test-key-0000000001',
    });
    api = await buildTestApi({ config, clock });
  });
  afterAll(async () => {
    await api.close();
  });

  it('/health answers 503 naming the failing checks, within 2 s', async () => {
    const started = performance.now();
    const response = await api.app.inject({ method: 'GET', url: '/health' });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toEqual({
      isError: true,
      message: 'Unavailable: mysql, redis',
      checks: { mysql: 'down', redis: 'down', youtube: 'unknown', feedChannel: 'down' },
      quotaResetAt: null,
      keys: null,
      quota: null,
      youtube: { searching: null, resumesAt: null, message: 'The state of the YouTube keys is unknown while Redis cannot be read.' },
    });
  });

  it('/health/live answers 200: it asks neither MySQL nor Redis', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ isError: false, message: 'live' });
  });

  it('/getData answers a JSON 503 quickly instead of hanging or a 500', async () => {
    const started = performance.now();
    const response = await api.app.inject({ method: 'GET', url: '/getData?limit=5' });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ isError: true, message: 'The service is temporarily unavailable; try again shortly.' });
    expect(response.headers['retry-after']).toBe('5');
  });
});
