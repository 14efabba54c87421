// The shared window counter against the test Redis: processes on one prefix share one count
// (through batched syncs), the overshoot stays within the documented bound, windows roll over
// on the clock, and Redis away never fails a count (it stays local and catches up).
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock, type RedisClient } from '@tubefeed/core';
import { clearRedisPrefix, createTestRedis, silentLogger, uniqueName } from '@tubefeed/core/testing';
import { captureLog } from '../testing/log-capture.js';
import { createSharedWindowCounter, rateLimitKey, type SharedWindowCounter } from './shared-rate-limit-store.js';

const WINDOW = 60_000;
const redis = createTestRedis();
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await clearRedisPrefix(redis, prefix);
  redis.disconnect();
});

function counters(count: number, clock: ManualClock, prefix = uniqueName('rl')): SharedWindowCounter[] {
  prefixes.push(prefix);
  return Array.from({ length: count }, () =>
    createSharedWindowCounter({ redis, prefix, name: 'public', windowMs: WINDOW, now: () => clock.now().getTime(), log: silentLogger }),
  );
}

describe('shared window counter', () => {
  it('counts exactly within one process, and tells when the window ends', () => {
    const clock = new ManualClock(10 * WINDOW + 15_000);
    const [counter] = counters(1, clock);
    expect(counter!.peek('1.2.3.4')).toEqual({ count: 0, resetInMs: 45_000 });
    for (let i = 1; i <= 5; i++) expect(counter!.hit('1.2.3.4').count).toBe(i);
    expect(counter!.hit('5.6.7.8').count).toBe(1);
    clock.advance(5_000);
    expect(counter!.peek('1.2.3.4')).toEqual({ count: 5, resetInMs: 40_000 });
  });

  it('shares one count between processes on one prefix after a sync', async () => {
    const clock = new ManualClock(20 * WINDOW + 1_000);
    const [a, b] = counters(2, clock);
    for (let i = 0; i < 7; i++) a!.hit('10.0.0.1');
    for (let i = 0; i < 3; i++) b!.hit('10.0.0.1');
    b!.hit('10.0.0.2');
    await a!.sync();
    await b!.sync();
    // b learned a's 7 from its own sync's reply; a learns b's at its next one.
    expect(b!.peek('10.0.0.1').count).toBe(10);
    expect(a!.peek('10.0.0.1').count).toBe(7);
    a!.hit('10.0.0.1');
    await a!.sync();
    expect(a!.peek('10.0.0.1').count).toBe(11);
    expect(a!.peek('10.0.0.2').count).toBe(0); // a never saw that client: nothing to learn
  });

  it('keeps the overshoot within what the other processes admit in one sync interval', async () => {
    // Three processes, a client spreading 40 requests per interval over them, limit 100: each
    // process admits while (known total + its own since) <= 100. Whatever the interleaving, the
    // total admitted is at most max + what the other processes admitted in the last interval.
    const clock = new ManualClock(30 * WINDOW);
    const processes = counters(3, clock);
    const max = 100;
    let admitted = 0;
    const perInterval = 40;
    const admittedInInterval: number[][] = [];
    for (let interval = 0; interval < 10; interval++) {
      const round = [0, 0, 0];
      for (let i = 0; i < perInterval; i++) {
        const index = i % 3;
        if (processes[index]!.hit('198.51.100.7').count <= max) {
          admitted++;
          round[index]! += 1;
        }
      }
      admittedInInterval.push(round);
      for (const process of processes) await process.sync();
      clock.advance(100);
    }
    expect(admitted).toBeGreaterThanOrEqual(max);
    // Bound: the other processes' share of one interval's requests (2/3 of 40, rounded up).
    expect(admitted - max).toBeLessThanOrEqual(Math.ceil((perInterval * 2) / 3));
    // And the total in Redis is every request made, denied ones included (as @fastify/rate-limit counts).
    const stored = await redis.get(rateLimitKey(prefixes.at(-1)!, 'public', 30, '198.51.100.7'));
    expect(Number(stored)).toBe(10 * perInterval);
  });

  it('starts a new count when the window ends, for every process at once', async () => {
    const clock = new ManualClock(40 * WINDOW + WINDOW - 10);
    const [a, b] = counters(2, clock);
    for (let i = 0; i < 5; i++) a!.hit('192.0.2.1');
    await a!.sync();
    clock.advance(10); // the next window
    expect(a!.hit('192.0.2.1')).toEqual({ count: 1, resetInMs: WINDOW });
    expect(b!.hit('192.0.2.1').count).toBe(1);
    await a!.sync();
    await b!.sync();
    expect(b!.peek('192.0.2.1').count).toBe(2);
  });

  it('keeps counting locally while Redis is away, says so once, and catches up when it is back', async () => {
    const { log, lines } = captureLog('info');
    // A client on a port nothing listens on, failing fast like the API's command connection.
    const away = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    away.on('error', () => undefined);
    let current: RedisClient = away;
    const prefix = uniqueName('rl');
    prefixes.push(prefix);
    const clock = new ManualClock(50 * WINDOW);
    const counter = createSharedWindowCounter({
      redis: { pipeline: () => current.pipeline() },
      prefix,
      name: 'public',
      windowMs: WINDOW,
      now: () => clock.now().getTime(),
      log,
    });
    for (let i = 0; i < 4; i++) counter.hit('203.0.113.9');
    await counter.sync();
    await counter.sync();
    expect(counter.hit('203.0.113.9').count).toBe(5);
    expect(lines.filter((line) => line.msg.includes('not shared'))).toHaveLength(1);
    current = redis;
    await counter.sync();
    expect(await redis.get(rateLimitKey(prefix, 'public', 50, '203.0.113.9'))).toBe('5');
    expect(lines.map((line) => line.msg)).toContain('rate limit counts shared through redis again');
    away.disconnect();
  });

  it('syncs on its own timer once started, and once more when stopped', async () => {
    const clock = new ManualClock(60 * WINDOW);
    const prefix = uniqueName('rl');
    prefixes.push(prefix);
    const counter = createSharedWindowCounter({ redis, prefix, name: 'public', windowMs: WINDOW, syncEveryMs: 20, now: () => clock.now().getTime(), log: silentLogger });
    const key = rateLimitKey(prefix, 'public', 60, '192.0.2.55');
    counter.start();
    counter.hit('192.0.2.55');
    await expect.poll(() => redis.get(key), { timeout: 2000, interval: 10 }).toBe('1');
    counter.hit('192.0.2.55');
    await counter.stop();
    expect(await redis.get(key)).toBe('2');
    expect(await redis.pttl(key)).toBeGreaterThan(WINDOW);
  });
});
