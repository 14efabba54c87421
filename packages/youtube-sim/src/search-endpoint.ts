// search.list: parameter checks in the real API's terms, then one page of the world's matches.
// Results are recomputed on every call, so newly indexed videos shift later pages exactly as
// they do on YouTube, and paging ends around result 500 whatever totalResults says. A page may
// also be short (fewer items, still a nextPageToken that continues exactly after them) or carry
// a few videos from just outside the requested window (search-behaviour.ts).
import {
  invalidEnum,
  invalidParameter,
  invalidSearchFilter,
  invalidTimestamp,
  isApiResponse,
  type ApiResponse,
} from './api-errors.js';
import { encodePageToken } from './page-token.js';
import { parseMaxResults, parsePageStart, parseParts, type QueryParams } from './query-params.js';
import { parseRfc3339 } from './rfc3339.js';
import { shortPageLength, windowLeak, type PageRequest, type WindowLeak } from './search-behaviour.js';
import { parseQuery } from './search-query.js';
import type { LiveBroadcastContent } from './video-content.js';
import { compareVideos, SEARCH_ORDERS, type SearchOrder, type SimVideo, type VideoFilter, type World } from './world.js';
import { etagOf, searchResult } from './youtube-resources.js';

/** Search never pages past this many results. */
export const SEARCH_RESULT_CAP = 500;
const TOTAL_RESULTS_CAP = 1_000_000;
const DEFAULT_MAX_RESULTS = 5;
const SEARCH_TYPES = ['channel', 'playlist', 'video'] as const;

/** Optional filters with fixed values; any of the video-only ones requires type=video. */
const ENUM_PARAMETERS: Record<string, { values: readonly string[]; videoOnly: boolean }> = {
  eventType: { values: ['completed', 'live', 'upcoming'], videoOnly: true },
  safeSearch: { values: ['moderate', 'none', 'strict'], videoOnly: false },
  channelType: { values: ['any', 'show'], videoOnly: false },
  videoCaption: { values: ['any', 'closedCaption', 'none'], videoOnly: true },
  videoDefinition: { values: ['any', 'high', 'standard'], videoOnly: true },
  videoDimension: { values: ['2d', '3d', 'any'], videoOnly: true },
  videoDuration: { values: ['any', 'long', 'medium', 'short'], videoOnly: true },
  videoEmbeddable: { values: ['any', 'true'], videoOnly: true },
  videoLicense: { values: ['any', 'creativeCommon', 'youtube'], videoOnly: true },
  videoPaidProductPlacement: { values: ['any', 'true'], videoOnly: true },
  videoSyndicated: { values: ['any', 'true'], videoOnly: true },
  videoType: { values: ['any', 'episode', 'movie'], videoOnly: true },
};
const VIDEO_ONLY_FREE_PARAMETERS = ['videoCategoryId', 'location'];

const EVENT_TYPE_CONTENT: Record<string, LiveBroadcastContent> = { live: 'live', upcoming: 'upcoming', completed: 'none' };


interface SearchRequest {
  parts: Set<string>;
  maxResults: number;
  order: SearchOrder;
  types: string[];
  filter: VideoFilter;
  start: number;
  regionCode: string;
}

function parseSearchRequest(params: QueryParams): SearchRequest | ApiResponse {
  const parts = parseParts(params, ['id', 'snippet']);
  if (isApiResponse(parts)) return parts;

  const maxResults = parseMaxResults(params, 0, 50, DEFAULT_MAX_RESULTS);
  if (isApiResponse(maxResults)) return maxResults;

  const order = params.first('order') ?? 'relevance';
  if (!(SEARCH_ORDERS as readonly string[]).includes(order)) return invalidEnum('order', order, SEARCH_ORDERS);

  const types = params.list('type');
  for (const type of types) {
    if (!(SEARCH_TYPES as readonly string[]).includes(type)) return invalidEnum('type', type, SEARCH_TYPES);
  }

  const bounds: { publishedAfterMs?: number; publishedBeforeMs?: number } = {};
  for (const name of ['publishedAfter', 'publishedBefore'] as const) {
    const raw = params.first(name);
    if (raw === undefined) continue;
    const ms = parseRfc3339(raw, name === 'publishedAfter' ? 'up' : 'down');
    if (ms === undefined) return invalidTimestamp(name);
    bounds[name === 'publishedAfter' ? 'publishedAfterMs' : 'publishedBeforeMs'] = ms;
  }

  let videoOnlyFilter = VIDEO_ONLY_FREE_PARAMETERS.some((name) => params.has(name));
  for (const [name, spec] of Object.entries(ENUM_PARAMETERS)) {
    const value = params.first(name);
    if (value === undefined) continue;
    if (!spec.values.includes(value)) return invalidEnum(name, value, spec.values);
    videoOnlyFilter ||= spec.videoOnly;
  }
  if (videoOnlyFilter && !(types.length > 0 && types.every((type) => type === 'video'))) return invalidSearchFilter();

  const start = parsePageStart(params, maxResults);
  if (isApiResponse(start)) return start;

  const regionCode = params.first('regionCode');
  if (regionCode !== undefined && !/^[A-Za-z]{2}$/.test(regionCode)) {
    return invalidParameter('regionCode', 'The <code>regionCode</code> parameter specifies an invalid region code.');
  }

  const eventType = params.first('eventType');
  const channelId = params.first('channelId');
  return {
    parts,
    maxResults,
    order: order as SearchOrder,
    types,
    start,
    regionCode: regionCode?.toUpperCase() ?? 'US',
    filter: {
      query: parseQuery(params.first('q') ?? ''),
      ...bounds,
      ...(channelId === undefined ? {} : { channelId }),
      ...(eventType === undefined ? {} : { liveBroadcastContent: EVENT_TYPE_CONTENT[eventType]! }),
    },
  };
}

/** Matching, searchable videos just outside the window, as far beyond the bound as the leak reaches. */
function leakedVideos(world: World, filter: VideoFilter, leak: WindowLeak): SimVideo[] {
  const bound = leak.side === 'after' ? filter.publishedAfterMs! : filter.publishedBeforeMs!;
  const outside: VideoFilter =
    leak.side === 'after'
      ? { ...filter, publishedAfterMs: bound - leak.reachMs, publishedBeforeMs: bound - 1 }
      : { ...filter, publishedAfterMs: bound + 1, publishedBeforeMs: bound + leak.reachMs };
  const { items } = world.search(outside, 'date', 0, Number.MAX_SAFE_INTEGER);
  // Newest first: the farthest from the bound are at the end below it and at the start above it.
  return leak.side === 'after' ? items.slice(-leak.count) : items.slice(0, leak.count);
}

export function searchList(params: QueryParams, world: World): ApiResponse {
  const request = parseSearchRequest(params);
  if (isApiResponse(request)) return request;
  const { parts, maxResults, order, types, filter, start, regionCode } = request;

  // This world holds videos only: asking for channels or playlists alone finds nothing.
  const wantsVideos = types.length === 0 || types.includes('video');
  const limit = Math.max(0, Math.min(maxResults, SEARCH_RESULT_CAP - start));
  const { total, items } = wantsVideos ? world.search(filter, order, start, limit) : { total: 0, items: [] };

  const behaviour = world.searchBehaviour();
  const pageRequest: PageRequest = {
    q: filter.query.normalized,
    order,
    offset: start,
    maxResults,
    ...(filter.publishedAfterMs === undefined ? {} : { publishedAfterMs: filter.publishedAfterMs }),
    ...(filter.publishedBeforeMs === undefined ? {} : { publishedBeforeMs: filter.publishedBeforeMs }),
  };
  // Items of the window this page returns; the next page starts right after the last of them.
  let kept = shortPageLength(world.seed, behaviour, pageRequest, items.length);
  const leak = wantsVideos && limit > 0 ? windowLeak(world.seed, behaviour, pageRequest) : undefined;
  let leaked: SimVideo[] = [];
  if (leak !== undefined) {
    // Leaked videos take slots of the page, but never all of them when the window has items:
    // a page that returned none of them would hand out its own offset again.
    leaked = leakedVideos(world, filter, leak).slice(0, Math.max(0, limit - Math.min(1, kept)));
    kept = Math.min(kept, limit - leaked.length);
  }
  const videos = leaked.length === 0 ? items.slice(0, kept) : [...items.slice(0, kept), ...leaked].sort(compareVideos(order));

  const resources = videos.map((video) => searchResult(video, parts.has('snippet')));
  const reachable = Math.min(total, SEARCH_RESULT_CAP);
  const nextPageToken = maxResults > 0 && start + kept < reachable ? encodePageToken({ offset: start + kept, direction: 'next' }) : undefined;
  const prevPageToken = start > 0 ? encodePageToken({ offset: start, direction: 'prev' }) : undefined;
  const totalResults = Math.min(total, TOTAL_RESULTS_CAP);
  const body = {
    kind: 'youtube#searchListResponse',
    etag: etagOf(`${resources.map((r) => r.etag).join(',')}|${totalResults}|${nextPageToken}|${prevPageToken}`),
    ...(nextPageToken === undefined ? {} : { nextPageToken }),
    ...(prevPageToken === undefined ? {} : { prevPageToken }),
    regionCode,
    pageInfo: { totalResults, resultsPerPage: resources.length === 0 ? 0 : maxResults },
    items: resources,
  };
  return { status: 200, body, reason: null, results: resources.length, videoIds: videos.map((video) => video.id) };
}
