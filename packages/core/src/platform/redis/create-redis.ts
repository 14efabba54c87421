// ioredis connections by role. BullMQ workers need `maxRetriesPerRequest: null` (they block on
// Redis and must survive reconnects); request-serving code must fail fast instead of queueing
// commands while Redis is away, so an outage turns into a quick fallback, never a hang.
//
// REDIS_URL names one server or a Redis Cluster (redis-url.ts). For a cluster the command and
// worker roles get an ioredis Cluster with the same per-role behaviour. The subscriber role gets
// a plain connection to one node of it: a PUBLISH (not sharded) reaches every node of a cluster,
// so any node serves the subscriptions, and one connection keeps the pub/sub owner's guarantee
// that nothing but SUBSCRIBE is ever written (channel-subscriber.ts). It moves to the next seed
// node after every lost connection, so losing one node does not leave the channels down.
//
// Key names: a Lua script or a MULTI may only touch keys of one cluster slot, so the keys used
// together share a hash tag (`groupKey`); keys used alone stay under the plain prefix (`redisKey`).
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { parseRedisUrl, REDIS_URL_FORMS, type RedisTarget } from './redis-url.js';

/** A connection to the deployment's Redis: one server, or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export type RedisRole = 'command' | 'worker' | 'subscriber';

const backoff = (times: number): number => Math.min(200 * times, 2000);

export function redisOptions(role: RedisRole): RedisOptions {
  const common: RedisOptions = {
    connectTimeout: 2000,
    // Reconnect forever with a capped backoff; callers decide what to do meanwhile.
    retryStrategy: backoff,
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

type ClusterTarget = Extract<RedisTarget, { kind: 'cluster' }>;

/** The Cluster options of a role: what `redisOptions` sets per server, split as ioredis wants it. */
export function clusterOptions(role: Exclude<RedisRole, 'subscriber'>, target: Pick<ClusterTarget, 'username' | 'password' | 'tls'>): ClusterOptions {
  const { retryStrategy: _perNode, enableOfflineQueue, ...perNode } = redisOptions(role);
  return {
    clusterRetryStrategy: backoff,
    enableOfflineQueue: enableOfflineQueue ?? true,
    enableReadyCheck: true,
    redisOptions: {
      ...perNode,
      ...(target.username === undefined ? {} : { username: target.username }),
      ...(target.password === undefined ? {} : { password: target.password }),
      ...(target.tls ? { tls: {} } : {}),
    },
  };
}

function parse(url: string): RedisTarget {
  const target = parseRedisUrl(url);
  // The config validates REDIS_URL; a caller passing its own URL gets the same message.
  if (target === null) throw new Error(`REDIS_URL must be ${REDIS_URL_FORMS}`);
  return target;
}

/** The subscriber role on a cluster: one node at a time, the next seed node after each loss. */
function clusterSubscriber(target: ClusterTarget): Redis {
  const nodes = target.nodes;
  let current = 0;
  const client: Redis = new Redis({
    ...redisOptions('subscriber'),
    host: nodes[0]!.host,
    port: nodes[0]!.port,
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.tls ? { tls: {} } : {}),
    retryStrategy: (times) => {
      // ioredis reads host and port from its options at every connect: the reconnect goes to
      // the next node. The node that was lost may be gone for good (a failed-over master).
      current = (current + 1) % nodes.length;
      Object.assign(client.options, nodes[current]);
      return backoff(times);
    },
  });
  return client;
}

export function createRedis(redis: Config['redis'], role: 'subscriber', log: Logger): Redis;
export function createRedis(redis: Config['redis'], role: RedisRole, log: Logger): RedisClient;
export function createRedis(redis: Config['redis'], role: RedisRole, log: Logger): RedisClient {
  const target = parse(redis.url);
  const client: RedisClient =
    target.kind === 'server'
      ? new Redis(target.url, redisOptions(role))
      : role === 'subscriber'
        ? clusterSubscriber(target)
        : new Cluster([...target.nodes], clusterOptions(role, target));
  // Without a listener ioredis reports every failed reconnect as an unhandled error. Log each
  // distinct failure once, and the recovery.
  let lastError: string | undefined;
  const problem = (error: Error, node?: string) => {
    if (error.message === lastError) return;
    lastError = error.message;
    log.warn({ role, err: error.message, ...(node === undefined ? {} : { node }) }, 'redis connection problem');
  };
  client.on('error', (error: Error) => problem(error));
  if (client instanceof Cluster) {
    // A cluster also reports each node's own connection problems.
    client.on('node error', (error: Error, node: string) => problem(error, node));
    // ioredis connects to a node at its first command, and with the offline queue off (the
    // command role) it refuses every other command for that node while the connection is being
    // made. Connecting each node as soon as the cluster names it keeps that window out of the
    // requests' way.
    client.on('+node', (node: Redis) => {
      if (node.status === 'wait') node.connect().catch(() => undefined); // reported as 'node error'
    });
  }
  client.on('ready', () => {
    if (lastError !== undefined) log.info({ role }, 'redis connection restored');
    lastError = undefined;
  });
  return client;
}

/** A client of the test servers or tools: one server, or a cluster, with `options` per server. */
export function connectRedis(url: string, options: RedisOptions = {}): RedisClient {
  const target = parse(url);
  if (target.kind === 'server') return new Redis(target.url, options);
  const { retryStrategy: _perNode, enableOfflineQueue, ...perNode } = options;
  return new Cluster([...target.nodes], {
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(options.lazyConnect === undefined ? {} : { lazyConnect: options.lazyConnect }),
    redisOptions: {
      ...perNode,
      ...(target.username === undefined ? {} : { username: target.username }),
      ...(target.password === undefined ? {} : { password: target.password }),
      ...(target.tls ? { tls: {} } : {}),
    },
  });
}

/** Key names under the configured prefix, so several deployments (or tests) share one Redis. */
export function redisKey(prefix: string, ...parts: Array<string | number>): string {
  return [prefix, ...parts].join(':');
}

/**
 * A key of a group that scripts or transactions use together: `{prefix}:parts` (group null) or
 * `{prefix:group}:parts`. Redis Cluster hashes only the part in braces, so every key of a group
 * lands in one slot (as a script or MULTI requires) and different groups spread over the masters.
 */
export function groupKey(prefix: string, group: string | null, ...parts: Array<string | number>): string {
  return [`{${group === null ? prefix : `${prefix}:${group}`}}`, ...parts].join(':');
}

/** SCAN patterns matching every key of a prefix: plain (`prefix:…`) and grouped (`{prefix}…`, `{prefix:…`). */
export function prefixPatterns(prefix: string): string[] {
  return [`${prefix}:*`, `{${prefix}[}:]*`];
}

/** The servers holding keys: the masters of a cluster, or the one server. */
export function keyServers(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

async function clusterReady(cluster: Cluster, timeoutMs: number): Promise<void> {
  if (cluster.status === 'wait') await cluster.connect();
  if (cluster.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cluster.off('ready', ready);
      reject(new Error(`redis cluster not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const ready = () => {
      clearTimeout(timer);
      resolve();
    };
    cluster.once('ready', ready);
  });
}

/** Every key under a prefix, in batches, from every server (SCAN, never KEYS). */
export async function* scanPrefix(redis: RedisClient, prefix: string): AsyncGenerator<string[]> {
  // A cluster knows its masters once it is ready.
  if (redis instanceof Cluster && redis.status !== 'ready') await clusterReady(redis, 5000);
  for (const server of keyServers(redis)) {
    for (const match of prefixPatterns(prefix)) {
      let cursor = '0';
      do {
        const [next, keys] = await server.scan(cursor, 'MATCH', match, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) yield keys;
      } while (cursor !== '0');
    }
  }
}

/** Deletes every key under `prefix` (scratch data of tools and tests), with SCAN, not KEYS. */
export async function clearPrefix(redis: RedisClient, prefix: string): Promise<void> {
  for await (const keys of scanPrefix(redis, prefix)) {
    // On a cluster one DEL per key: the keys of a batch may lie in different slots.
    if (redis instanceof Cluster) await Promise.all(keys.map((key) => redis.del(key)));
    else await redis.del(...keys);
  }
}
