// channels.list (1 unit of the units bucket): the channels that upload to the simulated world, by
// id (a comma list, up to 50) or by @handle (`forHandle`, with or without the @, any case). A
// filter that matches nothing answers 200 with no `items` property at all, the way YouTube
// answers it; the filters that need a signed-in user (mine, managedByMe) answer 401.
import { incompatibleParameters, isApiResponse, loginRequired, missingFilter, tooManyIds, type ApiResponse } from './api-errors.js';
import { parseParts, type QueryParams } from './query-params.js';
import type { SimChannel, World } from './world.js';
import { CHANNEL_PARTS, channelResource, etagOf } from './youtube-resources.js';

const FILTERS = ['categoryId', 'forHandle', 'forUsername', 'id', 'managedByMe', 'mine'] as const;
const MAX_CHANNEL_IDS = 50;
/** YouTube reports this page size for channels.list whatever was found. */
const CHANNELS_PER_PAGE = 5;

export function channelsList(params: QueryParams, world: World): ApiResponse {
  const parts = parseParts(params, CHANNEL_PARTS);
  if (isApiResponse(parts)) return parts;

  const filters = FILTERS.filter((name) => params.has(name));
  if (filters.length === 0) return missingFilter(FILTERS);
  if (filters.length > 1) return incompatibleParameters(filters);

  let channels: SimChannel[];
  switch (filters[0]) {
    case 'mine':
    case 'managedByMe':
      return loginRequired();
    case 'id': {
      const ids = params.list('id');
      if (ids.length > MAX_CHANNEL_IDS) return tooManyIds('id', MAX_CHANNEL_IDS);
      channels = ids.map((id) => world.channel(id)).filter((channel): channel is SimChannel => channel !== undefined);
      break;
    }
    case 'forHandle': {
      const channel = world.channelByHandle(params.first('forHandle')!);
      channels = channel === undefined ? [] : [channel];
      break;
    }
    default:
      // Legacy usernames and the retired guide categories: no simulated channel has either.
      channels = [];
  }

  const context = { seed: world.seed, nowMs: world.nowMs() };
  const items = channels.map((channel) => channelResource(channel, world.uploads(channel.id), parts, context));
  return {
    status: 200,
    reason: null,
    results: items.length,
    body: {
      kind: 'youtube#channelListResponse',
      etag: etagOf(`channels\u0000${items.map((item) => item.etag).join(',')}`),
      pageInfo: { totalResults: items.length, resultsPerPage: CHANNELS_PER_PAGE },
      ...(items.length === 0 ? {} : { items }),
    },
  };
}
