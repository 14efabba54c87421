// What the dashboard shows (search words, sort, filters), its mirror in the page's query string
// (so a reload or a shared link restores it), the API parameters it turns into, and which new
// videos from the live stream belong in it.
import type { Video } from './api-client.js';

export type Sort = 'relevance' | 'newest' | 'oldest';

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
}

const SORTS: readonly Sort[] = ['relevance', 'newest', 'oldest'];
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const CHANNEL = /^[A-Za-z0-9_-]{1,64}$/;
/** Parameters of the page that are not view state: kept when the URL is rewritten. */
const STATE_PARAMS = ['q', 'sort', 'query', 'channel', 'from', 'to'];

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
  return {
    q: text('q') ?? '',
    sort: SORTS.find((s) => s === sort),
    query: text('query'),
    channel: channel !== undefined && CHANNEL.test(channel) ? channel : undefined,
    from: from !== undefined && DAY.test(from) ? from : undefined,
    to: to !== undefined && DAY.test(to) ? to : undefined,
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
  ];
  for (const [name, value] of entries) if (value !== undefined) search.set(name, value);
  for (const [name, value] of current) if (!STATE_PARAMS.includes(name)) search.append(name, value);
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** Parameters for /videos or /videos/search. Dates become the first and last instant of their UTC day. */
export function apiParams(state: ViewState, limit: number, cursor: string | null): Record<string, string | undefined> {
  return {
    ...(isSearching(state) ? { q: state.q } : {}),
    sort: effectiveSort(state),
    query: state.query,
    channel: state.channel,
    publishedAfter: state.from === undefined ? undefined : `${state.from}T00:00:00Z`,
    publishedBefore: state.to === undefined ? undefined : `${state.to}T23:59:59.999Z`,
    limit: String(limit),
    cursor: cursor ?? undefined,
  };
}

export function sameState(a: ViewState, b: ViewState): boolean {
  return stateSearch(a, new URLSearchParams()) === stateSearch(b, new URLSearchParams());
}

/**
 * Whether new videos from the live stream are slotted into this view: only the newest-first
 * listing. Search results are ranked (or filtered) by words only the server can match, and an
 * oldest-first list ends with the new videos, however far away that is.
 */
export function followsLive(state: ViewState): boolean {
  return !isSearching(state) && effectiveSort(state) === 'newest';
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
