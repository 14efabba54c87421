import { describe, expect, it } from 'vitest';
import type { ProjectStatus } from './youtube/key-pool.js';
import { computePacing, intervalChanged } from './pacing.js';

/** A project as the pool reports it: searches used of 100, units used of 10,000. */
function project(searchesUsed = 0, options: { usable?: boolean; searchSpent?: boolean; unitsUsed?: number } = {}): ProjectStatus {
  // As the pool reports it: a bucket YouTube said is spent has nothing left.
  const bucket = (used: number, limit: number, spent = false) => ({
    used,
    limit,
    remaining: spent ? 0 : Math.max(0, limit - used),
    exhaustedUntil: spent || used >= limit ? new Date('2024-05-15T07:00:00Z') : null,
  });
  return {
    id: `p${Math.random()}`,
    label: null,
    keys: 1,
    usable: options.usable ?? true,
    buckets: { search: bucket(searchesUsed, 100, options.searchSpent), units: bucket(options.unitsUsed ?? 0, 10_000) },
  };
}
const base = { minIntervalMs: 10_000, enabled: true };
// 2024-05-14 is a PDT day: midnight PT is 07:00 UTC.
const MIDNIGHT = '2024-05-14T07:00:00Z';
const NOON = '2024-05-14T19:00:00Z';

describe('computePacing', () => {
  it('1 project, 1 query, a whole day: 100 runs spaced so the last falls before midnight', () => {
    const pacing = computePacing({ ...base, now: new Date(MIDNIGHT), projects: [project()], queries: 1 });
    expect(pacing).toMatchObject({ intervalMs: Math.ceil(86_400_000 / 101), budgetSearches: 100, budgetUnits: 10_000, usableProjects: 1, budgetBound: true });
    expect(pacing.summary).toBe('1 project, 1 query: one run per query every 855 s until 00:00 PT (100 searches left)');
  });

  it('3 projects, 2 queries, at noon PT: 150 runs per query in 12 h', () => {
    const pacing = computePacing({ ...base, now: new Date(NOON), projects: [project(), project(), project()], queries: 2 });
    expect(pacing.intervalMs).toBe(Math.ceil(43_200_000 / 151));
  });

  it('counts searches only: a units bucket spent on videos.list takes no search away', () => {
    const spentUnits = project(0, { unitsUsed: 10_000 });
    const pacing = computePacing({ ...base, now: new Date(MIDNIGHT), projects: [spentUnits], queries: 1 });
    expect(pacing).toMatchObject({ budgetSearches: 100, budgetUnits: 0 });
    expect(pacing.intervalMs).toBe(Math.ceil(86_400_000 / 101));
  });

  it('a project YouTube said is spent counts for nothing, whatever our own count says', () => {
    const pacing = computePacing({ ...base, now: new Date(NOON), projects: [project(40, { searchSpent: true }), project(20)], queries: 1 });
    expect(pacing.budgetSearches).toBe(80);
  });

  it('a project added mid-day shortens the interval at once', () => {
    const half = project(50);
    expect(computePacing({ ...base, now: new Date(NOON), projects: [half], queries: 1 }).intervalMs).toBe(Math.ceil(43_200_000 / 51));
    expect(computePacing({ ...base, now: new Date(NOON), projects: [half, project()], queries: 1 }).intervalMs).toBe(Math.ceil(43_200_000 / 151));
  });

  it('with no usable project, waits for the reset instead of polling', () => {
    const rejected = project(0, { usable: false });
    const pacing = computePacing({ ...base, now: new Date(NOON), projects: [rejected, rejected], queries: 3 });
    expect(pacing).toMatchObject({ intervalMs: 12 * 3_600_000, usableProjects: 0, budgetSearches: 0 });
    expect(pacing.summary).toBe('0 projects, 3 queries: no usable key, next searches after 00:00 PT (2024-05-15T07:00:00.000Z)');
  });

  it('counts runs at what they have recently cost, and the last search left is still one more run', () => {
    const pacing = computePacing({ ...base, now: new Date(MIDNIGHT), projects: [project()], queries: 1, searchesPerRun: 2 });
    expect(pacing.intervalMs).toBe(Math.ceil(86_400_000 / 51)); // 50 runs of two searches
    const lastOne = computePacing({ ...base, now: new Date('2024-05-15T06:00:00Z'), projects: [project(99)], queries: 1, searchesPerRun: 1.05 });
    expect(lastOne.intervalMs).toBe(1_800_000); // one run, half way to midnight
  });

  it('never fetches more often than FETCH_INTERVAL_MS, however large the budget', () => {
    const many = Array.from({ length: 100 }, () => project());
    const pacing = computePacing({ ...base, now: new Date(NOON), projects: many, queries: 1 });
    expect(pacing).toMatchObject({ intervalMs: 10_000, budgetBound: false });
  });

  it('follows the 23- and 25-hour Pacific days', () => {
    // DST starts 2024-03-10: the day from 08:00 UTC is 23 h long; it ends 2024-11-03 (25 h).
    expect(computePacing({ ...base, now: new Date('2024-03-10T08:00:00Z'), projects: [project()], queries: 1 }).intervalMs).toBe(Math.ceil(82_800_000 / 101));
    expect(computePacing({ ...base, now: new Date('2024-11-03T07:00:00Z'), projects: [project()], queries: 1 }).intervalMs).toBe(Math.ceil(90_000_000 / 101));
  });

  it('with pacing off, every query runs every FETCH_INTERVAL_MS', () => {
    const pacing = computePacing({ ...base, enabled: false, now: new Date(NOON), projects: [project()], queries: 2 });
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
