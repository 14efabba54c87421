// Vitest global setup: finds the MySQL and Redis servers the tests talk to, in this order:
//   1. TEST_MYSQL_URL / TEST_REDIS_URL when set;
//   2. the local services at their default addresses when they answer;
//   3. throwaway containers (MySQL 8, Redis 7) via Testcontainers when a Docker engine runs;
//   4. otherwise one clear line saying how to provide them.
// The chosen server URLs are handed to test files with Vitest's provide/inject.
import { createConnection } from 'mysql2/promise';
import type { TestProject } from 'vitest/node';
import { redisAnswers } from './faults/redis-probe.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testMysqlServerUrl: string;
    testRedisUrl: string;
  }
}

const LOCAL_MYSQL = 'mysql://root@127.0.0.1:3306';
const LOCAL_REDIS = 'redis://127.0.0.1:6379';

async function mysqlAnswers(url: string): Promise<boolean> {
  const u = new URL(url);
  try {
    const connection = await createConnection({
      host: u.hostname,
      port: u.port === '' ? 3306 : Number(u.port),
      user: decodeURIComponent(u.username) || 'root',
      password: decodeURIComponent(u.password),
      connectTimeout: 1500,
    });
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

/** A server URL (no database in the path) from TEST_MYSQL_URL, which may name a database. */
function serverOnly(url: string): string {
  const u = new URL(url);
  u.pathname = '';
  return u.toString().replace(/\/$/, '');
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<unknown>> = [];
  let mysqlUrl = process.env.TEST_MYSQL_URL ? serverOnly(process.env.TEST_MYSQL_URL) : undefined;
  let redisUrl = process.env.TEST_REDIS_URL;

  if (mysqlUrl === undefined && (await mysqlAnswers(LOCAL_MYSQL))) mysqlUrl = LOCAL_MYSQL;
  if (redisUrl === undefined && (await redisAnswers(LOCAL_REDIS))) redisUrl = LOCAL_REDIS;

  if (mysqlUrl === undefined || redisUrl === undefined) {
    try {
      if (mysqlUrl === undefined) {
        const { MySqlContainer } = await import('@testcontainers/mysql');
        const mysql = await new MySqlContainer('mysql:8.4')
          .withRootPassword('test')
          .withCommand(['--innodb-ft-enable-stopword=OFF'])
          .start();
        stops.push(() => mysql.stop());
        mysqlUrl = `mysql://root:test@${mysql.getHost()}:${mysql.getPort()}`;
      }
      if (redisUrl === undefined) {
        const { RedisContainer } = await import('@testcontainers/redis');
        const redis = await new RedisContainer('redis:7-alpine').start();
        stops.push(() => redis.stop());
        redisUrl = redis.getConnectionUrl();
      }
    } catch (error) {
      throw new Error(
        'Tests need MySQL and Redis: set TEST_MYSQL_URL and TEST_REDIS_URL, run them locally on 127.0.0.1:3306 / :6379, ' +
          `or start a Docker engine for Testcontainers (${error instanceof Error ? error.message.split('\n')[0] : String(error)}).`,
        { cause: error },
      );
    }
  }

  project.provide('testMysqlServerUrl', mysqlUrl);
  project.provide('testRedisUrl', redisUrl);
  return async () => {
    for (const stop of stops) await stop();
  };
}
