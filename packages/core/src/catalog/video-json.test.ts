// The pre-rendered bodies are the schema's JSON: for data the schema accepts, what the
// field-by-field renderers produce from already-serialised videos is byte-for-byte
// JSON.stringify of the same object. Awkward text (quotes, backslashes, control characters,
// line separators, astral characters, markup) and null thumbnails included, and videos in every
// state of enrichment: never enriched, enriched with hidden counts, tags with quotes and emoji,
// a broadcast with its live times, and one YouTube no longer returns.
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { NOT_ENRICHED, VIDEO_JSON_VERSION, compileEnvelope, feedPageJson, joinTexts, renderedShapeHash, serializeVideo, toVideoJson, videoPageJson, type VideoJsonSource } from './video-json.js';
import { FeedPageSchema, VideoPageSchema, VideoSchema, videoSchemaRefs } from './video-schemas.js';

const awkward = ['Tom & Jerry <live> "quoted" it\'s', 'back\\slash\nnew line\ttab', 'sep \u2028 \u2029 ctrl \u0001\u001f', 'tea 🍵 日本語 </script>', ''];

function row(i: number): VideoJsonSource {
  const id = `vid${String(i).padStart(8, '0')}`;
  const thumbnail = (size: string) => (i % 3 === 0 ? null : `https://i.ytimg.com/vi/${id}/${size}.jpg`);
  return {
    video_id: id,
    title: awkward[i % awkward.length]!,
    description: awkward[(i + 2) % awkward.length]!,
    published_at: new Date(Date.UTC(2024, 4, 1) + i * 3_600_123),
    thumbnail_default: thumbnail('default'),
    thumbnail_medium: thumbnail('mqdefault'),
    thumbnail_high: thumbnail('hqdefault'),
    channel_id: `UC${i}`,
    channel_title: awkward[(i + 1) % awkward.length]!,
    ...enrichment(i),
  };
}

/** What videos.list told of video i, as stored: four states in turn. */
function enrichment(i: number): Omit<VideoJsonSource, 'video_id' | 'title' | 'description' | 'published_at' | 'thumbnail_default' | 'thumbnail_medium' | 'thumbnail_high' | 'channel_id' | 'channel_title'> {
  const at = new Date(Date.UTC(2024, 5, 1) + i * 1000);
  const enriched = {
    description_full: `${awkward[(i + 3) % awkward.length]!} the whole of it`,
    tags: JSON.stringify(['tea "quoted"', '🍵 emoji', 'back\\slash', awkward[i % awkward.length]!]),
    category_id: '22',
    default_language: 'en-GB',
    duration_s: 3723,
    definition: 'hd',
    has_captions: 1,
    made_for_kids: 0,
    view_count: 12_345_678_901,
    // Hidden likes, comments off.
    like_count: null,
    comment_count: null,
    live_state: 'none',
    scheduled_start_at: null,
    actual_start_at: null,
    actual_end_at: null,
    available: 1,
    unavailable_since: null,
    details_at: at,
  };
  switch (i % 4) {
    case 0:
      return NOT_ENRICHED;
    case 1:
      return enriched;
    case 2:
      // A broadcast that ended: its live times, duration 0 while it was live.
      return {
        ...enriched,
        tags: '[]',
        duration_s: 0,
        definition: 'sd',
        has_captions: 0,
        made_for_kids: 1,
        like_count: 7,
        comment_count: 0,
        live_state: 'completed',
        scheduled_start_at: new Date('2024-05-31T20:00:00.000Z'),
        actual_start_at: new Date('2024-05-31T20:01:02.345Z'),
        actual_end_at: new Date('2024-05-31T22:00:00.000Z'),
      };
    default:
      // No longer returned: unavailable, keeping what it had.
      return { ...enriched, live_state: 'upcoming', scheduled_start_at: new Date('2024-07-01T00:00:00Z'), available: 0, unavailable_since: at };
  }
}
const rows = Array.from({ length: 12 }, (_, i) => row(i));

describe('video JSON', () => {
  it('serialises one video as JSON.stringify of its schema-valid object', () => {
    for (const r of rows) {
      const video = toVideoJson(r);
      expect(Value.Check(VideoSchema, video)).toBe(true);
      expect(serializeVideo(r)).toBe(JSON.stringify(video));
    }
  });

  it('refuses values outside the schema (the validator reads the nullable types and enums)', () => {
    const video = toVideoJson(rows[1]!);
    for (const bad of [{ live_state: 'bogus' }, { definition: '4k' }, { view_count: 1.5 }, { view_count: -1 }, { tags: [1] }, { available: null }, { has_captions: 1 }]) {
      expect(Value.Check(VideoSchema, { ...video, ...bad }), JSON.stringify(bad)).toBe(false);
    }
  });

  it('says what videos.list told: null until enriched, the whole description once known, each detail typed', () => {
    const [never, enriched, broadcast, gone] = rows.slice(0, 4).map(toVideoJson);
    expect(never).toMatchObject({ description: rows[0]!.description, duration_seconds: null, view_count: null, like_count: null, comment_count: null, live_state: null });
    expect(never).toMatchObject({ tags: null, category_id: null, default_language: null, definition: null, has_captions: null, made_for_kids: null });
    expect(never).toMatchObject({ scheduled_start_at: null, actual_start_at: null, actual_end_at: null, available: true, unavailable_since: null, details_updated_at: null });
    expect(enriched).toMatchObject({
      description: rows[1]!.description_full,
      duration_seconds: 3723,
      view_count: 12_345_678_901,
      like_count: null,
      comment_count: null,
      live_state: 'none',
      tags: ['tea "quoted"', '🍵 emoji', 'back\\slash', awkward[1]],
      category_id: '22',
      default_language: 'en-GB',
      definition: 'hd',
      has_captions: true,
      made_for_kids: false,
      available: true,
      details_updated_at: '2024-06-01T00:00:01.000Z',
    });
    expect(broadcast).toMatchObject({
      live_state: 'completed',
      duration_seconds: 0,
      tags: [],
      like_count: 7,
      comment_count: 0,
      scheduled_start_at: '2024-05-31T20:00:00.000Z',
      actual_start_at: '2024-05-31T20:01:02.345Z',
      actual_end_at: '2024-05-31T22:00:00.000Z',
    });
    expect(gone).toMatchObject({ available: false, unavailable_since: '2024-06-01T00:00:03.000Z', view_count: 12_345_678_901, live_state: 'upcoming' });
    // New fields come after the ones /getData always had, which keep their order.
    expect(Object.keys(never!).slice(0, 10)).toEqual(['video_id', 'title', 'description', 'published_at', 'thumbnail_default', 'thumbnail_medium', 'thumbnail_high', 'channel_id', 'channel_title', 'url']);
  });

  it('renders a /getData page from serialised videos as JSON.stringify of the schema-valid page', () => {
    for (const [pageNo, limit, totalCount, count] of [
      [1, 10, 12, 10],
      [2, 10, 12, 2],
      [99, 7, 12, 0],
      [1, 100, 0, 0],
    ] as const) {
      const slice = rows.slice(0, count);
      const page = { isError: false as const, pageNo, limit, totalCount, totalPages: Math.ceil(totalCount / limit), videos: slice.map(toVideoJson) };
      expect(Value.Check(videoSchemaRefs, FeedPageSchema, page)).toBe(true);
      expect(feedPageJson({ pageNo, limit, totalCount }, slice.map(serializeVideo))).toBe(JSON.stringify(page));
    }
  });

  it('renders a /videos page from serialised videos as JSON.stringify of the schema-valid page', () => {
    for (const [count, nextCursor] of [
      [5, 'eyJ2IjoxfQ.AbC-_12345678901'],
      [12, null],
      [0, null],
    ] as const) {
      const slice = rows.slice(0, count);
      const page = { items: slice.map(toVideoJson), nextCursor };
      expect(Value.Check(videoSchemaRefs, VideoPageSchema, page)).toBe(true);
      expect(videoPageJson(slice.map(serializeVideo), nextCursor)).toBe(JSON.stringify(page));
    }
  });

  it('refuses an envelope it could not render faithfully', () => {
    const items = Type.Array(Type.String());
    expect(() => compileEnvelope(Type.Object({ items, total: Type.Integer() }), 'total')).toThrow(/not an array/);
    expect(() => compileEnvelope(Type.Object({ items, note: Type.Optional(Type.String()) }), 'items')).toThrow(/must all be required: note/);
    const render = compileEnvelope(Type.Object({ first: Type.String(), items, last: Type.Union([Type.Integer(), Type.Null()]) }), 'items');
    expect(joinTexts(render({ first: 'a"b', last: null }), ['"x"', '"y"']).toString()).toBe(JSON.stringify({ first: 'a"b', items: ['x', 'y'], last: null }));
  });

  it('pins the shape each VIDEO_JSON_VERSION renders: a change of VideoSchema fails here until the version is raised', () => {
    // Stored rows are rendered again only when the version rises (video-repository.ts
    // renderStaleJson): add the new version's hash here when you raise it.
    const SHAPE_OF_VERSION: Record<number, string> = { 1: '1c31a730d6f795cc', 2: '558ba878466a569a' };
    expect(renderedShapeHash(VideoSchema), 'VideoSchema changed: raise VIDEO_JSON_VERSION').toBe(SHAPE_OF_VERSION[VIDEO_JSON_VERSION]);
  });

  it('hashes every change of what a video renders to, a property named description included, and no change of annotations', () => {
    const base = renderedShapeHash(VideoSchema);
    const withProperties = (properties: Record<string, unknown>) => ({ ...VideoSchema, properties: { ...VideoSchema.properties, ...properties } });
    // The field called description: another type, or another place in the order.
    expect(renderedShapeHash(withProperties({ description: Type.Union([Type.String(), Type.Null()]) }) as never)).not.toBe(base);
    const { description, ...others } = VideoSchema.properties;
    expect(renderedShapeHash({ ...VideoSchema, properties: { ...others, description } })).not.toBe(base);
    expect(renderedShapeHash(withProperties({ title: Type.Integer() }) as never)).not.toBe(base);
    // Annotations only: the same bytes.
    expect(renderedShapeHash(withProperties({ title: Type.String({ description: 'other words', examples: ['x'] }) }) as never)).toBe(base);
  });
});
