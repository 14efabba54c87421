import { describe, expect, it } from 'vitest';
import { computeChannelPacing } from './channel-pacing.js';
import type { ProjectStatus } from './youtube/key-pool.js';

/** A project as the pool reports it: units used of 10,000 (searches play no part). */
function project(unitsUsed = 0, options: { usable?: boolean; spent?: boolean } = {}): ProjectStatus {
  const units = {
    used: unitsUsed,
    limit: 10_000,
    remaining: options.spent ? 0 : Math.max(0, 10_000 - unitsUsed),
    exhaustedUntil: options.spent || unitsUsed >= 10_000 ? new Date('2024-05-15T07:00:00Z') : null,
  };
  return { id: `p${Math.random()}`, label: null, keys: 1, usable: options.usable ?? true, buckets: { search: { used: 0, limit: 100, remaining: 100, exhaustedUntil: null }, units } };
}
// 2024-05-14 is a PDT day: midnight PT is 07:00 UTC.
const MIDNIGHT = new Date('2024-05-14T07:00:00Z');
const NOON = new Date('2024-05-14T19:00:00Z');
const DAY = 86_400_000;
const base = { share: 0.5, minIntervalMs: 90_000, spentToday: 0 };

describe('computeChannelPacing', () => {
  it('a few channels are polled every CHANNEL_POLL_INTERVAL_MS: 3 channels of one project spend 2,880 of 5,000 units a day', () => {
    const pacing = computeChannelPacing({ ...base, now: MIDNIGHT, projects: [project()], channels: 3 });
    expect(pacing).toMatchObject({ dayCapUnits: 5000, unitsLeftToday: 5000, intervalMs: 90_000, limit: 'min-interval' });
    expect(3 * Math.floor(DAY / pacing.intervalMs)).toBe(2880);
  });

  it('many channels are spread over the day within the share: 100 channels, one project, a whole day', () => {
    const pacing = computeChannelPacing({ ...base, now: MIDNIGHT, projects: [project()], channels: 100 });
    // 50 polls each left: spaced so the 50th falls before midnight.
    expect(pacing).toMatchObject({ unitsLeftToday: 5000, intervalMs: Math.ceil(DAY / 51), limit: 'paced' });
    expect(100 * Math.floor(DAY / pacing.intervalMs)).toBeLessThanOrEqual(5000);
  });

  it('what was spent today shortens the rest: at noon PT with 4,000 spent, 1,000 left for 10 channels over 12 h', () => {
    const pacing = computeChannelPacing({ ...base, now: NOON, projects: [project(6000)], channels: 10, spentToday: 4000 });
    expect(pacing).toMatchObject({ unitsLeftToday: 1000, intervalMs: Math.ceil(DAY / 2 / 101) });
    expect(10 * Math.floor(DAY / 2 / pacing.intervalMs)).toBeLessThanOrEqual(1000);
  });

  it('the share counts every usable project, never one that cannot be used', () => {
    const pacing = computeChannelPacing({ ...base, now: MIDNIGHT, projects: [project(), project(), project(0, { usable: false })], channels: 1, share: 0.25 });
    expect(pacing).toMatchObject({ dayCapUnits: 5000, unitsLeftToday: 5000 });
  });

  it('the share spent: no poll until the reset', () => {
    const pacing = computeChannelPacing({ ...base, now: NOON, projects: [project(5000)], channels: 4, spentToday: 5000 });
    expect(pacing).toMatchObject({ unitsLeftToday: 0, limit: 'share-spent', intervalMs: DAY / 2 });
    expect(pacing.resetAt.toISOString()).toBe('2024-05-15T07:00:00.000Z');
  });

  it('the bucket spent by others (or YouTube saying so): no poll, whatever the share left', () => {
    expect(computeChannelPacing({ ...base, now: NOON, projects: [project(0, { spent: true })], channels: 1 })).toMatchObject({ unitsLeftToday: 0, limit: 'units-spent' });
    expect(computeChannelPacing({ ...base, now: NOON, projects: [project(9999)], channels: 2, spentToday: 10 })).toMatchObject({ unitsLeftToday: 1, limit: 'units-spent' });
  });

  it('no usable key: no poll', () => {
    expect(computeChannelPacing({ ...base, now: NOON, projects: [], channels: 2 })).toMatchObject({ unitsLeftToday: 0, limit: 'no-usable-key' });
    expect(computeChannelPacing({ ...base, now: NOON, projects: [project(0, { usable: false })], channels: 2 })).toMatchObject({ limit: 'no-usable-key' });
  });
});
