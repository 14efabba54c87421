// The two YouTube calls that follow a channel, through the official client (@googleapis/youtube)
// as youtube-client.ts makes searches: channels.list (by id or by @handle with `forHandle`) finds
// a channel's title and uploads playlist, and playlistItems.list reads that playlist, newest
// first, 50 items a page. Each costs 1 unit of the units bucket; the caller charges it through
// the key pool (pooled-call.ts). Every call has a timeout and no hidden retries; failures come
// back as classified YoutubeApiErrors that never contain the key.
import { youtube, type youtube_v3 } from '@googleapis/youtube';
import { decode } from 'html-entities';
import type { VideoInput } from '../../catalog/video.js';
import type { ChannelRef } from '../../platform/channel-ref.js';
import { YoutubeApiError, classifyYoutubeError } from './youtube-errors.js';

/** A channel as channels.list describes it: what following it needs. */
export interface ChannelInfo {
  readonly channelId: string;
  readonly title: string;
  /** Its customUrl without the @ (YouTube gives the handle there), or null. */
  readonly handle: string | null;
  readonly uploadsPlaylistId: string;
}

export interface UploadsPage {
  readonly videos: readonly VideoInput[];
  /** Items on the page, placeholders of private and deleted videos included. */
  readonly itemCount: number;
  readonly nextPageToken: string | null;
}

export interface ChannelClient {
  /** channels.list (1 unit): null when YouTube knows no such channel. */
  channel(key: string, ref: ChannelRef): Promise<ChannelInfo | null>;
  /** playlistItems.list (1 unit): one page of an uploads playlist, newest first. */
  uploadsPage(key: string, playlistId: string, pageToken?: string): Promise<UploadsPage>;
}

export interface ChannelClientOptions {
  /** API host, e.g. https://youtube.googleapis.com/ or a simulator's base URL. */
  readonly rootUrl: string;
  readonly timeoutMs: number;
}

/** playlistItems.list returns at most this many items a call. */
export const UPLOADS_PAGE_SIZE = 50;

const text = (value: string | null | undefined): string => decode(value ?? '', { level: 'html5' });

/**
 * One uploads playlist item as a video: the publish time is the video's own
 * (contentDetails.videoPublishedAt), not when it joined the playlist (snippet.publishedAt).
 * Private and deleted videos stay in the playlist as placeholders ("Private video", no
 * videoPublishedAt, privacyStatus private or privacyStatusUnspecified): skipped.
 */
export function toUploadVideo(item: youtube_v3.Schema$PlaylistItem): VideoInput | null {
  const snippet = item.snippet;
  const videoId = item.contentDetails?.videoId ?? snippet?.resourceId?.videoId;
  const publishedAt = item.contentDetails?.videoPublishedAt;
  if (!videoId || !snippet || !publishedAt) return null;
  const privacy = item.status?.privacyStatus;
  if (privacy !== undefined && privacy !== null && privacy !== 'public' && privacy !== 'unlisted') return null;
  const date = new Date(publishedAt);
  if (Number.isNaN(date.getTime())) return null;
  return {
    videoId,
    title: text(snippet.title),
    description: text(snippet.description),
    channelId: snippet.videoOwnerChannelId ?? snippet.channelId ?? '',
    channelTitle: text(snippet.videoOwnerChannelTitle ?? snippet.channelTitle),
    publishedAt: date,
    thumbnails: {
      default: snippet.thumbnails?.default?.url ?? null,
      medium: snippet.thumbnails?.medium?.url ?? null,
      high: snippet.thumbnails?.high?.url ?? null,
    },
    // Not in a playlist item; enrichment (videos.list) tells the live state.
    liveBroadcastContent: 'none',
  };
}

export function createChannelClient({ rootUrl, timeoutMs }: ChannelClientOptions): ChannelClient {
  const api = youtube({ version: 'v3', rootUrl: rootUrl.endsWith('/') ? rootUrl : `${rootUrl}/` });
  const callOptions = { retry: false, timeout: timeoutMs } as const;

  async function channel(key: string, ref: ChannelRef): Promise<ChannelInfo | null> {
    try {
      const response = await api.channels.list(
        {
          key,
          part: ['snippet', 'contentDetails'],
          ...(ref.kind === 'id' ? { id: [ref.channelId] } : { forHandle: ref.handle }),
          maxResults: 1,
        },
        callOptions,
      );
      const data = response.data;
      // A channel YouTube does not know answers 200 without `items`: only a channel list may say so.
      if (data?.kind !== 'youtube#channelListResponse') {
        throw new YoutubeApiError('unknown', response.status, 'unexpectedBody', `YouTube answered channels.list with HTTP ${response.status} but no channel list`);
      }
      const item = data.items?.[0];
      const uploads = item?.contentDetails?.relatedPlaylists?.uploads;
      if (!item?.id || !uploads) return null;
      const customUrl = item.snippet?.customUrl ?? null;
      return {
        channelId: item.id,
        title: text(item.snippet?.title),
        handle: customUrl === null ? (ref.kind === 'handle' ? ref.handle : null) : customUrl.replace(/^@/, ''),
        uploadsPlaylistId: uploads,
      };
    } catch (error) {
      throw classifyYoutubeError(error);
    }
  }

  async function uploadsPage(key: string, playlistId: string, pageToken?: string): Promise<UploadsPage> {
    try {
      const response = await api.playlistItems.list(
        {
          key,
          part: ['snippet', 'contentDetails', 'status'],
          playlistId,
          maxResults: UPLOADS_PAGE_SIZE,
          ...(pageToken === undefined ? {} : { pageToken }),
        },
        callOptions,
      );
      const data = response.data;
      // A 200 that is no item list must not read as "nothing new": that would end a read early.
      if (data?.kind !== 'youtube#playlistItemListResponse' || !Array.isArray(data.items)) {
        throw new YoutubeApiError('unknown', response.status, 'unexpectedBody', `YouTube answered playlistItems.list with HTTP ${response.status} but no item list`);
      }
      return {
        videos: data.items.map(toUploadVideo).filter((v): v is VideoInput => v !== null),
        itemCount: data.items.length,
        nextPageToken: data.nextPageToken ?? null,
      };
    } catch (error) {
      const failure = classifyYoutubeError(error);
      // The channel's uploads are gone (channel deleted or terminated): no key's fault, no retry.
      if (failure.status === 404 && failure.reason === 'playlistNotFound') {
        throw new YoutubeApiError('request', 404, 'playlistNotFound', 'YouTube has no such uploads playlist (the channel may be gone)');
      }
      throw failure;
    }
  }

  return { channel, uploadsPage };
}
