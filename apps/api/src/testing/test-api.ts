// The API as deployed (createApiRuntime) against the test MySQL and Redis, for `app.inject`.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { parseRedisUrl, type Clock, type Config, type Db, type Logger, type RedisClient } from '@tubefeed/core';
import { clearRedisPrefix, createTestDatabase, createTestRedis, silentLogger, testConfig, type TestDatabase } from '@tubefeed/core/testing';
import { createApiRuntime } from '../api-runtime.js';

export interface TestApi {
  readonly app: FastifyInstance;
  readonly config: Config;
  readonly db: Db;
  close(): Promise<void>;
}

/** `databaseUrl` points the API at an existing (already migrated) test database. */
export async function buildTestApi(options: {
  clock: Clock;
  databaseUrl?: string;
  config?: Config;
  env?: Record<string, string>;
  /** Silent unless given (tests that read the logs). */
  log?: Logger;
}): Promise<TestApi> {
  const config =
    options.config ?? testConfig({ ...(options.databaseUrl ? { MYSQL_URL: options.databaseUrl } : {}), ...options.env });
  const dead = config.mysql.url.includes(':1/');
  const runtime = await createApiRuntime({
    config,
    log: options.log ?? silentLogger,
    clock: options.clock,
    prepareDatabase: !dead,
    connectTimeoutMs: 1000,
  });
  if (parseRedisUrl(config.redis.url)?.kind === 'cluster') await redisUp(runtime.app);
  return { app: runtime.app, config, db: runtime.db, close: () => runtime.close() };
}

/**
 * Until /health says Redis answers. A Cluster client makes a few round trips (slots, ready
 * check) before it takes commands, where a single server's connection is ready long before the
 * first request: the tests' first requests expect a Redis that answers, as they do there.
 */
async function redisUp(app: FastifyInstance, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await app.inject({ method: 'GET', url: '/health' });
    if (health.json<{ checks?: { redis?: string } }>().checks?.redis === 'up') return;
    if (Date.now() > deadline) throw new Error(`the API's Redis cluster client not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface TestApis {
  /** A client of the test Redis, to look at what the APIs keep there. */
  readonly redis: RedisClient;
  /** An API on the file's database with the file's settings and these on top. */
  start(env?: Record<string, string>, log?: Logger): Promise<TestApi>;
  /** A second API process on the same configuration (and so the same Redis prefix). */
  replica(of: TestApi): Promise<TestApi>;
}

/**
 * For a test file that starts APIs of its own settings: one test database for the file, and
 * every API started closed, its Redis keys cleared and the database dropped after the file.
 */
export function useTestApis(defaults: { clock: Clock; env?: Record<string, string> }): TestApis {
  const redis = createTestRedis();
  let db: TestDatabase | undefined;
  const apis: TestApi[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const api of apis) {
      await api.close();
      await clearRedisPrefix(redis, api.config.redis.prefix);
    }
    redis.disconnect();
    await db?.drop();
  });
  const track = (api: TestApi) => {
    apis.push(api);
    return api;
  };
  return {
    redis,
    async start(env = {}, log) {
      if (db === undefined) throw new Error('useTestApis: start() runs in a test or a hook, after the database is created');
      const config = testConfig({ MYSQL_URL: db.url, ...defaults.env, ...env });
      return track(await buildTestApi({ clock: defaults.clock, config, ...(log === undefined ? {} : { log }) }));
    },
    replica: async (of) => track(await buildTestApi({ clock: defaults.clock, config: of.config })),
  };
}
