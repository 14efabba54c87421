// The public shapes of videos and video listings, each written once as a JSON Schema (TypeBox):
// the TypeScript types below are derived from them, the API declares them as its route
// responses (validation, OpenAPI document), and video-json.ts compiles its serialisers from
// them. This module imports nothing but TypeBox, so the dashboard's browser code can import
// its types too.
import { Type, type Static } from 'typebox';

/** A string or null, written as `type: [string, null]` (not anyOf): its serialiser needs no validator. */
const nullableString = (description: string) => Type.Unsafe<string | null>({ type: ['string', 'null'], description });

/** One video in API responses; registered as the shared schema `Video` (an OpenAPI component). */
export const VideoSchema = Type.Object(
  {
    video_id: Type.String({ description: 'YouTube video id (11 characters)', examples: ['dQw4w9WgXcQ'] }),
    title: Type.String({ description: 'Title as plain text (HTML entities decoded)' }),
    description: Type.String({ description: 'Description as returned by search (YouTube truncates it)' }),
    published_at: Type.String({ format: 'date-time', description: 'Publish time, ISO 8601 in UTC' }),
    thumbnail_default: nullableString('120x90 thumbnail URL'),
    thumbnail_medium: nullableString('320x180 thumbnail URL'),
    thumbnail_high: nullableString('480x360 thumbnail URL'),
    channel_id: Type.String(),
    channel_title: Type.String(),
    url: Type.String({ description: 'Watch URL on YouTube' }),
  },
  { $id: 'Video', additionalProperties: false },
);
export type VideoJson = Static<typeof VideoSchema>;

/** A reference to the shared `Video` schema, typed as a video. */
const VideoRef = Type.Unsafe<VideoJson>(Type.Ref('Video'));

/** The `/getData` body: one page of the feed by page number. */
export const FeedPageSchema = Type.Object({
  isError: Type.Literal(false),
  pageNo: Type.Integer(),
  limit: Type.Integer(),
  totalCount: Type.Integer({ description: 'Videos in the feed' }),
  totalPages: Type.Integer({ description: 'ceil(totalCount / limit)' }),
  videos: Type.Array(VideoRef),
});
export type FeedPage = Static<typeof FeedPageSchema>;

/** The body of `/videos` and `/videos/search`: one page by keyset, and where the next one starts. */
export const VideoPageSchema = Type.Object({
  items: Type.Array(VideoRef),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
});
export type VideoPage = Static<typeof VideoPageSchema>;

/** The shared schemas the ones above refer to, by `$id` (for validators and serialisers). */
export const videoSchemaRefs = { Video: VideoSchema } as const;
