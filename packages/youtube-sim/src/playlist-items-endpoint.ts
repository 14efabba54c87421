// playlistItems.list (1 unit of the units bucket) for the uploads playlists of the simulated
// channels ("UU" + the channel id without "UC"): every public upload, newest first, the moment it
// is published (no indexing lag, no fading, unlike search), in pages of up to 50 with
// nextPageToken/prevPageToken. Deleted and private videos are not listed: for a caller who does
// not own the channel they are not in its uploads. Any other playlist id is playlistNotFound (404).
import {
  incompatibleParameters,
  isApiResponse,
  missingFilter,
  playlistNotFound,
  tooManyIds,
  type ApiResponse,
} from './api-errors.js';
import { channelIdOfUploads } from './channel-profile.js';
import { encodePageToken } from './page-token.js';
import { parseMaxResults, parsePageStart, parseParts, type QueryParams } from './query-params.js';
import type { SimVideo, World } from './world.js';
import { etagOf, playlistItemResource } from './youtube-resources.js';

const PLAYLIST_ITEM_PARTS = ['contentDetails', 'id', 'snippet', 'status'] as const;
const FILTERS = ['id', 'playlistId'] as const;
const DEFAULT_MAX_RESULTS = 5;

function response(items: unknown[], etags: string[], pageInfo: { totalResults: number; resultsPerPage: number }, tokens: Record<string, string>): ApiResponse {
  return {
    status: 200,
    reason: null,
    results: items.length,
    body: {
      kind: 'youtube#playlistItemListResponse',
      etag: etagOf(`playlistItems\u0000${etags.join(',')}\u0000${JSON.stringify(tokens)}`),
      ...tokens,
      items,
      pageInfo,
    },
  };
}

/** Items by their own ids: each id is base64 of "<uploads playlist>.<video id>". */
function itemsById(params: QueryParams, world: World, parts: Set<string>): ApiResponse {
  const ids = params.list('id');
  if (ids.length > 50) return tooManyIds('id', 50);
  const context = { seed: world.seed, nowMs: world.nowMs() };
  const items = [];
  for (const id of ids) {
    const [playlistId, videoId] = Buffer.from(id, 'base64').toString('utf8').split('.');
    const channelId = playlistId === undefined ? undefined : channelIdOfUploads(playlistId);
    if (channelId === undefined || videoId === undefined) continue;
    const uploads = world.uploads(channelId);
    const position = uploads.findIndex((video) => video.id === videoId);
    if (position >= 0) items.push(playlistItemResource(uploads[position]!, playlistId!, position, parts, context));
  }
  return response(items, items.map((item) => item.etag), { totalResults: items.length, resultsPerPage: items.length }, {});
}

export function playlistItemsList(params: QueryParams, world: World): ApiResponse {
  const parts = parseParts(params, PLAYLIST_ITEM_PARTS);
  if (isApiResponse(parts)) return parts;

  const filters = FILTERS.filter((name) => params.has(name));
  if (filters.length === 0) return missingFilter(FILTERS);
  if (filters.length > 1) return incompatibleParameters(filters);
  if (filters[0] === 'id') return itemsById(params, world, parts);

  const maxResults = parseMaxResults(params, 0, 50, DEFAULT_MAX_RESULTS);
  if (isApiResponse(maxResults)) return maxResults;
  const start = parsePageStart(params, maxResults);
  if (isApiResponse(start)) return start;

  const playlistId = params.first('playlistId')!;
  const channelId = channelIdOfUploads(playlistId);
  if (channelId === undefined || world.channel(channelId) === undefined) return playlistNotFound();
  let uploads: SimVideo[] = world.uploads(channelId);
  const videoId = params.first('videoId');
  if (videoId !== undefined) uploads = uploads.filter((video) => video.id === videoId);

  const context = { seed: world.seed, nowMs: world.nowMs() };
  const page = uploads.slice(start, start + maxResults);
  const items = page.map((video, i) => playlistItemResource(video, playlistId, start + i, parts, context));
  const tokens: Record<string, string> = {};
  if (maxResults > 0 && start + page.length < uploads.length) tokens.nextPageToken = encodePageToken({ offset: start + page.length, direction: 'next' });
  if (start > 0) tokens.prevPageToken = encodePageToken({ offset: start, direction: 'prev' });
  return response(
    items,
    items.map((item) => item.etag),
    { totalResults: uploads.length, resultsPerPage: maxResults },
    tokens,
  );
}
