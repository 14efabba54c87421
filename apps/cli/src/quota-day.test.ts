// A simulated day (fake clock) of fetching with one key: pacing spends the quota evenly and
// fully; without pacing the key runs dry early and fetching stops until Pacific midnight.
// Enrichment and a followed channel's polling spend the units bucket beside, counted per method
// by the simulator and equal to its bucket counts.
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabase, loadConfig } from '@tubefeed/core';
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
  it('with pacing, makes all 100 searches of the day, never over, spread over every hour', async () => {
    const day = await simulateQuotaDay({ ...scratch(), keys: 1, queries: ['cricket'], pacing: true, minIntervalMs: 10_000, start: START });
    expect(day.firstIntervalMs).toBe(Math.ceil(86_400_000 / 101));
    expect(day.searchesPerDay).toEqual([100]);
    expect(day.quotaErrors).toBe(0);
    expect(day.callsPerHour).toHaveLength(24);
    expect(Math.min(...day.callsPerHour)).toBeGreaterThanOrEqual(2);
    expect(day.longestGapMs).toBeLessThanOrEqual(2 * day.firstIntervalMs);
    expect(day.lastCallAt!.getTime()).toBeGreaterThan(START.getTime() + 23 * 3_600_000);
    expect(day.logLines.some((line) => line.includes('1 project, 1 query: one run per query every 855 s until 00:00 PT (100 searches left)'))).toBe(true);
    // Searching alone spends nothing of the units bucket; the simulator's count per method is its bucket's.
    expect(day.unitsPerDay).toEqual([expect.objectContaining({ searches: 100, searchBucketUsed: 100, enrichUnits: 0, channelUnits: 0, unitsBucketUsed: 0, unitsBucketLimit: 10_000 })]);
  });

  it('without pacing, runs dry early and makes no call until Pacific midnight, as logged', async () => {
    const day = await simulateQuotaDay({ ...scratch(), keys: 1, queries: ['cricket'], pacing: false, minIntervalMs: 60_000, start: START });
    expect(day.searchCalls).toBe(100);
    expect(day.lastCallAt!.getTime()).toBeLessThan(START.getTime() + 2 * 3_600_000);
    expect(day.callsPerHour.slice(2).every((n) => n === 0)).toBe(true);
    const logged = day.logLines.find((line) => line.includes('every YouTube project is out of search quota; no search until the reset'));
    expect(logged).toContain('"resetAt":"2024-05-15T07:00:00.000Z"');
  });
});

// Search indexes a few videos hours late (the simulator's default lag: 0.5 % between 1 and 12 h,
// 3 % between 2 and 60 min). With one project's 100 searches and a busy query (an upload every
// 5 minutes), one look after the overlap loses them; sweeps find them within the same budget.
describe('late indexing over a simulated day with one key and a busy query', () => {
  const run = (design: 'overlap' | 'sweeps') =>
    simulateQuotaDay({
      ...scratch(),
      keys: 1,
      queries: ['cricket'],
      pacing: true,
      minIntervalMs: 10_000,
      start: START,
      days: 1,
      drainMs: 18 * 3_600_000,
      publishIntervalMs: 300_000,
      design,
    });

  it('finds every late-indexed video with sweeps, where one look after the overlap misses most of them', async () => {
    const [before, after] = [await run('overlap'), await run('sweeps')];
    expect(after.recall.visible).toBe(before.recall.visible);
    expect(after.recall.lateVisible).toBeGreaterThan(0);
    expect(after.recall.share).toBeGreaterThanOrEqual(0.995);
    expect(after.recall.lateStored).toBe(after.recall.lateVisible);
    expect(before.recall.lateStored).toBeLessThan(before.recall.lateVisible / 2);
    expect(before.recall.share).toBeLessThan(after.recall.share);
    // Within the same searches: no day spends more than its 100.
    for (const report of [before, after]) expect(Math.max(...report.searchesPerDay)).toBeLessThanOrEqual(100);
  });
});

// The worker's other readers of the units bucket on the same clock and keys: enrichment every
// ENRICH_INTERVAL_MS and one followed channel polled by its ticks, with the configuration's
// defaults. The last four hours of a Pacific day keep the run short (a tick every 15 s).
describe('enrichment and a followed channel beside the searches', () => {
  const config = loadConfig({}, { openFileLimit: null });

  it('counts the units each spends as the simulator charged them, per method and in its buckets', { timeout: 180_000 }, async () => {
    const day = await simulateQuotaDay({
      ...scratch(),
      keys: 1,
      queries: ['cricket'],
      pacing: true,
      minIntervalMs: 10_000,
      start: new Date(START.getTime() + 20 * 3_600_000),
      enrich: config.enrich,
      channels: { count: 1, settings: config.channels, reserveUnits: config.enrich.reserveUnits },
    });
    expect(day.unitsPerDay).toHaveLength(1);
    const units = day.unitsPerDay[0]!;
    // Nothing charged goes unexplained: the counts per method add up to the buckets.
    expect(units.searches).toBeGreaterThan(0);
    expect(units.searches).toBe(units.searchBucketUsed);
    expect(units.searches).toBe(day.searchCalls);
    expect(units.otherUnits).toBe(0);
    expect(units.enrichUnits + units.channelUnits).toBe(units.unitsBucketUsed);
    expect(units.unitsBucketLimit).toBe(10_000);
    // Enrichment: each video read at least once, 50 to a unit; the service's own count agrees.
    expect(day.enrichment.videosWithDetails).toBeGreaterThan(0);
    expect(units.enrichUnits).toBeGreaterThanOrEqual(Math.ceil(day.enrichment.videosWithDetails / 50));
    expect(units.enrichUnits).toBe(day.enrichment.units);
    expect(units.enrichUnits).toBe(day.counted.enrichUnits);
    expect(units.enrichUnits).toBeLessThanOrEqual(config.enrich.perDayUnits);
    // The channel: one channels.list lookup, then at least a unit per poll, within its share.
    expect(units.channelLookupUnits).toBe(1);
    expect(day.channels.polls).toBeGreaterThan(0);
    expect(units.channelUnits - units.channelLookupUnits).toBeGreaterThanOrEqual(day.channels.polls);
    expect(units.channelUnits - units.channelLookupUnits).toBe(day.counted.channelUnits);
    expect(units.channelUnits).toBeLessThanOrEqual(config.channels.unitsShare * units.unitsBucketLimit);
    expect(day.channels.inserted).toBeGreaterThan(0);
  });
});
