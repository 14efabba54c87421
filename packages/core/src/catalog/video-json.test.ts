// The pre-rendered bodies are the schema's JSON: for data the schema accepts, what the
// field-by-field renderers produce from already-serialised videos is byte-for-byte
// JSON.stringify of the same object. Awkward text (quotes, backslashes, control characters,
// line separators, astral characters, markup) and null thumbnails included.
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { VIDEO_JSON_VERSION, compileEnvelope, feedPageJson, joinTexts, renderedShapeHash, serializeVideo, toVideoJson, videoPageJson, type VideoJsonSource } from './video-json.js';
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
  };
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
    const SHAPE_OF_VERSION: Record<number, string> = { 1: '1c31a730d6f795cc' };
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
