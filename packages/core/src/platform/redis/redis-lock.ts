// A short mutual-exclusion lock in Redis for work that one process of the cluster at a time
// should do (one key: SET NX PX to take it, compare-and-delete to release it). Waiters poll
// until it is free; a holder that dies frees it after `ttlMs`, so every wait is bounded.
//
// While the work runs, the holder renews the lock every third of `ttlMs` (compare-and-expire),
// so slow work keeps it. A renewal that finds another holder, or cannot reach Redis, marks the
// lock lost (its `signal` aborts): from then on another process may hold it. The lock orders
// work; to fence a write, check it right before (`assertHeld`), or make the write conditional
// on it in one script (`setIfHeld`).
import { randomUUID } from 'node:crypto';
import type { RedisClient } from './create-redis.js';

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
// KEYS[1]: the lock, KEYS[2]: the key to set (same hash tag). ARGV: token, value.
const SET_IF_HELD = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return 1`;

export interface RedisLockOptions {
  /** Lifetime of the lock if its holder stops renewing it. */
  readonly ttlMs: number;
  /** Between two tries while another holds it (default 25 ms). */
  readonly pollMs?: number;
  /** Longest wait before giving up with an error (default twice the TTL). */
  readonly waitMs?: number;
}

/** The lock was lost while its work ran: another process may hold it now. */
export class LockLostError extends Error {
  constructor(readonly key: string) {
    super(`lock ${key} was lost`);
    this.name = 'LockLostError';
  }
}

/** What the work holding a lock can ask of it. */
export interface HeldLock {
  /** Aborted once the lock is known lost (a renewal found another holder or failed). */
  readonly signal: AbortSignal;
  /** Throws LockLostError unless this holder still has the lock in Redis: call right before a write. */
  assertHeld(): Promise<void>;
  /** Sets `key` only if the lock is still this holder's, in one script (`key` shares the lock's hash tag). */
  setIfHeld(key: string, value: string): Promise<void>;
}

/** Runs `work` holding the lock `key` (renewed while it runs), waiting for it while another holds it. */
export async function withRedisLock<T>(
  redis: RedisClient,
  key: string,
  work: (lock: HeldLock) => Promise<T>,
  options: RedisLockOptions,
): Promise<T> {
  const token = randomUUID();
  const pollMs = options.pollMs ?? 25;
  const giveUpAt = performance.now() + (options.waitMs ?? 2 * options.ttlMs);
  while ((await redis.set(key, token, 'PX', options.ttlMs, 'NX')) !== 'OK') {
    if (performance.now() > giveUpAt) throw new Error(`lock ${key} stayed taken`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const lost = new AbortController();
  const markLost = () => {
    if (!lost.signal.aborted) lost.abort(new LockLostError(key));
  };
  const renewal = setInterval(() => {
    redis
      .eval(RENEW, 1, key, token, options.ttlMs)
      .then((renewed) => {
        if (renewed !== 1) markLost();
      })
      // Not renewed in time, it may expire under us: treat it as lost rather than guess.
      .catch(markLost);
  }, Math.max(1, Math.floor(options.ttlMs / 3)));
  const lock: HeldLock = {
    signal: lost.signal,
    // Once lost, a lock stays lost for this holder, even if no other took it meanwhile.
    async assertHeld() {
      if (lost.signal.aborted) throw new LockLostError(key);
      if ((await redis.get(key)) === token) return;
      markLost();
      throw new LockLostError(key);
    },
    async setIfHeld(target, value) {
      if (lost.signal.aborted) throw new LockLostError(key);
      if ((await redis.eval(SET_IF_HELD, 2, key, target, token, value)) === 1) return;
      markLost();
      throw new LockLostError(key);
    },
  };
  try {
    return await work(lock);
  } finally {
    clearInterval(renewal);
    // A release that does not reach Redis is no failure of the work: the lock expires by itself.
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }
}
