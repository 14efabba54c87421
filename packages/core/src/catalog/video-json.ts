// The public JSON of a video and of a video listing (`/getData`, `/videos`, `/videos/search`),
// rendered by serialisers compiled from the schemas in video-schemas.ts.
//
// A video's JSON is rendered once, when its row is written (video-repository.ts stores it in
// `videos.json`; video-details-repository.ts renders it again with what videos.list told), and a listing is those stored bytes joined inside an envelope rendered field
// by field from the schema: no video is parsed, turned into an object or serialised per
// request. The worker's page-1 snapshot and the API's database path both use the stored
// fragments, so a response is byte-for-byte the same whichever path served it.
import { createHash } from 'node:crypto';
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
 * A renderer of `schema`'s object whose `itemsKey` array is filled in afterwards: it returns
 * the text before the array's items and the text after them. Every other field is serialised
 * by its own schema, in the schema's order, like a serialiser compiled from the whole schema
 * would.
 */
export function compileEnvelope<Schema extends TObject, ItemsKey extends keyof Schema['properties'] & string>(
  schema: Schema,
  itemsKey: ItemsKey,
): (fields: Omit<Static<Schema>, ItemsKey>) => EnvelopeText {
  const names = Object.keys(schema.properties);
  const required = new Set<string>(schema.required ?? []);
  const items = schema.properties[itemsKey] as TSchema & { type?: unknown };
  if (items?.type !== 'array') throw new Error(`${itemsKey} is not an array property of the envelope`);
  // An optional field would be left out when undefined; the field-by-field renderer cannot do that.
  const optional = names.filter((name) => !required.has(name));
  if (optional.length > 0) throw new Error(`envelope fields must all be required: ${optional.join(', ')}`);

  const at = names.indexOf(itemsKey);
  const render = (fieldNames: readonly string[], first: boolean) => {
    const parts = fieldNames.map((name, i) => {
      const key = `${i === 0 && first ? '' : ','}${JSON.stringify(name)}:`;
      const stringify = compile(schema.properties[name]!);
      return (fields: Record<string, unknown>) => key + stringify(fields[name]);
    });
    return (fields: Record<string, unknown>) => {
      let json = '';
      for (const part of parts) json += part(fields);
      return json;
    };
  };
  const before = render(names.slice(0, at), true);
  const after = render(names.slice(at + 1), false);
  const open = `${at === 0 ? '' : ','}${JSON.stringify(itemsKey)}:[`;
  return (fields) => ({ head: `{${before(fields)}${open}`, tail: `]${after(fields)}}` });
}

/** An envelope's text around its items array: `head`, the items separated by commas, `tail`. */
export interface EnvelopeText {
  readonly head: string;
  readonly tail: string;
}

const COMMA = 0x2c;

/** `head`, the fragments separated by commas, `tail`, as one buffer: a single copy of each fragment. */
export function joinFragments({ head, tail }: EnvelopeText, fragments: readonly Uint8Array[]): Buffer {
  let size = Buffer.byteLength(head) + Buffer.byteLength(tail) + Math.max(0, fragments.length - 1);
  for (const fragment of fragments) size += fragment.length;
  const out = Buffer.allocUnsafe(size);
  let at = out.write(head, 0, 'utf8');
  for (let i = 0; i < fragments.length; i++) {
    if (i > 0) out[at++] = COMMA;
    out.set(fragments[i]!, at);
    at += fragments[i]!.length;
  }
  out.write(tail, at, 'utf8');
  return out;
}

/** The hash stored with a video's JSON (`videos.json_hash`): 8 bytes of its SHA-1. */
export function fragmentHash(json: string | Uint8Array): Buffer {
  return createHash('sha1').update(json).digest().subarray(0, 8);
}

/**
 * A strong ETag for a body made by joinFragments, from the envelope's text and the fragments'
 * stored hashes: equal bodies get equal tags, and hashing ~1 KB replaces hashing the body.
 */
export function fragmentsEtag({ head, tail }: EnvelopeText, hashes: readonly Uint8Array[]): string {
  const hash = createHash('sha1').update(head);
  for (const fragmentHash of hashes) hash.update(fragmentHash);
  return `"${hash.update(tail).digest('base64url')}"`;
}

/** The same as joinFragments, for fragments held as text. */
export function joinTexts({ head, tail }: EnvelopeText, fragments: readonly string[]): string {
  return `${head}${fragments.join(',')}${tail}`;
}

/**
 * The version of the rendered video JSON, stored with it (`videos.json_version`). Raise it with
 * any change of the bytes a video renders to: of VideoSchema (video-json.test.ts pins
 * VIDEO_SHAPE_HASH, the hash of the schema this version renders, and fails until both are
 * updated) or of toVideoJson below. Versions are ordered: rows of an older version are
 * rendered again in place (video-repository.ts renderStaleJson); rows of a newer one, written
 * by a newer process during a rolling deploy, are rendered on read and left as they are.
 * 1: the search snippet; 2: and what videos.list told (duration, counts, live state, ...).
 */
export const VIDEO_JSON_VERSION = 2;

/** The schema as it decides the bytes: without its annotations (descriptions, examples). */
function withoutAnnotations(key: string, value: unknown): unknown {
  if (key === 'description' && typeof value === 'string') return undefined;
  if (key === 'examples' && Array.isArray(value)) return undefined;
  return value;
}

/** A hash of what a schema renders: its shape without annotations. */
export function renderedShapeHash(schema: TSchema): string {
  return createHash('sha256').update(JSON.stringify(schema, withoutAnnotations)).digest('hex').slice(0, 16);
}

const stringifyVideo = compile(VideoSchema);
const renderFeedPage = compileEnvelope(FeedPageSchema, 'videos');
const renderVideoPage = compileEnvelope(VideoPageSchema, 'items');

/** The columns a video's JSON is rendered from: its search snippet and what videos.list told. */
export type VideoJsonSource = Pick<
  VideoRow,
  | 'video_id'
  | 'title'
  | 'description'
  | 'published_at'
  | 'thumbnail_default'
  | 'thumbnail_medium'
  | 'thumbnail_high'
  | 'channel_id'
  | 'channel_title'
  | 'description_full'
  | 'tags'
  | 'category_id'
  | 'default_language'
  | 'duration_s'
  | 'definition'
  | 'has_captions'
  | 'made_for_kids'
  | 'view_count'
  | 'like_count'
  | 'comment_count'
  | 'live_state'
  | 'scheduled_start_at'
  | 'actual_start_at'
  | 'actual_end_at'
  | 'available'
  | 'unavailable_since'
  | 'details_at'
>;

/** The enrichment columns of a video videos.list never answered for (the table's defaults). */
export const NOT_ENRICHED = {
  description_full: null,
  tags: null,
  category_id: null,
  default_language: null,
  duration_s: null,
  definition: null,
  has_captions: null,
  made_for_kids: null,
  view_count: null,
  like_count: null,
  comment_count: null,
  live_state: null,
  scheduled_start_at: null,
  actual_start_at: null,
  actual_end_at: null,
  available: 1,
  unavailable_since: null,
  details_at: null,
} as const satisfies Omit<VideoJsonSource, 'video_id' | 'title' | 'description' | 'published_at' | 'thumbnail_default' | 'thumbnail_medium' | 'thumbnail_high' | 'channel_id' | 'channel_title'>;

const time = (value: Date | null): string | null => (value === null ? null : value.toISOString());
const flag = (value: number | null): boolean | null => (value === null ? null : value !== 0);
// BIGINT arrives as a number (a string only past 2^53, which no count reaches).
const count = (value: number | null): number | null => (value === null ? null : Number(value));

/** The stored tags (a JSON array of strings, video-details-repository.ts), or null. */
function parseTags(tags: string | null): string[] | null {
  if (tags === null) return null;
  const parsed: unknown = JSON.parse(tags);
  return Array.isArray(parsed) ? parsed.filter((tag): tag is string => typeof tag === 'string') : null;
}

function liveState(value: string | null): VideoJson['live_state'] {
  return value === 'none' || value === 'upcoming' || value === 'live' || value === 'completed' ? value : null;
}

export function toVideoJson(row: VideoJsonSource): VideoJson {
  return {
    video_id: row.video_id,
    title: row.title,
    description: row.description_full ?? row.description,
    published_at: row.published_at.toISOString(),
    thumbnail_default: row.thumbnail_default,
    thumbnail_medium: row.thumbnail_medium,
    thumbnail_high: row.thumbnail_high,
    channel_id: row.channel_id,
    channel_title: row.channel_title,
    url: youtubeWatchUrl(row.video_id),
    duration_seconds: count(row.duration_s),
    view_count: count(row.view_count),
    like_count: count(row.like_count),
    comment_count: count(row.comment_count),
    live_state: liveState(row.live_state),
    scheduled_start_at: time(row.scheduled_start_at),
    actual_start_at: time(row.actual_start_at),
    actual_end_at: time(row.actual_end_at),
    tags: parseTags(row.tags),
    category_id: row.category_id,
    default_language: row.default_language,
    definition: row.definition === 'hd' || row.definition === 'sd' ? row.definition : null,
    has_captions: flag(row.has_captions),
    made_for_kids: flag(row.made_for_kids),
    available: row.available !== 0,
    unavailable_since: time(row.unavailable_since),
    details_updated_at: time(row.details_at),
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

/** The `/getData` body around its videos. */
export function feedPageEnvelope(meta: FeedPageMeta): EnvelopeText {
  const { pageNo, limit, totalCount } = meta;
  return renderFeedPage({ isError: false, pageNo, limit, totalCount, totalPages: totalPages(totalCount, limit) });
}

/** The `/videos` and `/videos/search` body around its items. */
export function videoPageEnvelope(nextCursor: string | null): EnvelopeText {
  return renderVideoPage({ nextCursor });
}

/** The `/getData` body from already-serialised videos. */
export function feedPageJson(meta: FeedPageMeta, serializedVideos: readonly string[]): string {
  return joinTexts(feedPageEnvelope(meta), serializedVideos);
}

/** The `/videos` and `/videos/search` body from already-serialised videos. */
export function videoPageJson(serializedItems: readonly string[], nextCursor: string | null): string {
  return joinTexts(videoPageEnvelope(nextCursor), serializedItems);
}
