// A store for @fastify/rate-limit that counts in memory and shares the counts through Redis in
// batches, so several API processes enforce one limit per client without a Redis round trip per
// request (page 1 of /getData is served from memory at tens of thousands of requests a second;
// a round trip each would cost a large share of that).
//
// Windows are fixed and aligned to the clock (window n covers [n·W, (n+1)·W)), so every process
// agrees on which window a request belongs to and on its Redis key without talking to the
// others. Each process counts a client's requests locally and, every `syncEveryMs`, adds what it
// counted since the last sync to the client's Redis counter (one pipeline of INCRBY + PEXPIRE
// for every client seen) and learns the total from the reply. A request is judged against
// (the total last learned + what this process counted since).
//
// Overshoot bound: a process learns of the other processes' requests only at its next sync, so
// a client may exceed the limit by what it gets through the *other* processes within one sync
// interval plus a Redis round trip; never by more than (processes − 1) × max. With one process
// the count is exact.
//
// Keys: `{<prefix>:ratelimit:<name>}:<window>:<client>` (rateLimitKey).
//
// Redis down or slow never fails a request (fail open): the counts stay local (each process
// still enforces the limit for what it sees) and are added to Redis when it answers again; one
// warning when sharing stops, one line when it resumes.
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { groupKey, type Logger, type RedisClient } from '@tubefeed/core';

export interface WindowCount {
  /** Requests of this client in the current window, across every process as far as this one knows. */
  readonly count: number;
  /** Until the window ends. */
  readonly resetInMs: number;
}

export interface SharedWindowCounter {
  /** Counts one request of `client`. */
  hit(client: string): WindowCount;
  /** The count without adding to it. */
  peek(client: string): WindowCount;
  /** Sends what was counted since the last sync (the timer calls it; tests may too). */
  sync(): Promise<void>;
  /** Starts the periodic sync. */
  start(): void;
  /** Stops it, after one last sync. */
  stop(): Promise<void>;
}

export interface SharedWindowCounterOptions {
  readonly redis: Pick<RedisClient, 'pipeline'>;
  /** Redis key prefix of the deployment. */
  readonly prefix: string;
  /** Which limit (part of the Redis keys). */
  readonly name: string;
  readonly windowMs: number;
  readonly syncEveryMs?: number;
  /** Milliseconds since the epoch (the deployment's clock). */
  readonly now: () => number;
  readonly log: Logger;
}

interface Entry {
  readonly window: number;
  /** The shared total as of the last sync (this process's synced requests included). */
  known: number;
  /** Counted here, not yet sent. */
  pending: number;
  /** Sent, reply not yet in. */
  sending: number;
}

export const DEFAULT_SYNC_EVERY_MS = 100;

/**
 * A client's count in one window. One sync sends every client's count in one pipeline, which a
 * Redis Cluster client sends to one node only: the keys of a limit share a hash tag.
 */
export const rateLimitKey = (prefix: string, name: string, window: number, client: string): string =>
  groupKey(prefix, `ratelimit:${name}`, window, client);

export function createSharedWindowCounter(options: SharedWindowCounterOptions): SharedWindowCounter {
  const { redis, prefix, name, windowMs, now, log } = options;
  const syncEveryMs = options.syncEveryMs ?? DEFAULT_SYNC_EVERY_MS;
  const entries = new Map<string, Entry>();
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let sharing = true;

  const count = (entry: Entry, at: number): WindowCount => ({
    count: entry.known + entry.sending + entry.pending,
    resetInMs: (entry.window + 1) * windowMs - at,
  });

  async function send(): Promise<void> {
    const at = now();
    const window = Math.floor(at / windowMs);
    const batch: Array<{ client: string; entry: Entry; delta: number }> = [];
    for (const [client, entry] of entries) {
      if (entry.window !== window) {
        // A window that ended: nothing about it matters any more.
        entries.delete(client);
      } else if (entry.pending > 0) {
        batch.push({ client, entry, delta: entry.pending });
        entry.sending += entry.pending;
        entry.pending = 0;
      }
    }
    if (batch.length === 0) return;
    // Keys outlive their window by one window, so a slow clock elsewhere still finds its count.
    const ttlMs = (window + 1) * windowMs - at + windowMs;
    const pipeline = redis.pipeline();
    for (const { client, entry, delta } of batch) {
      const key = rateLimitKey(prefix, name, entry.window, client);
      pipeline.incrby(key, delta).pexpire(key, ttlMs);
    }
    let replies: Array<[Error | null, unknown]> | null = null;
    let failure: unknown;
    try {
      replies = await pipeline.exec();
    } catch (error) {
      failure = error;
    }
    batch.forEach(({ entry, delta }, index) => {
      entry.sending -= delta;
      const [error, total] = replies?.[index * 2] ?? [failure ?? new Error('no reply'), null];
      if (error === null && typeof total === 'number') {
        entry.known = total;
      } else {
        failure ??= error;
        entry.pending += delta; // sent again at the next sync, if the window is still on
      }
    });
    if (failure !== undefined && sharing) {
      sharing = false;
      const message = failure instanceof Error ? failure.message : JSON.stringify(failure);
      log.warn({ limit: name, err: message }, 'rate limit counts not shared (redis unavailable): each process counts alone until it is back');
    } else if (failure === undefined && !sharing) {
      sharing = true;
      log.info({ limit: name }, 'rate limit counts shared through redis again');
    }
  }

  function sync(): Promise<void> {
    // One sync at a time: a slow Redis delays the next one, never piles them up.
    inFlight ??= send().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  return {
    hit(client) {
      const at = now();
      const window = Math.floor(at / windowMs);
      let entry = entries.get(client);
      if (entry === undefined || entry.window !== window) {
        entry = { window, known: 0, pending: 0, sending: 0 };
        entries.set(client, entry);
      }
      entry.pending += 1;
      return count(entry, at);
    },
    peek(client) {
      const at = now();
      const entry = entries.get(client);
      if (entry === undefined || entry.window !== Math.floor(at / windowMs)) {
        return { count: 0, resetInMs: windowMs - (at % windowMs) };
      }
      return count(entry, at);
    },
    sync,
    start() {
      timer ??= setInterval(() => void sync(), syncEveryMs).unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await inFlight;
      await sync();
    },
  };
}

/** The counter as an @fastify/rate-limit store (the plugin constructs it: `new Store(options)`). */
export function sharedRateLimitStore(counter: SharedWindowCounter): FastifyRateLimitStoreCtor {
  class SharedRateLimitStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void): void {
      const { count, resetInMs } = counter.hit(key);
      callback(null, { current: count, ttl: resetInMs });
    }

    read(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void): void {
      const { count, resetInMs } = counter.peek(key);
      callback(null, { current: count, ttl: resetInMs });
    }

    // One count per client for every route: the limit is on the client, not per endpoint.
    child(): FastifyRateLimitStore {
      return this;
    }
  }
  return SharedRateLimitStore;
}
