// The public shapes of videos and video listings, each written once as a JSON Schema (TypeBox):
// the TypeScript types below are derived from them, the API declares them as its route
// responses (validation, OpenAPI document), and video-json.ts compiles its serialisers from
// them. This module imports nothing but TypeBox, so the dashboard's browser code can import
// its types too.
import { Type, type Static } from 'typebox';

/** A string or null, written as `type: [string, null]` (not anyOf): its serialiser needs no validator. */
const nullableString = (description: string) => Type.Unsafe<string | null>({ type: ['string', 'null'], description });
const nullableInteger = (description: string) => Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 0, description });
const nullableBoolean = (description: string) => Type.Unsafe<boolean | null>({ type: ['boolean', 'null'], description });
const nullableTime = (description: string) => Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time', description });
/** One of `values` or null (`enum` lists null too, or a validator would refuse it). */
const nullableEnum = <const Values extends readonly string[]>(values: Values, description: string) =>
  Type.Unsafe<Values[number] | null>({ type: ['string', 'null'], enum: [...values, null], description });

/** A video's broadcast state (catalog/video-details.ts VideoLiveState). */
export const LIVE_STATES = ['none', 'upcoming', 'live', 'completed'] as const;

/** One video in API responses; registered as the shared schema `Video` (an OpenAPI component). */
export const VideoSchema = Type.Object(
  {
    video_id: Type.String({ description: 'YouTube video id (11 characters)', examples: ['dQw4w9WgXcQ'] }),
    title: Type.String({ description: 'Title as plain text (HTML entities decoded)' }),
    description: Type.String({ description: 'The whole description once the video is enriched (videos.list); until then as search returned it (cut to ~160 characters)' }),
    published_at: Type.String({ format: 'date-time', description: 'Publish time, ISO 8601 in UTC' }),
    thumbnail_default: nullableString('120x90 thumbnail URL'),
    thumbnail_medium: nullableString('320x180 thumbnail URL'),
    thumbnail_high: nullableString('480x360 thumbnail URL'),
    channel_id: Type.String(),
    channel_title: Type.String(),
    url: Type.String({ description: 'Watch URL on YouTube' }),
    // What videos.list told (the enrichment, from the units bucket): null until the video is
    // first enriched (`details_updated_at` null), and kept as last told when it turns unavailable.
    duration_seconds: nullableInteger('Length in seconds; 0 while a broadcast is upcoming or live; null until enriched'),
    view_count: nullableInteger('Views when last enriched; null until enriched'),
    like_count: nullableInteger('Likes when last enriched; null when the owner hides them, or until enriched'),
    comment_count: nullableInteger('Comments when last enriched; null when comments are off, or until enriched'),
    live_state: nullableEnum(LIVE_STATES, 'none (an upload), upcoming (scheduled), live (on air), completed (a broadcast that ended); null until enriched'),
    scheduled_start_at: nullableTime('When a broadcast is scheduled to start, ISO 8601 in UTC; null for uploads'),
    actual_start_at: nullableTime('When a broadcast started; null until it does'),
    actual_end_at: nullableTime('When a broadcast ended; null until it does'),
    tags: Type.Unsafe<string[] | null>({ type: ['array', 'null'], items: { type: 'string' }, description: 'The owner\'s tags ([] when none); null until enriched' }),
    category_id: nullableString('YouTube video category id (e.g. "10" Music); null until enriched'),
    default_language: nullableString('BCP-47 language of the video (its default language, else its audio language); null when unset or until enriched'),
    definition: nullableEnum(['hd', 'sd'] as const, 'Best definition available; null until enriched'),
    has_captions: nullableBoolean('Whether captions are available; null until enriched'),
    made_for_kids: nullableBoolean('Whether the video is made for kids; null until enriched'),
    available: Type.Boolean({ description: 'false once YouTube no longer returns the video (deleted or private); such videos are listed only with includeUnavailable=true' }),
    unavailable_since: nullableTime('When the video was first found unavailable; null while available'),
    details_updated_at: nullableTime('When videos.list last answered for the video; null until enriched'),
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
