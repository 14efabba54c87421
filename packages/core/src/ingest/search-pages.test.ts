import { describe, expect, it } from 'vitest';
import type { VideoInput } from '../catalog/video.js';
import { RESULT_CAP_NEAR, SEARCH_RELIABLE_AGE_MS, afterHeadPage, byWindow, cutShort, headHasMore, rangeProgress, unverifiedMs } from './search-pages.js';

const at = (iso: string) => new Date(iso);
const video = (publishedAt: string): VideoInput => ({
  videoId: publishedAt,
  title: 't',
  description: '',
  channelId: 'c',
  channelTitle: 'c',
  publishedAt: at(publishedAt),
  thumbnails: { default: null, medium: null, high: null },
  liveBroadcastContent: 'none',
});

describe('byWindow', () => {
  it('keeps inside the window, to the second as sent, and reports its oldest and newest', () => {
    const page = byWindow(
      [video('2024-05-14T10:00:00.000Z'), video('2024-05-14T09:59:59.000Z'), video('2024-05-14T11:00:00.000Z'), video('2024-05-14T11:00:01.000Z'), video('2024-05-14T10:30:00Z')],
      at('2024-05-14T10:00:00.600Z'),
      at('2024-05-14T10:59:59.200Z'),
    );
    expect(page.inside.map((v) => v.videoId)).toEqual(['2024-05-14T10:00:00.000Z', '2024-05-14T11:00:00.000Z', '2024-05-14T10:30:00Z']);
    expect(page.outside).toHaveLength(2);
    expect(page.oldest).toEqual(at('2024-05-14T10:00:00Z'));
    expect(page.newest).toEqual(at('2024-05-14T11:00:00Z'));
    expect(byWindow([video('2024-05-14T09:00:00Z')], at('2024-05-14T10:00:00Z'), null)).toMatchObject({ oldest: null, newest: null });
  });
});

describe('cutShort', () => {
  it('a page without a token may have more below when full or near the cap, never with a token', () => {
    expect(cutShort({ nextPageToken: null, itemCount: 50 }, 100, 50)).toBe(true);
    expect(cutShort({ nextPageToken: null, itemCount: 20 }, 120, 50)).toBe(false);
    expect(cutShort({ nextPageToken: null, itemCount: 20 }, RESULT_CAP_NEAR, 50)).toBe(true);
    expect(cutShort({ nextPageToken: 'next', itemCount: 50 }, RESULT_CAP_NEAR, 50)).toBe(false);
  });
});

describe('the head after a page', () => {
  const last = { nextPageToken: null, itemCount: 10 };
  const middle = { nextPageToken: 'next', itemCount: 50 };

  it('ends when the results end, reach stored ground, or bring nothing new; stops at a cut', () => {
    expect(afterHeadPage(last, false, headHasMore(last, false, false), 10)).toBe('results-ended');
    expect(afterHeadPage(middle, false, headHasMore(middle, false, true), 10)).toBe('reached-stored');
    expect(afterHeadPage(middle, false, headHasMore(middle, false, false), 0)).toBe('stalled');
    // Reaching stored ground settles the range even when the page brought nothing new.
    expect(afterHeadPage(middle, false, headHasMore(middle, false, true), 0)).toBe('reached-stored');
    expect(afterHeadPage({ nextPageToken: null, itemCount: 50 }, true, headHasMore({ nextPageToken: null, itemCount: 50 }, true, false), 50)).toBe('cut-short');
    expect(afterHeadPage(middle, false, headHasMore(middle, false, false), 50)).toBe('next');
  });
});

describe('rangeProgress', () => {
  const range = { after: at('2024-05-14T08:00:00Z'), before: at('2024-05-14T10:00:00Z') };
  const more = { nextPageToken: 'next', itemCount: 50 };

  it('moves the bound down to the page oldest, a second when stuck, not at all on an empty page', () => {
    expect(rangeProgress(range, range.before, more, false, at('2024-05-14T09:00:00Z'))).toEqual({ before: at('2024-05-14T09:00:00Z'), done: false });
    expect(rangeProgress(range, range.before, more, false, range.before)).toEqual({ before: at('2024-05-14T09:59:59Z'), done: false });
    expect(rangeProgress(range, range.before, more, false, null)).toEqual({ before: range.before, done: false });
  });

  it('is done when the results ended or the bound went below the start', () => {
    expect(rangeProgress(range, range.before, { nextPageToken: null, itemCount: 3 }, false, at('2024-05-14T09:00:00Z')).done).toBe(true);
    expect(rangeProgress(range, range.before, { nextPageToken: null, itemCount: 50 }, true, at('2024-05-14T09:00:00Z')).done).toBe(false);
    expect(rangeProgress(range, at('2024-05-14T08:00:00Z'), more, false, at('2024-05-14T08:00:00Z')).done).toBe(true);
  });
});

describe('unverifiedMs', () => {
  it('counts the part of a range older than search keeps complete', () => {
    const startedAt = Date.parse('2024-05-14T12:00:00Z');
    const reliableFrom = startedAt - SEARCH_RELIABLE_AGE_MS;
    expect(unverifiedMs({ after: new Date(reliableFrom - 3_600_000), before: new Date(reliableFrom + 3_600_000) }, startedAt)).toBe(3_600_000);
    expect(unverifiedMs({ after: new Date(reliableFrom), before: new Date(startedAt) }, startedAt)).toBe(0);
  });
});
