import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyPool, nextPacificMidnight, poolKey, staticKeySource, systemClock } from '@tubefeed/core';
import { clearRedisPrefix, createTestDatabase, createTestRedis, silentLogger, until, type TestDatabase } from '@tubefeed/core/testing';
import { buildTestApi, type TestApi } from '../testing/test-api.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('Bull Board and admin routes', () => {
  it('are off without ADMIN_PASSWORD and say how to turn them on', async () => {
    const api = await buildTestApi({ clock: systemClock, databaseUrl: db.url });
    try {
      for (const url of ['/admin/queues', '/admin/queues/api/queues']) {
        const response = await api.app.inject({ method: 'GET', url, headers: { authorization: basic('admin', '') } });
        expect(response.statusCode).toBe(403);
        expect(response.json()).toEqual({
          isError: true,
          message: 'Admin routes are disabled: set ADMIN_PASSWORD (and optionally ADMIN_USER) to enable them.',
        });
      }
    } finally {
      await api.close();
    }
  });

  it('need the configured credentials', async () => {
    const api = await buildTestApi({ clock: systemClock, databaseUrl: db.url, env: { ADMIN_USER: 'ops', ADMIN_PASSWORD: 'correct horse' } });
    try {
      const anonymous = await api.app.inject({ method: 'GET', url: '/admin/queues' });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm="tubefeed admin"/);
      expect(anonymous.json<{ isError: boolean }>().isError).toBe(true);
      for (const [user, password] of [['ops', 'wrong'], ['admin', 'correct horse'], ['ops', 'correct horse ']]) {
        const response = await api.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: basic(user!, password!) } });
        expect(response.statusCode).toBe(401);
      }
      const page = await api.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: basic('ops', 'correct horse') } });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      const queues = await api.app.inject({
        method: 'GET',
        url: '/admin/queues/api/queues',
        headers: { authorization: basic('ops', 'correct horse') },
      });
      expect(queues.statusCode).toBe(200);
      expect(queues.json<{ queues: Array<{ name: string }> }>().queues.map((q) => q.name)).toEqual(['fetch', 'webhook-deliveries', 'enrich-videos', 'poll-channels']);
    } finally {
      await api.close();
    }
  });
});

describe('/health and the YouTube keys', () => {
  let api: TestApi;
  const redis = createTestRedis();
  afterAll(async () => {
    await api.close();
    await clearRedisPrefix(redis, api.config.redis.prefix);
    redis.disconnect();
  });

  it('stays 200 with every key out of quota, and says when the quota resets', async () => {
    api = await buildTestApi({ clock: systemClock, databaseUrl: db.url, env: { YOUTUBE_API_KEYS: 'test-key-aaaa00001,test-key-bbbb00002' } });
    const ok = await api.app.inject({ method: 'GET', url: '/health' });
    expect(ok.json()).toMatchObject({ checks: { youtube: 'ok' }, quotaResetAt: null });
    const pool = createKeyPool({
      redis,
      prefix: api.config.redis.prefix,
      source: staticKeySource([]),
      clock: systemClock,
      quota: api.config.youtube.quota,
      log: silentLogger,
    });
    for (const key of ['test-key-aaaa00001', 'test-key-bbbb00002']) await pool.markExhausted(poolKey(key), 'search');
    // /health answers from a background probe (once a second): the next one sees the keys spent.
    const response = await until('/health to see the keys spent', async () => {
      const answer = await api.app.inject({ method: 'GET', url: '/health' });
      return answer.json<{ checks: { youtube: string } }>().checks.youtube === 'quota_exhausted' ? answer : undefined;
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      isError: false,
      message: 'Server is Up and Running',
      checks: { mysql: 'up', redis: 'up', youtube: 'quota_exhausted', feedChannel: 'up' },
      quotaResetAt: nextPacificMidnight(new Date()).toISOString(),
      keys: { ok: 0, exhausted: 2, suspect: 0, disabled: 0 },
      // Two keys of projects of their own: 200 searches a day, none left; their units untouched.
      quota: {
        projects: 2,
        buckets: { search: { used: 0, limit: 200, remaining: 0 }, units: { used: 0, limit: 20_000, remaining: 20_000 } },
      },
      youtube: {
        searching: false,
        resumesAt: nextPacificMidnight(new Date()).toISOString(),
        message: `Every usable YouTube project has spent its searches for the day: no search until ${nextPacificMidnight(new Date()).toISOString()} (midnight Pacific time); stored videos are still served.`,
      },
    });
  });
});
