// videos.list (1 unit of the units bucket): videos by id (up to 50 a call), or chart=mostPopular.
// Unlike search, it sees a video the moment it is published (no indexing delay) and returns the
// text raw and whole, which is also what makes it the cheap way to check that a key works. Ids
// of unknown, deleted and private videos are simply left out of `items`, as YouTube does for a
// caller who does not own them; statistics and a broadcast's state are those of the sim's "now".
import {
  incompatibleParameters,
  invalidEnum,
  isApiResponse,
  loginRequired,
  missingVideoFilter,
  tooManyIds,
  type ApiResponse,
} from './api-errors.js';
import { parseMaxResults, parseParts, type QueryParams } from './query-params.js';
import type { SimVideo, World } from './world.js';
import { etagOf, VIDEO_PARTS, videoResource } from './youtube-resources.js';

const FILTERS = ['chart', 'id', 'myRating'] as const;
const CHARTS = ['chartUnspecified', 'mostPopular'] as const;
/** videos.list takes at most this many ids per call. */
export const MAX_VIDEO_IDS = 50;

export function videosList(params: QueryParams, world: World): ApiResponse {
  const parts = parseParts(params, VIDEO_PARTS);
  if (isApiResponse(parts)) return parts;

  const filters = FILTERS.filter((name) => params.has(name));
  if (filters.length === 0) return missingVideoFilter();
  if (filters.length > 1) return incompatibleParameters(filters);
  // Ratings belong to a signed-in user; an API key alone cannot ask for them.
  if (filters[0] === 'myRating') return loginRequired();

  let videos: SimVideo[];
  if (filters[0] === 'chart') {
    const chart = params.first('chart')!;
    if (!(CHARTS as readonly string[]).includes(chart)) return invalidEnum('chart', chart, CHARTS);
    const maxResults = parseMaxResults(params, 1, 50, 5);
    if (isApiResponse(maxResults)) return maxResults;
    videos = world.mostPopular(maxResults);
  } else {
    const ids = params.list('id');
    if (ids.length > MAX_VIDEO_IDS) return tooManyIds('id', MAX_VIDEO_IDS);
    videos = ids.map((id) => world.video(id)).filter((video): video is SimVideo => video !== undefined);
  }

  const context = { seed: world.seed, nowMs: world.nowMs() };
  const items = videos.map((video) => videoResource(video, parts, context));
  return {
    status: 200,
    reason: null,
    results: items.length,
    body: {
      kind: 'youtube#videoListResponse',
      etag: etagOf(items.map((item) => item.etag).join(',')),
      items,
      pageInfo: { totalResults: items.length, resultsPerPage: items.length },
    },
  };
}
