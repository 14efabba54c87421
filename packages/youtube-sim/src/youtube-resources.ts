// Simulated videos rendered as the API's JSON resources. The details clients trip over are
// reproduced on purpose: in search results title, description and channelTitle arrive
// HTML-encoded the way YouTube encodes them (&#39; for ', &quot;, &amp;, &lt;, &gt;; emoji and
// accents stay raw) and the description is cut to its first ~160 characters, while videos.list
// returns the same text raw and whole; timestamps are written with `.000Z` for some videos and
// plain `Z` for others. videos.list, channels.list and playlistItems.list render the catalog as
// it is at the simulator's "now": counts grow, broadcasts go live and end.
import { createHash } from 'node:crypto';
import { roundSubscribers, uploadsPlaylistId } from './channel-profile.js';
import { broadcastState, concurrentViewers, isoDuration, statisticsAt, videoDetails, type VideoDetails } from './video-details.js';
import type { SimChannel, SimVideo } from './world.js';

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

export interface RenderContext {
  seed: number;
  nowMs: number;
}

function videoThumbnails(video: SimVideo, details: VideoDetails) {
  const base = thumbnails(video.id);
  const standard = { url: `https://i.ytimg.com/vi/${video.id}/sddefault.jpg`, width: 640, height: 480 };
  const maxres = { url: `https://i.ytimg.com/vi/${video.id}/maxresdefault.jpg`, width: 1280, height: 720 };
  return details.definition === 'hd' ? { ...base, standard, maxres } : { ...base, standard };
}

function liveStreamingDetails(seed: number, video: SimVideo, details: VideoDetails, nowMs: number) {
  const { broadcast } = details;
  if (broadcast === undefined) return undefined;
  const state = broadcastState(details, nowMs);
  return {
    ...(nowMs >= broadcast.actualStartMs ? { actualStartTime: formatTimestamp(broadcast.actualStartMs, false) } : {}),
    ...(nowMs >= broadcast.actualEndMs ? { actualEndTime: formatTimestamp(broadcast.actualEndMs, false) } : {}),
    scheduledStartTime: formatTimestamp(broadcast.scheduledStartMs, false),
    ...(state === 'live' ? { concurrentViewers: String(concurrentViewers(seed, video, details, nowMs)) } : {}),
  };
}

/**
 * A `youtube#video` as videos.list returns it at `nowMs`: the parts the simulator knows (id,
 * snippet, contentDetails, statistics, status, liveStreamingDetails); other valid parts are left
 * out. Text is raw and whole; a broadcast's state, duration and counts follow the clock; an
 * absent like or comment count means the owner hid likes or turned comments off.
 */
export function videoResource(video: SimVideo, parts: ReadonlySet<string>, { seed, nowMs }: RenderContext) {
  const details = videoDetails(seed, video);
  const state = broadcastState(details, nowMs);
  const stats = statisticsAt(video, details, nowMs);
  const live = parts.has('liveStreamingDetails') ? liveStreamingDetails(seed, video, details, nowMs) : undefined;
  const body = {
    ...(parts.has('snippet')
      ? {
          snippet: {
            ...snippet(video, 'video'),
            thumbnails: videoThumbnails(video, details),
            ...(details.tags.length === 0 ? {} : { tags: [...details.tags] }),
            categoryId: details.categoryId,
            liveBroadcastContent: state,
            ...(details.defaultLanguage === undefined ? {} : { defaultLanguage: details.defaultLanguage }),
            localized: { title: video.title, description: video.description },
            ...(details.defaultAudioLanguage === undefined ? {} : { defaultAudioLanguage: details.defaultAudioLanguage }),
          },
        }
      : {}),
    ...(parts.has('contentDetails')
      ? {
          contentDetails: {
            // A broadcast has no length until it is over.
            duration: state === 'none' ? isoDuration(details.durationSeconds) : 'P0D',
            dimension: '2d',
            definition: details.definition,
            caption: details.caption ? 'true' : 'false',
            licensedContent: details.licensedContent,
            contentRating: {},
            projection: details.projection,
          },
        }
      : {}),
    ...(parts.has('status')
      ? {
          status: {
            uploadStatus: 'processed',
            privacyStatus: 'public',
            license: details.license,
            embeddable: details.embeddable,
            publicStatsViewable: details.publicStatsViewable,
            madeForKids: details.madeForKids,
          },
        }
      : {}),
    ...(parts.has('statistics')
      ? {
          statistics: {
            viewCount: String(stats.views),
            ...(details.likesHidden ? {} : { likeCount: String(stats.likes) }),
            favoriteCount: '0',
            ...(details.commentsDisabled ? {} : { commentCount: String(stats.comments) }),
          },
        }
      : {}),
    ...(live === undefined ? {} : { liveStreamingDetails: live }),
  };
  return { kind: 'youtube#video' as const, etag: etagOf(`video\u0000${video.id}\u0000${JSON.stringify(body)}`), id: video.id, ...body };
}

export const CHANNEL_PARTS = [
  'auditDetails',
  'brandingSettings',
  'contentDetails',
  'contentOwnerDetails',
  'id',
  'localizations',
  'snippet',
  'statistics',
  'status',
  'topicDetails',
] as const;

function channelThumbnails(channelId: string) {
  const url = (size: number) => `https://yt3.ggpht.com/ytc/${channelId.slice(2)}=s${size}-c-k-c0x00ffffff-no-rj`;
  return {
    default: { url: url(88), width: 88, height: 88 },
    medium: { url: url(240), width: 240, height: 240 },
    high: { url: url(800), width: 800, height: 800 },
  };
}

/**
 * A `youtube#channel` with snippet (customUrl is the @handle), contentDetails (the uploads
 * playlist) and statistics (counts as strings; subscribers rounded down to three significant
 * figures and absent when the channel hides them); other valid parts are left out.
 */
export function channelResource(channel: SimChannel, uploads: readonly SimVideo[], parts: ReadonlySet<string>, { seed, nowMs }: RenderContext) {
  const { profile } = channel;
  const body = {
    ...(parts.has('snippet')
      ? {
          snippet: {
            title: channel.title,
            description: profile.description,
            customUrl: `@${profile.handle}`,
            publishedAt: formatTimestamp(profile.publishedAtMs, false),
            thumbnails: channelThumbnails(channel.id),
            localized: { title: channel.title, description: profile.description },
            ...(profile.country === undefined ? {} : { country: profile.country }),
          },
        }
      : {}),
    ...(parts.has('contentDetails') ? { contentDetails: { relatedPlaylists: { likes: '', uploads: uploadsPlaylistId(channel.id) } } } : {}),
    ...(parts.has('statistics')
      ? {
          statistics: {
            viewCount: String(uploads.reduce((sum, video) => sum + statisticsAt(video, videoDetails(seed, video), nowMs).views, 0)),
            ...(profile.hiddenSubscriberCount ? {} : { subscriberCount: String(roundSubscribers(profile.subscribers)) }),
            hiddenSubscriberCount: profile.hiddenSubscriberCount,
            videoCount: String(uploads.length),
          },
        }
      : {}),
  };
  return { kind: 'youtube#channel' as const, etag: etagOf(`channel\u0000${channel.id}\u0000${JSON.stringify(body)}`), id: channel.id, ...body };
}

/** Uploads playlist items have ids YouTube builds as base64 of "<playlist id>.<video id>". */
export function playlistItemId(playlistId: string, videoId: string): string {
  return Buffer.from(`${playlistId}.${videoId}`).toString('base64');
}

/** A `youtube#playlistItem` of an uploads playlist: the video at `position` (0 = newest). */
export function playlistItemResource(video: SimVideo, playlistId: string, position: number, parts: ReadonlySet<string>, { seed }: RenderContext) {
  const publishedAt = formatTimestamp(video.publishedAtMs, video.timestampsWithMillis);
  const body = {
    ...(parts.has('snippet')
      ? {
          snippet: {
            publishedAt,
            channelId: video.channel.id,
            title: video.title,
            description: video.description,
            thumbnails: videoThumbnails(video, videoDetails(seed, video)),
            channelTitle: video.channel.title,
            playlistId,
            position,
            resourceId: { kind: 'youtube#video', videoId: video.id },
            videoOwnerChannelTitle: video.channel.title,
            videoOwnerChannelId: video.channel.id,
          },
        }
      : {}),
    ...(parts.has('contentDetails') ? { contentDetails: { videoId: video.id, videoPublishedAt: publishedAt } } : {}),
    ...(parts.has('status') ? { status: { privacyStatus: 'public' } } : {}),
  };
  const id = playlistItemId(playlistId, video.id);
  return { kind: 'youtube#playlistItem' as const, etag: etagOf(`playlistItem\u0000${id}\u0000${JSON.stringify(body)}`), id, ...body };
}
