import { describe, expect, it } from 'vitest';
import { nextRefreshAt, refreshAfterMs } from './enrich-schedule.js';

const now = new Date('2024-06-10T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('refresh schedule', () => {
  it.each([
    [10 * MIN, 15 * MIN],
    [59 * MIN, 15 * MIN],
    [HOUR, HOUR],
    [5 * HOUR, HOUR],
    [6 * HOUR, 6 * HOUR],
    [23 * HOUR, 6 * HOUR],
    [DAY, DAY],
    [6 * DAY, DAY],
    [7 * DAY, 7 * DAY],
    [29 * DAY, 7 * DAY],
    [30 * DAY, 30 * DAY],
    [400 * DAY, 30 * DAY],
  ])('an upload %d ms old is read again %d ms later', (age, every) => {
    expect(refreshAfterMs({ publishedAt: ago(age), liveState: 'none' }, now)).toBe(every);
  });

  it('live every 5 minutes; upcoming by how soon it starts, between 5 minutes and an hour; a completed broadcast by the age of its end', () => {
    expect(refreshAfterMs({ publishedAt: ago(40 * DAY), liveState: 'live' }, now)).toBe(5 * MIN);
    expect(refreshAfterMs({ publishedAt: ago(HOUR), liveState: 'upcoming', scheduledStartAt: new Date(now.getTime() + 2 * MIN) }, now)).toBe(5 * MIN);
    expect(refreshAfterMs({ publishedAt: ago(HOUR), liveState: 'upcoming', scheduledStartAt: new Date(now.getTime() + 20 * MIN) }, now)).toBe(20 * MIN);
    expect(refreshAfterMs({ publishedAt: ago(HOUR), liveState: 'upcoming', scheduledStartAt: new Date(now.getTime() + DAY) }, now)).toBe(HOUR);
    expect(refreshAfterMs({ publishedAt: ago(3 * DAY), liveState: 'completed', actualEndAt: ago(30 * MIN) }, now)).toBe(15 * MIN);
  });

  it('a video YouTube no longer returns is asked about again a day later', () => {
    expect(nextRefreshAt({ publishedAt: ago(HOUR), liveState: null }, now)).toEqual(new Date('2024-06-11T12:00:00Z'));
  });
});
