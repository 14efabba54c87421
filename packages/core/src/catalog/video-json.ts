// The public JSON of a video and of a video listing (`/getData`, `/videos`, `/videos/search`),
// rendered by serialisers compiled from the schemas in video-schemas.ts. The worker's page-1
// snapshot and the API's database path both go through these functions, so a response is
// byte-for-byte the same whichever path served it.
//
// A listing is rendered from videos serialised beforehand (the snapshot holds them as text),
// so its envelope is rendered field by field from the schema, with the serialised videos put
// in as they are: no video is parsed or serialised twice.
import fastJson from 'fast-json-stringify';
import type { Static, TObject, TSchema } from 'typebox';
import type { VideoRow } from '../platform/db/schema.js';
import { youtubeWatchUrl } from './video.js';
import { FeedPageSchema, VideoPageSchema, VideoSchema, type VideoJson } from './video-schemas.js';

type FastJsonSchema = Parameters<typeof fastJson>[0];
// TypeBox schemas are plain JSON Schema objects; fast-json-stringify's own schema type wants
// mutable arrays, and the schemas are never mutated.
const compile = (schema: TSchema): ((value: unknown) => string) => fastJson(schema as unknown as FastJsonSchema);

/**
 * A renderer of `schema`'s object whose `itemsKey` array is given as already-serialised items.
 * Every other field is serialised by its own schema, in the schema's order, like a serialiser
 * compiled from the whole schema would.
 */
export function compileEnvelope<Schema extends TObject, ItemsKey extends keyof Schema['properties'] & string>(
  schema: Schema,
  itemsKey: ItemsKey,
): (fields: Omit<Static<Schema>, ItemsKey>, serializedItems: readonly string[]) => string {
  const names = Object.keys(schema.properties);
  const required = new Set<string>(schema.required ?? []);
  const items = schema.properties[itemsKey] as TSchema & { type?: unknown };
  if (items?.type !== 'array') throw new Error(`${itemsKey} is not an array property of the envelope`);
  // An optional field would be left out when undefined; the field-by-field renderer cannot do that.
  const optional = names.filter((name) => !required.has(name));
  if (optional.length > 0) throw new Error(`envelope fields must all be required: ${optional.join(', ')}`);

  const parts = names.map((name) => {
    const key = `${JSON.stringify(name)}:`;
    if (name === itemsKey) return (_fields: Record<string, unknown>, serialized: readonly string[]) => `${key}[${serialized.join(',')}]`;
    const stringify = compile(schema.properties[name]!);
    return (fields: Record<string, unknown>) => key + stringify(fields[name]);
  });
  return (fields, serializedItems) => {
    let json = '{';
    for (let i = 0; i < parts.length; i++) json += (i === 0 ? '' : ',') + parts[i]!(fields, serializedItems);
    return `${json}}`;
  };
}

const stringifyVideo = compile(VideoSchema);
const renderFeedPage = compileEnvelope(FeedPageSchema, 'videos');
const renderVideoPage = compileEnvelope(VideoPageSchema, 'items');

export type VideoJsonSource = Pick<
  VideoRow,
  'video_id' | 'title' | 'description' | 'published_at' | 'thumbnail_default' | 'thumbnail_medium' | 'thumbnail_high' | 'channel_id' | 'channel_title'
>;

export function toVideoJson(row: VideoJsonSource): VideoJson {
  return {
    video_id: row.video_id,
    title: row.title,
    description: row.description,
    published_at: row.published_at.toISOString(),
    thumbnail_default: row.thumbnail_default,
    thumbnail_medium: row.thumbnail_medium,
    thumbnail_high: row.thumbnail_high,
    channel_id: row.channel_id,
    channel_title: row.channel_title,
    url: youtubeWatchUrl(row.video_id),
  };
}

/** One video serialised. JSON never contains a raw newline, which the snapshot format relies on. */
export function serializeVideo(row: VideoJsonSource): string {
  return stringifyVideo(toVideoJson(row));
}

export interface FeedPageMeta {
  readonly pageNo: number;
  readonly limit: number;
  readonly totalCount: number;
}

export function totalPages(totalCount: number, limit: number): number {
  return Math.ceil(totalCount / limit);
}

/** The `/getData` body from already-serialised videos. */
export function feedPageJson(meta: FeedPageMeta, serializedVideos: readonly string[]): string {
  const { pageNo, limit, totalCount } = meta;
  return renderFeedPage({ isError: false, pageNo, limit, totalCount, totalPages: totalPages(totalCount, limit) }, serializedVideos);
}

/** The `/videos` and `/videos/search` body from already-serialised videos. */
export function videoPageJson(serializedItems: readonly string[], nextCursor: string | null): string {
  return renderVideoPage({ nextCursor }, serializedItems);
}
