// What the dashboard shows (search words, sort, filters), its mirror in the page's query string
// (so a reload or a shared link restores it), the API parameters it turns into, and which new
// videos from the live stream belong in it.
import type { Video } from './api-client.js';
import { BROADCAST_STATES, type BroadcastState } from './video-details.js';

/** The sorts offered; each is one sort/order pair of the API (see SORT_PARAMS). */
export type Sort = 'relevance' | 'newest' | 'oldest' | 'views' | 'likes' | 'longest' | 'shortest';
/** Duration bands, as YouTube's own search filter draws them: under 4 minutes, 4–20, over 20. */
export type DurationBand = 'short' | 'medium' | 'long';
export type LiveFilter = BroadcastState;

export interface ViewState {
  readonly q: string;
  /** Only set when the user chose something other than the default of the current mode. */
  readonly sort?: Sort;
  /** Text of a followed search query. */
  readonly query?: string;
  readonly channel?: string;
  /** Calendar days, YYYY-MM-DD, read as UTC days. */
  readonly from?: string;
  readonly to?: string;
  /** Filters on what enrichment tells (videos not enriched yet pass none of them). */
  readonly duration?: DurationBand;
  readonly minViews?: number;
  readonly live?: LiveFilter;
  /** A BCP 47 tag or its start, as typed ("en" also lists en-GB); the API matches it in any case. */
  readonly language?: string;
  /** Also list videos YouTube no longer returns (hidden unless asked for). */
  readonly includeUnavailable?: boolean;
}

const SORTS: readonly Sort[] = ['relevance', 'newest', 'oldest', 'views', 'likes', 'longest', 'shortest'];
/** The API's sort and order for each sort offered; relevance, newest and oldest take no order. */
const SORT_PARAMS: Record<Sort, { sort: string; order?: 'desc' | 'asc' }> = {
  relevance: { sort: 'relevance' },
  newest: { sort: 'newest' },
  oldest: { sort: 'oldest' },
  views: { sort: 'views', order: 'desc' },
  likes: { sort: 'likes', order: 'desc' },
  longest: { sort: 'duration', order: 'desc' },
  shortest: { sort: 'duration', order: 'asc' },
};
const DURATION_BANDS: readonly DurationBand[] = ['short', 'medium', 'long'];
/** Each band's bounds in seconds, inclusive (the API's minDuration/maxDuration are). */
const DURATION_PARAMS: Record<DurationBand, { minDuration?: number; maxDuration?: number }> = {
  short: { maxDuration: 4 * 60 - 1 },
  medium: { minDuration: 4 * 60, maxDuration: 20 * 60 },
  long: { minDuration: 20 * 60 + 1 },
};
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const CHANNEL = /^[A-Za-z0-9_-]{1,64}$/;
/** A whole number of views, as the API takes it (up to 2^53 - 1: at most 16 digits). */
const COUNT = /^\d{1,16}$/;
/** The API's pattern for `language` (routes/videos.ts): a language, then up to three subtags. */
const LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/;
/** The view state's parameters in the page URL; any other parameter is kept when the URL is rewritten. */
const STATE_PARAMS = ['q', 'sort', 'query', 'channel', 'from', 'to', 'duration', 'minViews', 'live', 'language', 'includeUnavailable'];

/** Whether the API takes this as a language filter (checked here so a typo costs no request). */
export const isLanguageTag = (text: string): boolean => LANGUAGE.test(text);

export const isSearching = (state: ViewState): boolean => state.q !== '';

export function defaultSort(state: ViewState): Sort {
  return isSearching(state) ? 'relevance' : 'newest';
}

/** Relevance only exists while searching; the listing falls back to its default. */
export function effectiveSort(state: ViewState): Sort {
  if (state.sort === undefined || (state.sort === 'relevance' && !isSearching(state))) return defaultSort(state);
  return state.sort;
}

/** The state with a new sort choice; choosing the mode's default clears the explicit choice. */
export function withSort(state: ViewState, sort: Sort): ViewState {
  return { ...state, sort: sort === defaultSort(state) ? undefined : sort };
}

export function readState(search: URLSearchParams): ViewState {
  const text = (name: string): string | undefined => {
    const value = search.get(name)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const sort = text('sort');
  const channel = text('channel');
  const from = text('from');
  const to = text('to');
  const duration = text('duration');
  const minViews = text('minViews');
  const live = text('live');
  const language = text('language');
  const views = minViews !== undefined && COUNT.test(minViews) ? Number(minViews) : undefined;
  return {
    q: text('q') ?? '',
    sort: SORTS.find((s) => s === sort),
    query: text('query'),
    channel: channel !== undefined && CHANNEL.test(channel) ? channel : undefined,
    from: from !== undefined && DAY.test(from) ? from : undefined,
    to: to !== undefined && DAY.test(to) ? to : undefined,
    duration: DURATION_BANDS.find((band) => band === duration),
    // 0 views is no filter at all: read as none, so the URL and the control agree.
    minViews: views !== undefined && views > 0 && Number.isSafeInteger(views) ? views : undefined,
    live: BROADCAST_STATES.find((state) => state === live),
    language: language !== undefined && isLanguageTag(language) ? language : undefined,
    // Only `true` shows them, as with the API's includeUnavailable.
    includeUnavailable: text('includeUnavailable') === 'true' ? true : undefined,
  };
}

/** The page URL's query string for a state, keeping the page's other parameters as they were. */
export function stateSearch(state: ViewState, current: URLSearchParams): string {
  const search = new URLSearchParams();
  const sort = effectiveSort(state);
  const entries: Array<[string, string | undefined]> = [
    ['q', state.q === '' ? undefined : state.q],
    ['sort', sort === defaultSort(state) ? undefined : sort],
    ['query', state.query],
    ['channel', state.channel],
    ['from', state.from],
    ['to', state.to],
    ['duration', state.duration],
    ['minViews', state.minViews === undefined ? undefined : String(state.minViews)],
    ['live', state.live],
    ['language', state.language],
    ['includeUnavailable', state.includeUnavailable === true ? 'true' : undefined],
  ];
  for (const [name, value] of entries) if (value !== undefined) search.set(name, value);
  for (const [name, value] of current) if (!STATE_PARAMS.includes(name)) search.append(name, value);
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * Parameters for /videos or /videos/search. Dates become the first and last instant of their
 * UTC day; a duration band becomes its bounds in seconds.
 */
export function apiParams(state: ViewState, limit: number, cursor: string | null): Record<string, string | undefined> {
  const { sort, order } = SORT_PARAMS[effectiveSort(state)];
  const band: { minDuration?: number; maxDuration?: number } = state.duration === undefined ? {} : DURATION_PARAMS[state.duration];
  return {
    ...(isSearching(state) ? { q: state.q } : {}),
    sort,
    order,
    query: state.query,
    channel: state.channel,
    publishedAfter: state.from === undefined ? undefined : `${state.from}T00:00:00Z`,
    publishedBefore: state.to === undefined ? undefined : `${state.to}T23:59:59.999Z`,
    minDuration: band.minDuration === undefined ? undefined : String(band.minDuration),
    maxDuration: band.maxDuration === undefined ? undefined : String(band.maxDuration),
    minViews: state.minViews === undefined ? undefined : String(state.minViews),
    live: state.live,
    language: state.language,
    includeUnavailable: state.includeUnavailable === true ? 'true' : undefined,
    limit: String(limit),
    cursor: cursor ?? undefined,
  };
}

export function sameState(a: ViewState, b: ViewState): boolean {
  return stateSearch(a, new URLSearchParams()) === stateSearch(b, new URLSearchParams());
}

/** Whether a filter on enrichment's details (duration, views, live state, language) is set. */
export function filtersDetails(state: ViewState): boolean {
  return state.duration !== undefined || state.minViews !== undefined || state.live !== undefined || state.language !== undefined;
}

/**
 * Whether new videos from the live stream are slotted into this view: only the newest-first
 * listing without a details filter. Search results are ranked (or filtered) by words only the
 * server can match; an oldest-first list ends with the new videos, however far away that is; a
 * video just found is not enriched yet, so it comes last in a views, likes or duration sort and
 * passes no details filter, language included (the API leaves out videos whose detail is not
 * known). Such views show it when read again, once enriched, not before. Showing unavailable
 * videos too changes none of this: a new video is available, and sorts where it sorts.
 */
export function followsLive(state: ViewState): boolean {
  return !isSearching(state) && effectiveSort(state) === 'newest' && !filtersDetails(state);
}

/**
 * Whether a video from the stream passes the view's filters that the stream's scope (all, or
 * the followed query) does not apply: the channel and the UTC days.
 */
export function fitsView(state: ViewState, video: Pick<Video, 'channel_id' | 'published_at'>): boolean {
  if (state.channel !== undefined && video.channel_id !== state.channel) return false;
  const time = Date.parse(video.published_at);
  if (Number.isNaN(time)) return false;
  const day = new Date(time).toISOString().slice(0, 10);
  if (state.from !== undefined && day < state.from) return false;
  if (state.to !== undefined && day > state.to) return false;
  return true;
}
