// videos.list resources read into details: ISO 8601 durations (P0D for broadcasts), counts as
// strings, hidden likes and comments, live states from liveBroadcastContent and
// liveStreamingDetails. Bodies in the shapes youtube-api.md records.
import { describe, expect, it } from 'vitest';
import { liveStateOf, parseCount, parseIsoDuration, toVideoDetails } from './video-details-parse.js';

describe('parseIsoDuration', () => {
  it.each([
    ['PT1H2M3S', 3723],
    ['PT15M', 900],
    ['PT45S', 45],
    ['PT1H', 3600],
    ['PT10H0M1S', 36001],
    ['P1DT2H', 93_600],
    ['P1D', 86_400],
    ['P1W', 604_800],
    ['PT1M30.5S', 90],
    ['P0D', 0],
    ['PT0S', 0],
  ])('%s is %d seconds', (text, seconds) => {
    expect(parseIsoDuration(text)).toBe(seconds);
  });

  it.each(['', 'P', 'PT', '1H2M', 'PT-5S', 'PT1H2X', 'P1Y', 'PTS'])('%j is no duration', (text) => {
    expect(parseIsoDuration(text)).toBeNull();
  });
});

describe('parseCount', () => {
  it('reads decimal strings and leaves out what is no count', () => {
    expect(parseCount('0')).toBe(0);
    expect(parseCount('12345678901')).toBe(12_345_678_901);
    expect(parseCount(undefined)).toBeNull();
    expect(parseCount('-1')).toBeNull();
    expect(parseCount('1e5')).toBeNull();
    expect(parseCount('99999999999999999999')).toBeNull();
  });
});

describe('liveStateOf', () => {
  it('tells an upload, an upcoming, a live and a completed broadcast apart', () => {
    expect(liveStateOf('none', undefined)).toBe('none');
    expect(liveStateOf('upcoming', { scheduledStartTime: '2024-06-01T13:00:00Z' })).toBe('upcoming');
    expect(liveStateOf('live', { scheduledStartTime: '2024-06-01T12:55:00Z', actualStartTime: '2024-06-01T12:58:00Z', concurrentViewers: '12' })).toBe('live');
    expect(liveStateOf('none', { scheduledStartTime: '2024-06-01T12:55:00Z', actualStartTime: '2024-06-01T12:58:00Z', actualEndTime: '2024-06-01T14:00:00Z' })).toBe('completed');
    // An end time wins over a liveBroadcastContent read a moment earlier.
    expect(liveStateOf('live', { actualStartTime: '2024-06-01T12:58:00Z', actualEndTime: '2024-06-01T14:00:00Z' })).toBe('completed');
  });
});

describe('toVideoDetails', () => {
  const resource = {
    kind: 'youtube#video',
    etag: 'x',
    id: 'dQw4w9WgXcQ',
    snippet: {
      publishedAt: '2024-06-01T10:00:00Z',
      channelId: 'UCuAXFkgsw1L7xaCfnd5JJOw',
      title: 'Tea & "scones"',
      description: 'A long description, not HTML-encoded: Tea & "scones" <b>',
      tags: ['tea', 'scones'],
      categoryId: '22',
      liveBroadcastContent: 'none',
      defaultAudioLanguage: 'en-GB',
    },
    contentDetails: { duration: 'PT3M33S', dimension: '2d', definition: 'hd', caption: 'true', licensedContent: true, projection: 'rectangular' },
    status: { uploadStatus: 'processed', privacyStatus: 'public', madeForKids: false },
    statistics: { viewCount: '1500', likeCount: '42', favoriteCount: '0', commentCount: '7' },
  };

  it('reads an ordinary upload', () => {
    expect(toVideoDetails(resource)).toEqual({
      videoId: 'dQw4w9WgXcQ',
      descriptionFull: 'A long description, not HTML-encoded: Tea & "scones" <b>',
      tags: ['tea', 'scones'],
      categoryId: '22',
      defaultLanguage: 'en-GB',
      durationS: 213,
      definition: 'hd',
      hasCaptions: true,
      madeForKids: false,
      viewCount: 1500,
      likeCount: 42,
      commentCount: 7,
      liveState: 'none',
      scheduledStartAt: null,
      actualStartAt: null,
      actualEndAt: null,
    });
  });

  it('hidden likes and comments switched off are null, not 0; no tags is an empty list', () => {
    const details = toVideoDetails({
      ...resource,
      snippet: { ...resource.snippet, tags: undefined, defaultLanguage: 'fr' },
      statistics: { viewCount: '10', favoriteCount: '0' },
    });
    expect(details).toMatchObject({ likeCount: null, commentCount: null, viewCount: 10, tags: [], defaultLanguage: 'fr' });
  });

  it('a live broadcast has P0D (0 s), its scheduled and actual start, and no end', () => {
    const details = toVideoDetails({
      ...resource,
      snippet: { ...resource.snippet, liveBroadcastContent: 'live' },
      contentDetails: { ...resource.contentDetails, duration: 'P0D' },
      liveStreamingDetails: { scheduledStartTime: '2024-06-01T09:55:00Z', actualStartTime: '2024-06-01T10:00:00Z', concurrentViewers: '321' },
    });
    expect(details).toMatchObject({
      liveState: 'live',
      durationS: 0,
      scheduledStartAt: new Date('2024-06-01T09:55:00Z'),
      actualStartAt: new Date('2024-06-01T10:00:00Z'),
      actualEndAt: null,
    });
  });

  it('an upcoming broadcast and a completed one', () => {
    const upcoming = toVideoDetails({
      ...resource,
      snippet: { ...resource.snippet, liveBroadcastContent: 'upcoming' },
      contentDetails: { ...resource.contentDetails, duration: 'P0D' },
      liveStreamingDetails: { scheduledStartTime: '2024-06-02T18:00:00Z' },
    });
    expect(upcoming).toMatchObject({ liveState: 'upcoming', durationS: 0, scheduledStartAt: new Date('2024-06-02T18:00:00Z'), actualStartAt: null });
    const completed = toVideoDetails({
      ...resource,
      contentDetails: { ...resource.contentDetails, duration: 'PT1H2M3S' },
      liveStreamingDetails: { scheduledStartTime: '2024-06-01T09:55:00Z', actualStartTime: '2024-06-01T10:00:00Z', actualEndTime: '2024-06-01T11:02:03Z' },
    });
    expect(completed).toMatchObject({ liveState: 'completed', durationS: 3723, actualEndAt: new Date('2024-06-01T11:02:03Z') });
  });

  it('values that fit no column are left out rather than stored wrong', () => {
    const details = toVideoDetails({
      ...resource,
      snippet: { ...resource.snippet, categoryId: '123456789' },
      contentDetails: { duration: 'garbage', definition: '4k' },
      status: {},
      statistics: { viewCount: 'many' },
    });
    expect(details).toMatchObject({ categoryId: null, durationS: null, definition: null, hasCaptions: null, madeForKids: null, viewCount: null });
    expect(toVideoDetails({ ...resource, id: undefined })).toBeNull();
  });
});
