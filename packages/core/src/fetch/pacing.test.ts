import { describe, expect, it } from 'vitest';
import { computePacing, intervalChanged } from './pacing.js';

const fresh = { state: 'ok' as const, unitsToday: 0 };
const base = { dailyQuota: 10_000, minIntervalMs: 10_000, enabled: true };
// 2024-05-14 is a PDT day: midnight PT is 07:00 UTC.
const MIDNIGHT = '2024-05-14T07:00:00Z';
const NOON = '2024-05-14T19:00:00Z';

describe('computePacing', () => {
  it('1 key, 1 query, a whole day: one search every 864 s (100 a day)', () => {
    const pacing = computePacing({ ...base, now: new Date(MIDNIGHT), keys: [fresh], queries: 1 });
    expect(pacing).toMatchObject({ intervalMs: 864_000, budgetUnits: 10_000, usableKeys: 1, budgetBound: true });
    expect(pacing.summary).toBe('1 key, 1 query: one search per query every 864 s until 00:00 PT');
  });

  it('3 keys, 2 queries, at noon PT: one search per query every 288 s', () => {
    const pacing = computePacing({ ...base, now: new Date(NOON), keys: [fresh, fresh, fresh], queries: 2 });
    expect(pacing.intervalMs).toBe(288_000);
    expect(pacing.summary).toBe('3 keys, 2 queries: one search per query every 288 s until 00:00 PT');
  });

  it('a key exhausted early only counts what the others have left', () => {
    const keys = [{ state: 'exhausted' as const, unitsToday: 10_000 }, { state: 'ok' as const, unitsToday: 2000 }, { state: 'ok' as const, unitsToday: 2000 }];
    const sixHoursLeft = new Date('2024-05-15T01:00:00Z');
    const pacing = computePacing({ ...base, now: sixHoursLeft, keys, queries: 2 });
    expect(pacing.budgetUnits).toBe(16_000); // 160 searches, 80 per query, over 6 h
    expect(pacing.intervalMs).toBe(270_000);
  });

  it('a key added mid-day shortens the interval at once', () => {
    const used = { state: 'ok' as const, unitsToday: 5000 };
    expect(computePacing({ ...base, now: new Date(NOON), keys: [used], queries: 1 }).intervalMs).toBe(864_000);
    expect(computePacing({ ...base, now: new Date(NOON), keys: [used, fresh], queries: 1 }).intervalMs).toBe(288_000);
  });

  it('with every key disabled, waits for the reset instead of polling', () => {
    const disabled = { state: 'disabled' as const, unitsToday: 0 };
    const pacing = computePacing({ ...base, now: new Date(NOON), keys: [disabled, disabled], queries: 3 });
    expect(pacing).toMatchObject({ intervalMs: 12 * 3_600_000, usableKeys: 0, budgetUnits: 0 });
    expect(pacing.summary).toBe('0 keys, 3 queries: no usable key, next searches after 00:00 PT (2024-05-15T07:00:00.000Z)');
  });

  it('counts runs at what they have recently cost', () => {
    const pacing = computePacing({ ...base, now: new Date(MIDNIGHT), keys: [fresh], queries: 1, unitsPerRun: 200 });
    expect(pacing.intervalMs).toBe(1_728_000); // 50 runs of two searches
  });

  it('never fetches more often than FETCH_INTERVAL_MS, however large the budget', () => {
    const many = Array.from({ length: 100 }, () => fresh);
    const pacing = computePacing({ ...base, now: new Date(NOON), keys: many, queries: 1 });
    expect(pacing).toMatchObject({ intervalMs: 10_000, budgetBound: false });
  });

  it('follows the 23- and 25-hour Pacific days', () => {
    // DST starts 2024-03-10: the day from 08:00 UTC is 23 h long; it ends 2024-11-03 (25 h).
    expect(computePacing({ ...base, now: new Date('2024-03-10T08:00:00Z'), keys: [fresh], queries: 1 }).intervalMs).toBe(828_000);
    expect(computePacing({ ...base, now: new Date('2024-11-03T07:00:00Z'), keys: [fresh], queries: 1 }).intervalMs).toBe(900_000);
  });

  it('with pacing off, every query runs every FETCH_INTERVAL_MS', () => {
    const pacing = computePacing({ ...base, enabled: false, now: new Date(NOON), keys: [fresh], queries: 2 });
    expect(pacing).toMatchObject({ intervalMs: 10_000, budgetBound: false });
  });
});

describe('intervalChanged', () => {
  it('ignores drift under 5%', () => {
    expect(intervalChanged(undefined, 10_000)).toBe(true);
    expect(intervalChanged(864_000, 880_000)).toBe(false);
    expect(intervalChanged(864_000, 950_000)).toBe(true);
    expect(intervalChanged(10_000, 10_400)).toBe(false);
    expect(intervalChanged(1000, 2000)).toBe(true);
  });
});
