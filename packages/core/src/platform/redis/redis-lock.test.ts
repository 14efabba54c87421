import { afterAll, describe, expect, it } from 'vitest';
import { clearRedisPrefix, createTestRedis, uniqueName } from '../../testing/index.js';
import { groupKey } from './create-redis.js';
import { LockLostError, withRedisLock } from './redis-lock.js';

const redis = createTestRedis();
const prefix = uniqueName('lock');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterAll(async () => {
  await clearRedisPrefix(redis, prefix);
  redis.disconnect();
});

describe('Redis lock', () => {
  it('keeps the lock while work runs past its lifetime, so a second holder waits', async () => {
    const key = groupKey(prefix, 'l', 'slow');
    const order: string[] = [];
    const first = withRedisLock(
      redis,
      key,
      async (lock) => {
        order.push('first in');
        await sleep(700);
        await lock.assertHeld();
        order.push('first out');
      },
      { ttlMs: 200 },
    );
    await sleep(50);
    const second = withRedisLock(redis, key, () => Promise.resolve(void order.push('second in')), { ttlMs: 200, waitMs: 5000 });
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
    expect(await redis.exists(key)).toBe(0);
  });

  it('reports a lost lock: aborts its signal, refuses fenced writes, and leaves the new holder alone', async () => {
    const key = groupKey(prefix, 'l', 'lost');
    const target = groupKey(prefix, 'l', 'target');
    await expect(
      withRedisLock(
        redis,
        key,
        async (lock) => {
          await lock.setIfHeld(target, 'mine');
          expect(await redis.get(target)).toBe('mine');
          // Another process takes over (as after an expiry).
          await redis.set(key, 'someone else');
          await sleep(150);
          expect(lock.signal.aborted).toBe(true);
          await expect(lock.assertHeld()).rejects.toBeInstanceOf(LockLostError);
          await lock.setIfHeld(target, 'stale');
        },
        { ttlMs: 300 },
      ),
    ).rejects.toBeInstanceOf(LockLostError);
    expect(await redis.get(target)).toBe('mine');
    // Release compares the token: the other holder's lock stays.
    expect(await redis.get(key)).toBe('someone else');
  });

  it('refuses a fenced write at once when the lock was taken over between renewals', async () => {
    const key = groupKey(prefix, 'l', 'between');
    const target = groupKey(prefix, 'l', 'target2');
    await expect(
      withRedisLock(
        redis,
        key,
        async (lock) => {
          await redis.set(key, 'someone else');
          await lock.setIfHeld(target, 'stale');
        },
        { ttlMs: 60_000 },
      ),
    ).rejects.toBeInstanceOf(LockLostError);
    expect(await redis.exists(target)).toBe(0);
  });
});
