// Simulated videos rendered as the API's JSON resources. The details clients trip over are
// reproduced on purpose: in search results title, description and channelTitle arrive
// HTML-encoded the way YouTube encodes them (&#39; for ', &quot;, &amp;, &lt;, &gt;; emoji and
// accents stay raw) and the description is cut to its first ~160 characters, while videos.list
// returns the same text raw and whole; timestamps are written with `.000Z` for some videos and
// plain `Z` for others.
import { createHash } from 'node:crypto';
import type { SimVideo } from './world.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function encodeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

/** Search snippets cut the description to this many characters (before encoding). */
export const SNIPPET_DESCRIPTION_CHARS = 160;

/** Cuts by code points, so an emoji is never split in half. */
export function truncateDescription(description: string): string {
  const chars = Array.from(description);
  return chars.length <= SNIPPET_DESCRIPTION_CHARS ? description : chars.slice(0, SNIPPET_DESCRIPTION_CHARS).join('');
}

export function formatTimestamp(ms: number, withMillis: boolean): string {
  const iso = new Date(ms).toISOString();
  return withMillis ? iso : `${iso.slice(0, 19)}Z`;
}

/** A 27-character base64url digest, the shape of YouTube's etags. */
export function etagOf(text: string): string {
  return createHash('sha1').update(text).digest('base64url');
}

function thumbnails(videoId: string) {
  return {
    default: { url: `https://i.ytimg.com/vi/${videoId}/default.jpg`, width: 120, height: 90 },
    medium: { url: `https://i.ytimg.com/vi/${videoId}/mqdefault.jpg`, width: 320, height: 180 },
    high: { url: `https://i.ytimg.com/vi/${videoId}/hqdefault.jpg`, width: 480, height: 360 },
  };
}

function snippet(video: SimVideo, form: 'search' | 'video') {
  const text = form === 'search' ? encodeHtml : (raw: string) => raw;
  const description = form === 'search' ? truncateDescription(video.description) : video.description;
  return {
    publishedAt: formatTimestamp(video.publishedAtMs, video.timestampsWithMillis),
    channelId: video.channel.id,
    title: text(video.title),
    description: text(description),
    thumbnails: thumbnails(video.id),
    channelTitle: text(video.channel.title),
    liveBroadcastContent: video.liveBroadcastContent,
  };
}

export interface SearchResultResource {
  kind: 'youtube#searchResult';
  etag: string;
  id: { kind: 'youtube#video'; videoId: string };
  snippet?: ReturnType<typeof snippet> & { publishTime: string };
}

// Rendering is pure per video, so each resource is built once and reused by every response.
const searchSnippetCache = new WeakMap<SimVideo, SearchResultResource>();
const searchIdCache = new WeakMap<SimVideo, SearchResultResource>();

export function searchResult(video: SimVideo, withSnippet: boolean): SearchResultResource {
  const cache = withSnippet ? searchSnippetCache : searchIdCache;
  const cached = cache.get(video);
  if (cached !== undefined) return cached;
  const id = { kind: 'youtube#video' as const, videoId: video.id };
  const base = withSnippet ? snippet(video, 'search') : undefined;
  const resource: SearchResultResource = {
    kind: 'youtube#searchResult',
    etag: etagOf(`search\u0000${video.id}\u0000${withSnippet ? 'snippet' : 'id'}`),
    id,
    ...(base === undefined ? {} : { snippet: { ...base, publishTime: base.publishedAt } }),
  };
  cache.set(video, resource);
  return resource;
}

export const VIDEO_PARTS = [
  'contentDetails',
  'fileDetails',
  'id',
  'liveStreamingDetails',
  'localizations',
  'paidProductPlacementDetails',
  'player',
  'processingDetails',
  'recordingDetails',
  'snippet',
  'statistics',
  'status',
  'suggestions',
  'topicDetails',
] as const;

/** A `youtube#video` with the parts the simulator knows (id, snippet, statistics); other valid parts are left out. */
export function videoResource(video: SimVideo, parts: ReadonlySet<string>) {
  return {
    kind: 'youtube#video' as const,
    etag: etagOf(`video\u0000${video.id}\u0000${[...parts].sort().join(',')}`),
    id: video.id,
    ...(parts.has('snippet')
      ? {
          snippet: {
            ...snippet(video, 'video'),
            categoryId: '22',
            localized: { title: video.title, description: video.description },
            defaultAudioLanguage: 'en',
          },
        }
      : {}),
    ...(parts.has('statistics')
      ? {
          statistics: {
            viewCount: String(video.viewCount),
            likeCount: String(video.likeCount),
            favoriteCount: '0',
            commentCount: String(video.commentCount),
          },
        }
      : {}),
  };
}
