// /health (readiness, answered from the background probe) and /health/live (liveness, no I/O).
// Under a flood of /health requests the dependencies are still probed at the probe rate (about
// once a second), counted in statements and commands rather than timed, and an outage still
// shows within about two probe periods.
import { Agent, request } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, ManualHealthTimers } from '@tubefeed/core';
import { createTestDatabase, silentLogger, testConfig, until, type TestDatabase } from '@tubefeed/core/testing';
import { startPrivateRedis, startSqlCountingProxy, type PrivateRedis, type SqlCountingProxy } from '@tubefeed/core/testing';
import { createApiRuntime, type ApiRuntime } from '../api-runtime.js';
import { buildTestApi, type TestApi } from '../testing/test-api.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');

/** The flood: this many /health requests over about this many seconds, in waves, on this many connections. */
const FLOOD_REQUESTS = 2000;
const FLOOD_SECONDS = 2;
const FLOOD_WAVES = 20;
const FLOOD_CONNECTIONS = 50;

/** The documented body of a healthy API with no YouTube key. */
const UP_WITHOUT_KEYS = {
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
};

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
    expect(response.json()).toEqual(UP_WITHOUT_KEYS);
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

describe('/health under a flood (real timers, a listening server)', () => {
  // Every MySQL statement and Redis command counted here is this API's own: its MySQL pool goes
  // through a counting proxy and its Redis is a private server, so suites running beside this
  // one on the shared servers cannot blur the figures, and no figure is a time.
  let db: TestDatabase;
  let sqlProxy: SqlCountingProxy;
  let redisServer: PrivateRedis;
  let stats: Redis;
  let runtime: ApiRuntime;
  let port: number;
  const agent = new Agent({ keepAlive: true, maxSockets: FLOOD_CONNECTIONS });

  beforeAll(async () => {
    db = await createTestDatabase();
    const server = new URL(db.url);
    sqlProxy = await startSqlCountingProxy({ host: server.hostname, port: Number(server.port || 3306) });
    const proxied = new URL(db.url);
    proxied.port = String(sqlProxy.port);
    redisServer = await startPrivateRedis();
    stats = new Redis(redisServer.url, { maxRetriesPerRequest: 0, retryStrategy: () => 200 });
    stats.on('error', () => undefined); // the Redis outage below is on purpose
    runtime = await createApiRuntime({
      config: testConfig({ MYSQL_URL: proxied.toString(), REDIS_URL: redisServer.url }),
      log: silentLogger,
      clock,
      connectTimeoutMs: 1000,
    });
    port = Number(new URL(await runtime.app.listen({ port: 0, host: '127.0.0.1' })).port);
  });
  afterAll(async () => {
    agent.destroy();
    await runtime?.close();
    stats?.disconnect();
    await redisServer?.stop();
    await sqlProxy?.close();
    await db?.drop();
  });

  function get(path: string): Promise<{ status: number; body: string; retryAfter: string | undefined }> {
    return new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), retryAfter: response.headers['retry-after'] }),
        );
        response.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
  }

  /** Commands the private Redis has run, but for the INFO this count itself sends. */
  async function redisCommands(): Promise<number> {
    const info = await stats.info('commandstats');
    let calls = 0;
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (match[1] !== 'info') calls += Number(match[2]);
    return calls;
  }

  async function dependencyTraffic() {
    return { sql: sqlProxy.counts().statements, redis: await redisCommands(), probes: runtime.health.probes(), at: performance.now() };
  }

  it('probes MySQL and Redis at the probe rate, not per request: 2,000 requests in about 2 s, every answer the documented 200', async () => {
    // The API's traffic while nobody asks, per probe round (the probe and whatever runs in the background).
    await until('the first probe', async () => ((await get('/health')).status === 200 ? true : undefined));
    const idleFrom = await dependencyTraffic();
    await until('three more probes', () => (runtime.health.probes() >= idleFrom.probes + 3 ? true : undefined), 10_000, 50);
    const idleTo = await dependencyTraffic();
    const idleRounds = idleTo.probes - idleFrom.probes;
    const perRound = { sql: Math.ceil((idleTo.sql - idleFrom.sql) / idleRounds), redis: Math.ceil((idleTo.redis - idleFrom.redis) / idleRounds) };
    expect(perRound.sql).toBeGreaterThan(0);
    expect(perRound.redis).toBeGreaterThan(0);

    const before = await dependencyTraffic();
    const answers: Array<Promise<{ status: number; body: string }>> = [];
    for (let wave = 0; wave < FLOOD_WAVES; wave++) {
      for (let i = 0; i < FLOOD_REQUESTS / FLOOD_WAVES; i++) answers.push(get('/health'));
      await new Promise((resolve) => setTimeout(resolve, FLOOD_SECONDS * 1000 / FLOOD_WAVES));
    }
    const answered = await Promise.all(answers);
    const after = await dependencyTraffic();

    expect(answered).toHaveLength(FLOOD_REQUESTS);
    const wrong = answered.filter((answer) => answer.status !== 200 || !isDeepStrictEqual(JSON.parse(answer.body), UP_WITHOUT_KEYS));
    expect(wrong.slice(0, 3)).toEqual([]);
    // One probe at a time, the next one interval after the last ended: at most one per second
    // of the flood, plus the one in flight when it began.
    const rounds = after.probes - before.probes;
    const seconds = (after.at - before.at) / 1000;
    expect(rounds).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    // What MySQL and Redis saw is what that many probe rounds cost while idle (twice over, for
    // background work that does not come once per round), not a query per request.
    const sql = after.sql - before.sql;
    const commands = after.redis - before.redis;
    expect(sql).toBeLessThanOrEqual(2 * (rounds + 1) * perRound.sql);
    expect(commands).toBeLessThanOrEqual(2 * (rounds + 1) * perRound.redis);
    expect(sql).toBeLessThan(FLOOD_REQUESTS / 20);
    expect(commands).toBeLessThan(FLOOD_REQUESTS / 20);
  });

  it('shows Redis down by the second probe after it went, and up again, while the flood goes on: only the documented 200 or 503', async () => {
    let flooding = true;
    const seen: Array<{ status: number; body: string; retryAfter: string | undefined }> = [];
    let crashed: { probes: number; at: number } | undefined;
    let firstDown: { probes: number; at: number } | undefined;
    const floodWorker = async () => {
      while (flooding) {
        const answer = await get('/health');
        seen.push(answer);
        if (answer.status === 503 && crashed !== undefined) firstDown ??= { probes: runtime.health.probes(), at: performance.now() };
      }
    };
    const workers = Array.from({ length: FLOOD_CONNECTIONS }, floodWorker);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      crashed = { probes: runtime.health.probes(), at: performance.now() };
      await redisServer.crash();
      await until('a 503 under the flood', () => firstDown, 10_000, 20);
      // The probe in flight at the crash may still have seen Redis up; the next one sees it down.
      expect(firstDown!.probes).toBeLessThanOrEqual(crashed.probes + 2);
      // About two probe periods (1 s each, plus the 1 s probe timeout), with room for a loaded machine.
      expect(firstDown!.at - crashed.at).toBeLessThan(5000);
      await redisServer.restart();
      await until('a 200 again under the flood', () => (seen.at(-1)?.status === 200 ? true : undefined), 15_000, 20);
    } finally {
      flooding = false;
      await Promise.all(workers);
    }
    for (const answer of seen) {
      if (answer.status === 200) {
        expect(JSON.parse(answer.body)).toMatchObject({ isError: false, checks: { mysql: 'up', redis: 'up' } });
      } else {
        expect(answer.status).toBe(503);
        expect(answer.retryAfter).toBe('5');
        expect(JSON.parse(answer.body)).toMatchObject({ isError: true, message: 'Unavailable: redis', checks: { mysql: 'up', redis: 'down' } });
      }
    }
    expect(seen.filter((answer) => answer.status === 503).length).toBeGreaterThan(0);
  });
});
