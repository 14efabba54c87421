// Per-file test resources: a fresh database (migrated) and a Redis key prefix of its own, so
// test files run in parallel and never see each other's data.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../platform/config.js';
import { createDb, type Db } from '../platform/db/create-db.js';
import { dropDatabase, ensureDatabase } from '../platform/db/ensure-database.js';
import { migrateToLatest } from '../platform/db/migrate.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { clearPrefix, connectRedis, type RedisClient } from '../platform/redis/create-redis.js';

export interface TestDatabase extends Db {
  readonly url: string;
  /** Drops the database; call from afterAll. */
  drop(): Promise<void>;
}

export function uniqueName(kind: string): string {
  return `tf_${kind}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export function testMysqlUrl(database: string): string {
  return `${inject('testMysqlServerUrl')}/${database}`;
}

export function testRedisUrl(): string {
  return inject('testRedisUrl');
}

/** A config pointing at the test servers with a database and Redis prefix of its own. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    MYSQL_URL: testMysqlUrl(uniqueName('db')),
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: uniqueName('r'),
    // Every test file's requests come from 127.0.0.1, many of them; tests of the limit set it.
    RATE_LIMIT_MAX: '0',
    ...overrides,
  });
}

export async function createTestDatabase(options: { migrate?: boolean; url?: string } = {}): Promise<TestDatabase> {
  const url = options.url ?? testMysqlUrl(uniqueName('db'));
  await ensureDatabase(url);
  const db = createDb({ url, poolSize: 5 });
  if (options.migrate !== false) await migrateToLatest(db);
  return {
    ...db,
    url,
    drop: async () => {
      await db.close();
      await dropDatabase(url);
    },
  };
}

/** A client of the test Redis: a Cluster client when the tests run against a cluster. */
export function createTestRedis(): RedisClient {
  return connectRedis(testRedisUrl(), { maxRetriesPerRequest: 1 });
}

/** Deletes every key under a prefix (test cleanup). */
export const clearRedisPrefix = clearPrefix;

export const silentLogger: Logger = createLogger({ level: 'silent', format: 'json' }, 'test');
