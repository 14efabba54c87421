// The public JSON of a video and of a feed page (the `/getData` contract). The worker's page-1
// snapshot and the API's database path both go through these functions, so a response is
// byte-for-byte the same whichever path served it.
import fastJson from 'fast-json-stringify';
import type { VideoRow } from '../platform/db/schema.js';
import { youtubeWatchUrl } from './video.js';

const nullableString = { type: ['string', 'null'] } as const;

/** JSON Schema of one video in API responses (also used for the OpenAPI document). */
export const videoJsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'video_id',
    'title',
    'description',
    'published_at',
    'thumbnail_default',
    'thumbnail_medium',
    'thumbnail_high',
    'channel_id',
    'channel_title',
    'url',
  ],
  properties: {
    video_id: { type: 'string', description: 'YouTube video id (11 characters)', examples: ['dQw4w9WgXcQ'] },
    title: { type: 'string', description: 'Title as plain text (HTML entities decoded)' },
    description: { type: 'string', description: 'Description as returned by search (YouTube truncates it)' },
    published_at: { type: 'string', format: 'date-time', description: 'Publish time, ISO 8601 in UTC' },
    thumbnail_default: { ...nullableString, description: '120x90 thumbnail URL' },
    thumbnail_medium: { ...nullableString, description: '320x180 thumbnail URL' },
    thumbnail_high: { ...nullableString, description: '480x360 thumbnail URL' },
    channel_id: { type: 'string' },
    channel_title: { type: 'string' },
    url: { type: 'string', description: 'Watch URL on YouTube' },
  },
} as const;

export interface VideoJson {
  video_id: string;
  title: string;
  description: string;
  published_at: string;
  thumbnail_default: string | null;
  thumbnail_medium: string | null;
  thumbnail_high: string | null;
  channel_id: string;
  channel_title: string;
  url: string;
}

// fast-json-stringify wants mutable arrays in its schema type; the schema object is never mutated.
const stringifyVideo = fastJson(videoJsonSchema as unknown as Parameters<typeof fastJson>[0]);

export function toVideoJson(row: Pick<VideoRow, 'video_id' | 'title' | 'description' | 'published_at' | 'thumbnail_default' | 'thumbnail_medium' | 'thumbnail_high' | 'channel_id' | 'channel_title'>): VideoJson {
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
export function serializeVideo(row: Parameters<typeof toVideoJson>[0]): string {
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
  return (
    `{"isError":false,"pageNo":${meta.pageNo},"limit":${meta.limit},"totalCount":${meta.totalCount},` +
    `"totalPages":${totalPages(meta.totalCount, meta.limit)},"videos":[${serializedVideos.join(',')}]}`
  );
}
