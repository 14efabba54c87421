// A pub/sub channel for changes made at run time (keys or followed queries added, changed or
// removed through the admin API), so every worker and API process acts on them without a
// restart. Messages carry no data beyond their kind: receivers re-read MySQL.
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';
import { redisKey } from '../redis/create-redis.js';

export type ControlEvent = 'keys-changed' | 'queries-changed';

export type ControlChannel = ReturnType<typeof createControlChannel>;

export function createControlChannel({ redis, subscriber, prefix, log }: { redis: Redis; subscriber: Redis; prefix: string; log: Logger }) {
  const channel = redisKey(prefix, 'control');
  const handlers = new Set<(event: ControlEvent) => void>();

  function onMessage(received: string, message: string): void {
    if (received !== channel) return;
    if (message !== 'keys-changed' && message !== 'queries-changed') return;
    for (const handler of handlers) handler(message);
  }

  /** Starts listening; subscribing does not wait for Redis, so a process boots without it. */
  function start(): void {
    subscriber.on('message', onMessage);
    subscriber.subscribe(channel).catch((error: unknown) => {
      log.warn({ err: (error as Error).message }, 'control channel unavailable; run-time changes need a restart');
    });
  }

  function on(handler: (event: ControlEvent) => void): () => void {
    handlers.add(handler);
    return () => handlers.delete(handler);
  }

  async function publish(event: ControlEvent): Promise<void> {
    // Local handlers run at once; the publish reaches the other processes.
    for (const handler of handlers) handler(event);
    await redis.publish(channel, event);
  }

  function stop(): void {
    subscriber.off('message', onMessage);
    handlers.clear();
  }

  return { start, on, publish, stop };
}
