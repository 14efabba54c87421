// ioredis connections by role. BullMQ workers need `maxRetriesPerRequest: null` (they block on
// Redis and must survive reconnects); request-serving code must fail fast instead of queueing
// commands while Redis is away, so an outage turns into a quick fallback, never a hang.
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

export type RedisRole = 'command' | 'worker' | 'subscriber';

export function redisOptions(role: RedisRole): RedisOptions {
  const common: RedisOptions = {
    connectTimeout: 2000,
    // Reconnect forever with a capped backoff; callers decide what to do meanwhile.
    retryStrategy: (times) => Math.min(200 * times, 2000),
  };
  switch (role) {
    case 'command':
      return { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2000 };
    case 'worker':
      return { ...common, maxRetriesPerRequest: null, enableReadyCheck: true };
    case 'subscriber':
      // Only SUBSCRIBE may reach a connection in subscriber mode (channel-subscriber.ts owns it):
      // no ready check (INFO), no CLIENT SETINFO, no ioredis re-subscribing or resending on its
      // own, nothing queued while disconnected (a command still unanswered when the connection
      // drops fails at once), and no connecting before the owner has registered its channels.
      return {
        ...common,
        enableReadyCheck: false,
        disableClientInfo: true,
        autoResubscribe: false,
        autoResendUnfulfilledCommands: false,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        lazyConnect: true,
      };
  }
}

export function createRedis(redis: Config['redis'], role: RedisRole, log: Logger): Redis {
  const client = new Redis(redis.url, redisOptions(role));
  // Without a listener ioredis reports every failed reconnect as an unhandled error. Log each
  // distinct failure once, and the recovery.
  let lastError: string | undefined;
  client.on('error', (error: Error) => {
    if (error.message === lastError) return;
    lastError = error.message;
    log.warn({ role, err: error.message }, 'redis connection problem');
  });
  client.on('ready', () => {
    if (lastError !== undefined) log.info({ role }, 'redis connection restored');
    lastError = undefined;
  });
  return client;
}

/** Key names under the configured prefix, so several deployments (or tests) share one Redis. */
export function redisKey(prefix: string, ...parts: Array<string | number>): string {
  return [prefix, ...parts].join(':');
}

/** Deletes every key under `prefix:` (scratch data of tools and tests), with SCAN, not KEYS. */
export async function clearPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
