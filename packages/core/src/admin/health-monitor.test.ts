// The health monitor over the real health service, against the test MySQL and a Redis of its
// own (crashed on purpose), with timers fired by hand: probes are shared, one per interval, a
// failure shows at the next probe, and stop leaves nothing scheduled or running.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import type { RedisClient } from '../platform/redis/create-redis.js';
import { createRedis } from '../platform/redis/create-redis.js';
import { createChannelSubscriber, type ChannelSubscriber } from '../platform/redis/channel-subscriber.js';
import { createKeyPool, staticKeySource } from '../ingest/youtube/key-pool.js';
import { createTestDatabase, silentLogger, startPrivateRedis, testConfig, until, type PrivateRedis, type TestDatabase } from '../testing/index.js';
import { createHealthMonitor, ManualHealthTimers, type HealthMonitor } from './health-monitor.js';
import { createHealthService } from './health-service.js';

let db: TestDatabase;
let redisServer: PrivateRedis;
let redis: RedisClient;
let channels: ChannelSubscriber;
const monitors: HealthMonitor[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  redisServer = await startPrivateRedis();
  const config = testConfig({ REDIS_URL: redisServer.url });
  redis = createRedis(config.redis, 'command', silentLogger);
  channels = createChannelSubscriber({ redis: config.redis, log: silentLogger });
  channels.on('tf:health-test', () => undefined);
  channels.start();
});

afterEach(async () => {
  for (const monitor of monitors.splice(0)) await monitor.stop();
});

afterAll(async () => {
  await channels?.close();
  redis?.disconnect();
  await redisServer?.stop();
  await db?.drop();
});

/** A monitor over the real health service whose probes are counted; its timers fire by hand. */
function monitorOf(check?: () => ReturnType<ReturnType<typeof createHealthService>['check']>) {
  const pool = createKeyPool({
    redis,
    prefix: 'tf-health-monitor',
    source: staticKeySource([]),
    clock: new ManualClock('2024-06-01T00:00:00Z'),
    quota: testConfig().youtube.quota,
    log: silentLogger,
  });
  const health = createHealthService({ db, redis, youtube: () => pool.status(), feedChannel: (ms) => channels.settledState(ms), timeoutMs: 500 });
  const timers = new ManualHealthTimers();
  const monitor = createHealthMonitor({ check: check ?? health.check, intervalMs: 1000, timers });
  monitors.push(monitor);
  /** Until the probe in flight has ended (the next one is then scheduled). */
  const probeEnded = () => until('the probe to end', () => (timers.pending().length === 1 ? true : undefined));
  return { monitor, timers, probeEnded, health };
}

describe('the health monitor', () => {
  it('makes callers before the first probe wait for it and share it; later callers get the report with no probe', async () => {
    const { monitor, timers, probeEnded } = monitorOf();
    monitor.start();
    const first = await Promise.all(Array.from({ length: 50 }, () => monitor.current()));
    expect(monitor.probes()).toBe(1);
    expect(new Set(first).size).toBe(1);
    expect(first[0]).toMatchObject({ healthy: true, checks: { mysql: 'up', redis: 'up', feedChannel: 'up', youtube: 'no_keys' } });

    await probeEnded();
    expect(timers.pending()).toEqual([1000]);
    const later = await Promise.all(Array.from({ length: 200 }, () => monitor.current()));
    expect(monitor.probes()).toBe(1);
    expect(later.every((report) => report === first[0])).toBe(true);

    // The interval passes: one more probe, whose report the next callers get.
    timers.fire();
    expect(monitor.probes()).toBe(2);
    await probeEnded();
    const next = await monitor.current();
    expect(next).not.toBe(first[0]);
    expect(next).toEqual(first[0]);
  });

  it('reports a dependency down at the first probe after it went down, and up again after it is back', async () => {
    const { monitor, timers, probeEnded } = monitorOf();
    monitor.start();
    expect(await monitor.current()).toMatchObject({ healthy: true, checks: { redis: 'up' } });
    await probeEnded();

    await redisServer.crash();
    try {
      // Until the next probe the last report stands: no request probes.
      expect(await monitor.current()).toMatchObject({ healthy: true, checks: { redis: 'up' } });
      expect(monitor.probes()).toBe(1);
      // One interval later (the only timer set is one interval long), bounded by the probe timeout.
      expect(timers.pending()).toEqual([1000]);
      timers.fire();
      await probeEnded();
      expect(await monitor.current()).toMatchObject({ healthy: false, checks: { mysql: 'up', redis: 'down', youtube: 'unknown' }, keys: null });
    } finally {
      await redisServer.restart();
    }
    await until('Redis back in the report', async () => {
      timers.fire();
      await probeEnded();
      const report = await monitor.current();
      return report.checks.redis === 'up' ? report : undefined;
    });
  });

  it('stops: the timer cleared, the probe in flight waited for, no probe after', async () => {
    const { monitor, timers } = monitorOf();
    monitor.start();
    expect(monitor.probes()).toBe(1);
    // Stopped while the first probe runs: stop resolves once it has ended, and nothing is scheduled.
    await monitor.stop();
    expect(timers.pending()).toEqual([]);
    expect(await monitor.current()).toMatchObject({ healthy: true });
    expect(monitor.probes()).toBe(1);

    // Stopped between probes: the scheduled one is cleared.
    monitor.start();
    await until('the probe to end', () => (timers.pending().length === 1 ? true : undefined));
    await monitor.stop();
    expect(timers.pending()).toEqual([]);
    expect(monitor.probes()).toBe(2);
  });

  it('keeps the last report when a probe fails outright, and probes again at the next interval', async () => {
    let calls = 0;
    const { health } = monitorOf();
    const { monitor, timers, probeEnded } = monitorOf(async () => {
      calls += 1;
      if (calls === 2) throw new Error('probe failed');
      return health.check();
    });
    monitor.start();
    const first = await monitor.current();
    await probeEnded();
    timers.fire();
    await probeEnded();
    expect(await monitor.current()).toBe(first);
    timers.fire();
    await probeEnded();
    expect(calls).toBe(3);
    expect(await monitor.current()).not.toBe(first);
  });
});
