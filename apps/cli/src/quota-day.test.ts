// A simulated day (fake clock) of fetching with one key: pacing spends the quota evenly and
// fully; without pacing the key runs dry early and fetching stops until Pacific midnight.
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '@tubefeed/core';
import { clearRedisPrefix, createTestRedis, testMysqlUrl, uniqueName } from '@tubefeed/core/testing';
import { simulateQuotaDay } from './quota-day.js';

const redis = createTestRedis();
const databases: string[] = [];
const prefixes: string[] = [];
afterAll(async () => {
  for (const url of databases) await dropDatabase(url);
  for (const prefix of prefixes) await clearRedisPrefix(redis, prefix);
  redis.disconnect();
});

function scratch() {
  const mysqlUrl = testMysqlUrl(uniqueName('day'));
  const redisPrefix = uniqueName('day');
  databases.push(mysqlUrl);
  prefixes.push(redisPrefix);
  return { mysqlUrl, redis, redisPrefix };
}

// 2024-05-14 00:00 PDT.
const START = new Date('2024-05-14T07:00:00Z');

describe('a simulated day with one key', () => {
  it('with pacing, spends the quota to within 5%, never over it, spread over every hour', async () => {
    const day = await simulateQuotaDay({ ...scratch(), keys: 1, queries: ['cricket'], pacing: true, minIntervalMs: 10_000, start: START });
    expect(day.firstIntervalMs).toBe(864_000);
    expect(day.unitsPerKey[0]).toBeGreaterThanOrEqual(9500);
    expect(day.unitsPerKey[0]).toBeLessThanOrEqual(10_000);
    expect(day.quotaErrors).toBe(0);
    expect(day.callsPerHour).toHaveLength(24);
    expect(Math.min(...day.callsPerHour)).toBeGreaterThanOrEqual(2);
    expect(day.longestGapMs).toBeLessThanOrEqual(2 * day.firstIntervalMs);
    expect(day.lastCallAt!.getTime()).toBeGreaterThan(START.getTime() + 23 * 3_600_000);
    expect(day.logLines.some((line) => line.includes('1 key, 1 query: one search per query every 864 s until 00:00 PT'))).toBe(true);
  });

  it('without pacing, runs dry early and makes no call until Pacific midnight, as logged', async () => {
    const day = await simulateQuotaDay({ ...scratch(), keys: 1, queries: ['cricket'], pacing: false, minIntervalMs: 60_000, start: START });
    expect(day.searchCalls).toBe(100);
    expect(day.unitsPerKey[0]).toBe(10_000);
    expect(day.lastCallAt!.getTime()).toBeLessThan(START.getTime() + 2 * 3_600_000);
    expect(day.callsPerHour.slice(2).every((n) => n === 0)).toBe(true);
    const logged = day.logLines.find((line) => line.includes('every YouTube key is out of quota; no call until the reset'));
    expect(logged).toContain('"resetAt":"2024-05-15T07:00:00.000Z"');
  });
});
