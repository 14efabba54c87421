// Redis Cluster support against real clusters of local redis-server processes: the cluster the
// `cluster` project runs on (testRedisUrl), and one of this file's own where a node is killed.
// The cluster refuses what a single server allows (a script touching keys it was not handed, a
// MULTI across slots), which is what makes the suites run on it worth something.
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { startRedisCluster, type RedisCluster } from '../../testing/redis-cluster.js';
import { createTestRedis, silentLogger, testRedisUrl, uniqueName, until } from '../../testing/index.js';
import { loadConfig } from '../config.js';
import { createChannelSubscriber } from './channel-subscriber.js';
import { clearPrefix, createRedis, groupKey, redisKey, scanPrefix, type RedisClient } from './create-redis.js';
import { parseRedisUrl } from './redis-url.js';

describe('REDIS_URL', () => {
  it('names one server or a cluster by some of its nodes, and nothing else', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ kind: 'server', url: 'redis://127.0.0.1:6379' });
    expect(parseRedisUrl('redis-cluster://10.0.0.1:7000,10.0.0.2:7001,redis-3')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'redis-3', port: 6379 },
      ],
      username: undefined,
      password: undefined,
      tls: false,
    });
    expect(parseRedisUrl('rediss-cluster://app:p%40ss@[::1]:7000/')).toMatchObject({
      kind: 'cluster',
      nodes: [{ host: '::1', port: 7000 }],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
    for (const bad of ['redis-cluster://', 'redis-cluster://a:1,,b:2', 'redis-cluster://a:99999', 'redis-cluster://a:1/0', 'http://a:1', 'nope']) {
      expect(parseRedisUrl(bad), bad).toBeNull();
    }
    expect(() => loadConfig({ REDIS_URL: 'redis-cluster://a:1;b:2' })).toThrow(/REDIS_URL: must be redis:\/\/.*redis-cluster:\/\//);
    expect(loadConfig({ REDIS_URL: 'redis-cluster://a:1,b:2' }).redis.url).toBe('redis-cluster://a:1,b:2');
  });
});

describe.runIf(testRedisUrl().startsWith('redis-cluster:'))('on the test cluster', () => {
  const prefix = uniqueName('cl');
  let redis: RedisClient;
  beforeAll(() => {
    redis = createTestRedis();
  });
  afterAll(async () => {
    await clearPrefix(redis, prefix);
    redis.disconnect();
  });

  it('refuses a script that touches a key it was not handed, and a MULTI across slots', async () => {
    // What the key pool's acquire script did before its keys were passed in KEYS: build key names
    // itself. A node runs such a script while the keys happen to be its own; with a dozen, one is not.
    const builtInside = `redis.call('INCR', KEYS[1])
      for i = 1, 12 do redis.call('HSET', ARGV[1] .. ':yt:key:k' .. i, 'lastUsedAt', 1) end
      return 1`;
    await expect(redis.eval(builtInside, 1, redisKey(prefix, 'yt', 'rr'), prefix)).rejects.toThrow(/non local key/i);
    await expect(redis.multi().set(redisKey(prefix, 'feed', 'snapshot', 0), 'a').set(redisKey(prefix, 'feed', 'snapshot', 1), 'b').exec()).rejects.toThrow(
      /CROSSSLOT|same slot/i,
    );
    // The same with the keys of one group: accepted.
    const group = (...parts: string[]) => groupKey(prefix, 'feed', ...parts);
    expect(await redis.multi().set(group('snapshot', '0'), 'a').set(group('snapshot', '1'), 'b').exec()).toEqual([
      [null, 'OK'],
      [null, 'OK'],
    ]);
  });

  it('gives the roles a Cluster client, and clears a prefix on every master', async () => {
    const own = uniqueName('cl');
    const config = { url: testRedisUrl(), prefix: own };
    const command = createRedis(config, 'command', silentLogger);
    const worker = createRedis(config, 'worker', silentLogger);
    try {
      expect(command).toBeInstanceOf(Cluster);
      expect(worker).toBeInstanceOf(Cluster);
      // BullMQ refuses a worker connection that gives up on commands.
      expect((worker as Cluster).options.redisOptions?.maxRetriesPerRequest).toBeNull();
      await until('the command client ready', () => (command.status === 'ready' ? true : undefined), 5000);
      // Plain keys land on every master; clearPrefix finds them all, grouped ones too.
      for (let i = 0; i < 60; i++) await command.set(redisKey(own, 'spread', i), '1');
      await command.set(groupKey(own, null, 'metrics'), '1');
      const perMaster = await Promise.all((command as Cluster).nodes('master').map((node) => node.keys(redisKey(own, 'spread', '*'))));
      expect(perMaster.map((keys) => keys.length > 0)).toEqual([true, true, true]);
      const found: string[] = [];
      for await (const batch of scanPrefix(command, own)) found.push(...batch);
      expect(found).toHaveLength(61);
      await clearPrefix(command, own);
      const left: string[] = [];
      for await (const batch of scanPrefix(command, own)) left.push(...batch);
      expect(left).toEqual([]);
    } finally {
      command.disconnect();
      worker.disconnect();
    }
  });
});

// A cluster of this file's own: a node is killed.
describe('the channel subscriber on a cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('receives what is published through any node, and moves to another node when its node dies', async () => {
    const lines: Array<{ msg: string }> = [];
    const log = createLogger({ level: 'info', format: 'json' }, 'test', { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
    const subscriber = createChannelSubscriber({ redis: { url: cluster.url, prefix: 'tf' }, log });
    const received: string[] = [];
    subscriber.on('tf:control', (message) => received.push(message));
    subscriber.start();
    const publishers = cluster.nodes.map((node) => {
      const client = new Redis(node.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined); // the killed node's
      return client;
    });
    try {
      await until('subscribed', () => (subscriber.state() === 'up' ? true : undefined), 5000);
      for (const [i, publisher] of publishers.entries()) {
        await publisher.publish('tf:control', `via node ${i}`);
        await until(`the message via node ${i}`, () => (received.includes(`via node ${i}`) ? true : undefined), 5000);
      }
      // The subscriber is on the first seed node: kill it.
      await cluster.crashNode(0);
      await until('subscribed on another node', () => (subscriber.state() === 'up' && subscriber.losses() === 1 ? true : undefined), 10_000);
      for (const i of [1, 2]) {
        await publishers[i]!.publish('tf:control', `after the loss via node ${i}`);
        await until(`the message via node ${i}`, () => (received.includes(`after the loss via node ${i}`) ? true : undefined), 5000);
      }
      expect(lines.map((line) => line.msg)).toContain('channels subscribed again');
    } finally {
      for (const publisher of publishers) publisher.disconnect();
      await subscriber.close();
    }
  });
});
