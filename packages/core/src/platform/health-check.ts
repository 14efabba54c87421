// Dependency probes for /health. Each is bounded: a dead or black-holed dependency answers
// "down" within the timeout instead of hanging the request.
import type { RedisClient } from './redis/create-redis.js';
import { sql } from 'kysely';
import type { Db } from './db/create-db.js';

export type ProbeState = 'up' | 'down';

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Through the bounded pool the requests use: a probe stuck on a dead connection drops it. */
export async function probeMysql(db: Pick<Db, 'kysely'>, timeoutMs: number): Promise<ProbeState> {
  try {
    await withTimeout(sql`SELECT 1`.execute(db.kysely), timeoutMs, 'mysql');
    return 'up';
  } catch {
    return 'down';
  }
}

/** Settles when a connection attempt in progress ends (ready or failed); at once otherwise. */
function connectAttemptSettled(redis: RedisClient): Promise<void> {
  if (redis.status !== 'connecting' && redis.status !== 'connect') return Promise.resolve();
  return new Promise<void>((resolve) => {
    const events = ['ready', 'error', 'close', 'end'] as const;
    const done = () => {
      for (const event of events) redis.off(event, done);
      resolve();
    };
    for (const event of events) redis.once(event, done);
  });
}

export async function probeRedis(redis: RedisClient, timeoutMs: number): Promise<ProbeState> {
  try {
    // Right after boot the client may still be connecting: "not connected yet" is not "down".
    const answer = await withTimeout(
      connectAttemptSettled(redis).then(() => redis.ping()),
      timeoutMs,
      'redis',
    );
    return answer === 'PONG' ? 'up' : 'down';
  } catch {
    return 'down';
  }
}
