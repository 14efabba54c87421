// The Atom document's text handling and its conditional-request rules, without a database: a
// real feed parser reads what renderAtomFeed writes, and a strict XML validator checks it.
import { parseFeed } from '@rowanmanning/feed-parser';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { VideoJson } from '../catalog/video-schemas.js';
import { atomFeedEtag, atomFeedId, notModified, renderAtomFeed, xmlEscape } from './atom-feed.js';

const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/; // eslint-disable-line no-control-regex

const video = (fields: Partial<VideoJson> = {}): VideoJson => ({
  video_id: 'abcdefghijk',
  title: 'A title',
  description: 'A description',
  published_at: '2024-05-01T10:00:00.000Z',
  thumbnail_default: null,
  thumbnail_medium: 'https://i.ytimg.com/vi/abcdefghijk/mqdefault.jpg',
  thumbnail_high: null,
  channel_id: 'UCalpha',
  channel_title: 'Alpha',
  url: 'https://www.youtube.com/watch?v=abcdefghijk',
  duration_seconds: null,
  view_count: null,
  like_count: null,
  comment_count: null,
  live_state: null,
  scheduled_start_at: null,
  actual_start_at: null,
  actual_end_at: null,
  tags: null,
  category_id: null,
  default_language: null,
  definition: null,
  has_captions: null,
  made_for_kids: null,
  available: true,
  unavailable_since: null,
  details_updated_at: null,
  ...fields,
});

const render = (videos: VideoJson[], selfUrl = 'http://api.test/feeds/videos.atom?limit=5&query=a%26b') =>
  renderAtomFeed({ scope: { kind: 'all' }, videos, selfUrl, alternateUrl: 'http://api.test/' });

describe('xmlEscape', () => {
  it('escapes markup and drops what XML 1.0 forbids, keeping tab, newlines and astral characters', () => {
    expect(xmlEscape(`a<b>&"c"'d]]>`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;d]]&gt;');
    expect(xmlEscape('x\u0000\u0001\u0008\u000B\u000C\u000E\u001F\uFFFE\uFFFFy')).toBe('xy');
    expect(xmlEscape('t\tn\nr\r')).toBe('t\tn\nr\r');
    expect(xmlEscape('tea 🍵 ok')).toBe('tea 🍵 ok');
    expect(xmlEscape('lone \uD83C high, lone \uDF75 low')).toBe('lone  high, lone  low');
  });
});

describe('renderAtomFeed', () => {
  it('writes a well-formed Atom document a feed parser reads back field by field', () => {
    const hostile = video({
      title: 'Tom & Jerry <b>bold</b> ]]> "quoted" \'single\' 🍵\u0001\u000B',
      description: 'line one\nline two <script>alert(1)</script> & \u0000 done',
      channel_title: 'A&B <Channel>',
    });
    const second = video({ video_id: 'bbbbbbbbbbb', published_at: '2024-04-01T00:00:00.000Z', url: 'https://www.youtube.com/watch?v=bbbbbbbbbbb' });
    const xml = render([hostile, second]);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).not.toMatch(FORBIDDEN);
    const feed = parseFeed(xml);
    expect(feed.meta.type).toBe('atom');
    expect(feed.title).toBe('tubefeed: newest videos');
    expect(feed.self).toBe('http://api.test/feeds/videos.atom?limit=5&query=a%26b');
    expect(feed.url).toBe('http://api.test/');
    expect(feed.updated?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(feed.items.map((item) => item.id)).toEqual(['yt:video:abcdefghijk', 'yt:video:bbbbbbbbbbb']);
    const [first] = feed.items;
    expect(first!.title).toBe('Tom & Jerry <b>bold</b> ]]> "quoted" \'single\' 🍵');
    expect(first!.description).toBe('line one\nline two <script>alert(1)</script> &  done');
    expect(first!.url).toBe('https://www.youtube.com/watch?v=abcdefghijk');
    expect(first!.published?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(first!.updated?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(first!.authors).toEqual([{ name: 'A&B <Channel>', url: 'https://www.youtube.com/channel/UCalpha', email: null }]);
    expect(first!.media).toEqual([
      expect.objectContaining({ url: 'https://www.youtube.com/watch?v=abcdefghijk', image: 'https://i.ytimg.com/vi/abcdefghijk/mqdefault.jpg', type: 'video' }),
    ]);
  });

  it('gives an empty feed the fixed epoch as its updated time', () => {
    const xml = render([]);
    expect(XMLValidator.validate(xml)).toBe(true);
    const feed = parseFeed(xml);
    expect(feed.items).toEqual([]);
    expect(feed.updated?.toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(render([])).toBe(xml);
  });
});

describe('atomFeedId and atomFeedEtag', () => {
  it('names each scope by a stable URN and tags each (scope, limit, bytes) differently', () => {
    expect(atomFeedId({ kind: 'all' })).toBe('urn:tubefeed:videos');
    expect(atomFeedId({ kind: 'query', query: 'tea & cake' })).toBe('urn:tubefeed:videos:query:tea%20%26%20cake');
    expect(atomFeedId({ kind: 'channel', channel: 'UCalpha' })).toBe('urn:tubefeed:videos:channel:UCalpha');
    const tag = atomFeedEtag({ kind: 'all' }, 50, 'bytes');
    expect(tag).toMatch(/^"atom-[A-Za-z0-9_-]+"$/);
    expect(atomFeedEtag({ kind: 'all' }, 50, 'bytes')).toBe(tag);
    expect(atomFeedEtag({ kind: 'all' }, 49, 'bytes')).not.toBe(tag);
    expect(atomFeedEtag({ kind: 'channel', channel: 'x' }, 50, 'bytes')).not.toBe(tag);
    expect(atomFeedEtag({ kind: 'all' }, 50, 'bytes!')).not.toBe(tag);
  });
});

describe('notModified', () => {
  const current = { etag: '"atom-1"', lastModified: new Date('2024-05-01T10:00:00.500Z') };
  it('matches If-None-Match weakly, in a list, or as *', () => {
    expect(notModified({ ifNoneMatch: '"atom-1"' }, current)).toBe(true);
    expect(notModified({ ifNoneMatch: 'W/"atom-1"' }, current)).toBe(true);
    expect(notModified({ ifNoneMatch: '"other", "atom-1"' }, current)).toBe(true);
    expect(notModified({ ifNoneMatch: '*' }, current)).toBe(true);
    expect(notModified({ ifNoneMatch: '"other"' }, current)).toBe(false);
  });
  it('compares If-Modified-Since at whole seconds, and only without If-None-Match', () => {
    expect(notModified({ ifModifiedSince: 'Wed, 01 May 2024 10:00:00 GMT' }, current)).toBe(true);
    expect(notModified({ ifModifiedSince: 'Wed, 01 May 2024 09:59:59 GMT' }, current)).toBe(false);
    expect(notModified({ ifModifiedSince: 'not a date' }, current)).toBe(false);
    expect(notModified({ ifModifiedSince: 'Wed, 01 May 2024 10:00:00 GMT' }, { ...current, lastModified: null })).toBe(false);
    expect(notModified({ ifNoneMatch: '"other"', ifModifiedSince: 'Wed, 01 May 2024 11:00:00 GMT' }, current)).toBe(false);
    expect(notModified({ ifNoneMatch: '"atom-1"', ifModifiedSince: 'Wed, 01 May 2024 09:00:00 GMT' }, current)).toBe(true);
  });
});
