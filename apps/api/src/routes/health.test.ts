import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@tubefeed/core';
import { createTestDatabase, testConfig, type TestDatabase } from '@tubefeed/core/testing';
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
      checks: { mysql: 'up', redis: 'up', youtube: 'no_keys' },
      quotaResetAt: null,
      keys: { ok: 0, exhausted: 0, disabled: 0 },
      youtube: {
        searching: false,
        resumesAt: null,
        message: 'No YouTube API key is configured: set YOUTUBE_API_KEYS or add one (POST /admin/keys); stored videos are still served.',
      },
    });
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
      checks: { mysql: 'down', redis: 'down', youtube: 'unknown' },
      quotaResetAt: null,
      keys: null,
      youtube: { searching: null, resumesAt: null, message: 'The state of the YouTube keys is unknown while Redis cannot be read.' },
    });
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
