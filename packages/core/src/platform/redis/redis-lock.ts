// A short mutual-exclusion lock in Redis for work that one process of the cluster at a time
// should do (one key: SET NX PX to take it, compare-and-delete to release it). Waiters poll
// until it is free; a holder that dies frees it after `ttlMs`, so every wait is bounded. It
// orders work, it does not fence it: keep the work well inside `ttlMs`.
import { randomUUID } from 'node:crypto';
import type { RedisClient } from './create-redis.js';

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisLockOptions {
  /** Lifetime of the lock if its holder never releases it. */
  readonly ttlMs: number;
  /** Between two tries while another holds it (default 25 ms). */
  readonly pollMs?: number;
  /** Longest wait before giving up with an error (default twice the TTL). */
  readonly waitMs?: number;
}

/** Runs `work` holding the lock `key`, waiting for it while another holds it. */
export async function withRedisLock<T>(redis: RedisClient, key: string, work: () => Promise<T>, options: RedisLockOptions): Promise<T> {
  const token = randomUUID();
  const pollMs = options.pollMs ?? 25;
  const giveUpAt = performance.now() + (options.waitMs ?? 2 * options.ttlMs);
  while ((await redis.set(key, token, 'PX', options.ttlMs, 'NX')) !== 'OK') {
    if (performance.now() > giveUpAt) throw new Error(`lock ${key} stayed taken`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  try {
    return await work();
  } finally {
    // A release that does not reach Redis is no failure of the work: the lock expires by itself.
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }
}
