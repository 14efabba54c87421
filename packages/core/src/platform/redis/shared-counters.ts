// Counters that several processes add to and the API exposes: fetch runs by outcome, videos
// stored, YouTube calls and units per key (by fingerprint, never the key). They live in one
// Redis hash so a single scrape of the API's /metrics covers the workers too; they only grow
// (a Redis flush resets them, which Prometheus reads as a counter reset).
import { groupKey, type RedisClient } from './create-redis.js';

/** In the deployment's hash-tag group: the key pool's acquire script adds its quota counts here. */
export const countersKey = (prefix: string): string => groupKey(prefix, null, 'metrics');

export type SharedCounters = ReturnType<typeof createSharedCounters>;

export function createSharedCounters({ redis, prefix }: { redis: RedisClient; prefix: string }) {
  const key = countersKey(prefix);

  async function add(increments: Readonly<Record<string, number>>): Promise<void> {
    const entries = Object.entries(increments).filter(([, by]) => by !== 0);
    if (entries.length === 0) return;
    const pipeline = redis.pipeline();
    for (const [field, by] of entries) pipeline.hincrby(key, field, by);
    await pipeline.exec();
  }

  async function read(): Promise<Record<string, number>> {
    const raw = await redis.hgetall(key);
    return Object.fromEntries(Object.entries(raw).map(([field, value]) => [field, Number(value)]));
  }

  return { add, read };
}
