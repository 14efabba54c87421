// The YouTube Data API v3 through the official client (@googleapis/youtube), reduced to what
// the service needs. Every call has a timeout and no hidden retries (the client's own retry is
// off: the fetch service owns retries and key rotation). Results come back as plain videos
// with HTML entities decoded; failures come back as classified YoutubeApiErrors that never
// contain the key.
import { youtube, type youtube_v3 } from '@googleapis/youtube';
import { decode } from 'html-entities';
import type { VideoInput } from '../../catalog/video.js';
import type { VideoDetails } from '../../catalog/video-details.js';
import { toVideoDetails } from './video-details-parse.js';
import { YoutubeApiError, classifyYoutubeError } from './youtube-errors.js';


export interface SearchRequest {
  readonly q: string;
  readonly publishedAfter?: Date;
  readonly publishedBefore?: Date;
  readonly pageToken?: string;
  readonly maxResults: number;
}

export interface SearchPage {
  readonly videos: readonly VideoInput[];
  /** Items on the page, including any that were not usable videos. */
  readonly itemCount: number;
  readonly nextPageToken: string | null;
  readonly totalResults: number | null;
}

/** videos.list takes at most this many ids per call (1 unit of the units bucket whatever their number). */
export const MAX_VIDEO_IDS = 50;

/** The parts videos.list is asked for when enriching (each one is free: the call costs 1 unit). */
export const DETAIL_PARTS = ['snippet', 'contentDetails', 'statistics', 'status', 'liveStreamingDetails'] as const;

export interface VideoDetailsPage {
  /** The videos YouTube returned: ids it left out are deleted, private or unknown. */
  readonly videos: readonly VideoDetails[];
}

export interface YoutubeClient {
  search(key: string, request: SearchRequest): Promise<SearchPage>;
  /** videos.list for up to MAX_VIDEO_IDS ids (1 unit). */
  videoDetails(key: string, videoIds: readonly string[]): Promise<VideoDetailsPage>;
  /** One cheap call (videos.list, 1 unit) that succeeds only with a usable key. */
  probeKey(key: string): Promise<void>;
}

export interface YoutubeClientOptions {
  /** API host, e.g. https://youtube.googleapis.com/ or a simulator's base URL. */
  readonly rootUrl: string;
  readonly timeoutMs: number;
}

const text = (value: string | null | undefined): string => decode(value ?? '', { level: 'html5' });

/** RFC 3339 in UTC without milliseconds, the form the API documents (rounded down). */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An inclusive upper bound rounded up to the second, so it never drops a video at the bound. */
function rfc3339Ceil(date: Date): string {
  return rfc3339(new Date(Math.ceil(date.getTime() / 1000) * 1000));
}

export function toVideoInput(item: youtube_v3.Schema$SearchResult): VideoInput | null {
  const videoId = item.id?.videoId;
  const snippet = item.snippet;
  const publishedAt = snippet?.publishedAt;
  if (!videoId || !snippet || !publishedAt) return null;
  const date = new Date(publishedAt);
  if (Number.isNaN(date.getTime())) return null;
  return {
    videoId,
    title: text(snippet.title),
    description: text(snippet.description),
    channelId: snippet.channelId ?? '',
    channelTitle: text(snippet.channelTitle),
    publishedAt: date,
    thumbnails: {
      default: snippet.thumbnails?.default?.url ?? null,
      medium: snippet.thumbnails?.medium?.url ?? null,
      high: snippet.thumbnails?.high?.url ?? null,
    },
    liveBroadcastContent: snippet.liveBroadcastContent ?? 'none',
  };
}

export function createYoutubeClient({ rootUrl, timeoutMs }: YoutubeClientOptions): YoutubeClient {
  const api = youtube({ version: 'v3', rootUrl: rootUrl.endsWith('/') ? rootUrl : `${rootUrl}/` });
  const callOptions = { retry: false, timeout: timeoutMs } as const;

  async function search(key: string, request: SearchRequest): Promise<SearchPage> {
    try {
      const response = await api.search.list(
        {
          key,
          part: ['snippet'],
          q: request.q,
          type: ['video'],
          order: 'date',
          maxResults: request.maxResults,
          ...(request.publishedAfter ? { publishedAfter: rfc3339(request.publishedAfter) } : {}),
          ...(request.publishedBefore ? { publishedBefore: rfc3339Ceil(request.publishedBefore) } : {}),
          ...(request.pageToken ? { pageToken: request.pageToken } : {}),
        },
        callOptions,
      );
      // A 200 that is no search result list (a proxy's or a portal's page, a truncated body)
      // must not read as "no results, no next page": that would end a search that did not run.
      if (response.data?.kind !== 'youtube#searchListResponse' || !Array.isArray(response.data.items)) {
        throw new YoutubeApiError('unknown', response.status, 'unexpectedBody', `YouTube answered search with HTTP ${response.status} but no search result list`);
      }
      const items = response.data.items;
      return {
        videos: items.map(toVideoInput).filter((v): v is VideoInput => v !== null),
        itemCount: items.length,
        nextPageToken: response.data.nextPageToken ?? null,
        totalResults: response.data.pageInfo?.totalResults ?? null,
      };
    } catch (error) {
      throw classifyYoutubeError(error);
    }
  }

  async function videoDetails(key: string, videoIds: readonly string[]): Promise<VideoDetailsPage> {
    if (videoIds.length === 0) return { videos: [] };
    if (videoIds.length > MAX_VIDEO_IDS) throw new RangeError(`videos.list takes at most ${MAX_VIDEO_IDS} ids, got ${videoIds.length}`);
    try {
      const response = await api.videos.list({ key, part: [...DETAIL_PARTS], id: [...videoIds], maxResults: MAX_VIDEO_IDS }, callOptions);
      const data = response.data;
      // Ids missing from a list mark videos unavailable: a 200 that is no video list must not
      // read as "none of them exists any more". A list without `items` counts as empty only
      // when it says it holds nothing.
      const items = Array.isArray(data?.items) ? data.items : data?.kind === 'youtube#videoListResponse' && data.pageInfo?.totalResults === 0 ? [] : undefined;
      if (data?.kind !== 'youtube#videoListResponse' || items === undefined) {
        throw new YoutubeApiError('unknown', response.status, 'unexpectedBody', `YouTube answered videos.list with HTTP ${response.status} but no video list`);
      }
      return { videos: items.map(toVideoDetails).filter((v): v is VideoDetails => v !== null) };
    } catch (error) {
      throw classifyYoutubeError(error);
    }
  }

  async function probeKey(key: string): Promise<void> {
    try {
      await api.videos.list({ key, part: ['id'], chart: 'mostPopular', maxResults: 1 }, callOptions);
    } catch (error) {
      throw classifyYoutubeError(error);
    }
  }

  return { search, videoDetails, probeKey };
}
