// `/videos` and `/videos/search`: parameters in, the exact JSON body out. Owns the opaque
// cursor: what the next page continues from, bound to the request it came from.
//
// A cursor is base64url JSON plus an HMAC keyed with the deployment's cursor secret. It names
// its endpoint, sort and a fingerprint of the filters and search terms; a cursor that was
// edited, truncated, forged, made for other parameters or by an older format answers 400
// naming `cursor`, never a 500 and never a wrong page.
//
// Sorts: `newest` / `oldest` (the established names) are publish time descending / ascending,
// the same as `sort=published` with `order=desc` / `asc`, and their cursors are interchangeable
// (and unchanged from before the other sorts existed). `views`, `likes` and `duration` take
// `order` (default desc); their cursors hold the last value, or null once past the videos
// with a value (video-finder.ts: not-yet-enriched videos come last).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidRequestError } from '../platform/errors.js';
import { ALL_FEED, channelFeed, queryFeed, type FeedKey } from './feed-keys.js';
import type { SearchFinder, SearchSort, SearchTier } from './search-finder.js';
import { SearchQueryError, parseSearch } from './search-text.js';
import type { ListedVideo } from './video-repository.js';
import { joinFragments, videoPageEnvelope } from './video-json.js';
import type { VideoLiveState } from './video-details.js';
import type { ListOrder, ListSort, SortDirection, SortKey, SortPosition, VideoFilters, VideoFinder } from './video-finder.js';

const CURSOR_VERSION = 1;
const TIERS: readonly SearchTier[] = ['title', 'body', 'any'];

export interface CatalogFilters {
  readonly query?: string | undefined;
  readonly channel?: string | undefined;
  readonly publishedAfter?: string | undefined;
  readonly publishedBefore?: string | undefined;
  readonly minViews?: number | undefined;
  readonly minDuration?: number | undefined;
  readonly maxDuration?: number | undefined;
  readonly live?: VideoLiveState | undefined;
  readonly language?: string | undefined;
  readonly includeUnavailable?: boolean | undefined;
}

export interface CatalogListRequest extends CatalogFilters {
  readonly limit: number;
  readonly sort: ListOrder | SortKey;
  /** Direction of published, views, likes and duration (default desc); not with newest or oldest. */
  readonly order?: SortDirection | undefined;
  readonly cursor?: string | undefined;
}

export interface CatalogSearchRequest extends CatalogFilters {
  readonly q: string;
  readonly limit: number;
  readonly sort: 'relevance' | ListOrder | SortKey;
  readonly order?: SortDirection | undefined;
  readonly cursor?: string | undefined;
}

interface CursorPayload {
  v: number;
  /** Endpoint: l(ist) or s(earch). */
  e: 'l' | 's';
  /** The sort: relevance, newest, oldest, or `<key>:<direction>` for views, likes and duration. */
  s: string;
  /** Fingerprint of the filters and terms the cursor belongs to. */
  f: string;
  /** Keyset position [sort value (publishedAt ms for publish time; null: no value), id]. */
  p: [number | null, number];
  /** Search tier of the position (an index into TIERS). */
  t?: number;
}

const digest = (text: string, length: number) => createHash('sha256').update(text).digest('base64url').slice(0, length);

const badCursor = (why: string) => new InvalidRequestError('cursor', `cursor ${why}; start again without it`);

function cursorCodec(secret: string) {
  const sign = (body: string) => createHmac('sha256', secret).update(body).digest('base64url').slice(0, 16);

  function encode(payload: CursorPayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${sign(body)}`;
  }

  function decode(cursor: string, expected: Pick<CursorPayload, 'e' | 's' | 'f'>): CursorPayload {
    const [body = '', check = '', extra] = cursor.split('.');
    const signature = Buffer.from(sign(body));
    const given = Buffer.from(check);
    if (extra !== undefined || body === '' || given.length !== signature.length || !timingSafeEqual(given, signature)) {
      throw badCursor('is not valid');
    }
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw badCursor('is not valid');
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw badCursor('is not valid');
    return checkPayload(payload as CursorPayload, expected);
  }

  return { encode, decode };
}

function checkPayload(payload: CursorPayload, expected: Pick<CursorPayload, 'e' | 's' | 'f'>): CursorPayload {
  if (payload.v !== CURSOR_VERSION) throw badCursor('is from an older version');
  if (payload.e !== expected.e || payload.s !== expected.s || payload.f !== expected.f) {
    throw badCursor('belongs to other parameters (sort, filters or q)');
  }
  const position = payload.p;
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  // Only a nullable value's sort reaches the videos without a value.
  const keysetOk =
    Array.isArray(position) &&
    position.length === 2 &&
    count(position[1]) &&
    (count(position[0]) || (position[0] === null && payload.s.includes(':')));
  const tierOk = payload.e === 'l' ? payload.t === undefined : Number.isInteger(payload.t) && TIERS[payload.t!] !== undefined;
  if (!keysetOk || !tierOk) throw badCursor('is not valid');
  return payload;
}

/** The sort a request names, and its name in cursors (newest and oldest as before). */
function sortOf(sort: 'relevance' | ListOrder | SortKey, order: SortDirection | undefined): { name: string; sort: SearchSort } {
  if (sort === 'relevance' || sort === 'newest' || sort === 'oldest') {
    if (order !== undefined) {
      throw new InvalidRequestError('order', `order applies to sort=published, views, likes or duration; sort=${sort} has its own order`);
    }
    if (sort === 'relevance') return { name: sort, sort };
    return { name: sort, sort: { key: 'published', direction: sort === 'newest' ? 'desc' : 'asc' } };
  }
  const direction = order ?? 'desc';
  if (sort === 'published') return { name: direction === 'desc' ? 'newest' : 'oldest', sort: { key: sort, direction } };
  return { name: `${sort}:${direction}`, sort: { key: sort, direction } };
}

/**
 * A BCP 47 tag in the case YouTube writes it: language lower case, script title case, region
 * upper case ("pt-br" -> "pt-BR", "zh-hans" -> "zh-Hans").
 */
export function canonicalLanguage(tag: string): string {
  return tag
    .split('-')
    .map((part, i) => {
      if (i === 0) return part.toLowerCase();
      if (part.length === 2) return part.toUpperCase();
      if (part.length === 4) return part[0]!.toUpperCase() + part.slice(1).toLowerCase();
      return part.toLowerCase();
    })
    .join('-');
}

function parseDate(value: string | undefined, param: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  const year = date.getUTCFullYear();
  // MySQL's DATETIME holds years 1000 to 9999; anything outside would compare wrongly.
  if (Number.isNaN(date.getTime()) || year < 1000 || year > 9999) {
    throw new InvalidRequestError(param, `${param} must be an ISO 8601 date-time from year 1000 to 9999, such as 2024-01-31T00:00:00Z`);
  }
  return date;
}

/** The body: the items' stored JSON joined in the envelope. */
function page(items: readonly ListedVideo[], nextCursor: string | null): Buffer {
  return joinFragments(
    videoPageEnvelope(nextCursor),
    items.map((item) => item.json),
  );
}

export interface CatalogServiceDeps {
  /**
   * Keys the cursors' HMAC: cursors from one deployment are accepted by all its API processes.
   * A function is asked once, when the first cursor is made or checked (again after a failure).
   */
  readonly cursorSecret: string | (() => Promise<string>);
  readonly finder: VideoFinder;
  readonly searchFinder: SearchFinder;
  /** Resolves a followed query's text to its id (InvalidRequestError naming `query` otherwise). */
  readonly resolveQuery: (text: string) => Promise<number>;
}

export type CatalogService = ReturnType<typeof createCatalogService>;

export function createCatalogService({ cursorSecret, finder, searchFinder, resolveQuery }: CatalogServiceDeps) {
  let codec: Promise<ReturnType<typeof cursorCodec>> | null = null;
  const codecOf = (): Promise<ReturnType<typeof cursorCodec>> => {
    if (typeof cursorSecret === 'string') {
      codec ??= Promise.resolve(cursorCodec(cursorSecret));
      return codec;
    }
    codec ??= cursorSecret().then(cursorCodec, (error: unknown) => {
      codec = null;
      throw error;
    });
    return codec;
  };
  async function filtersOf(request: CatalogFilters): Promise<VideoFilters> {
    const publishedAfter = parseDate(request.publishedAfter, 'publishedAfter');
    const publishedBefore = parseDate(request.publishedBefore, 'publishedBefore');
    if (publishedAfter && publishedBefore && publishedAfter > publishedBefore) {
      throw new InvalidRequestError('publishedAfter', 'publishedAfter must not be later than publishedBefore');
    }
    const { minDuration, maxDuration } = request;
    if (minDuration !== undefined && maxDuration !== undefined && minDuration > maxDuration) {
      throw new InvalidRequestError('minDuration', 'minDuration must not be more than maxDuration');
    }
    return {
      queryId: request.query === undefined ? undefined : await resolveQuery(request.query),
      channelId: request.channel,
      publishedAfter,
      publishedBefore,
      minViews: request.minViews,
      minDuration,
      maxDuration,
      live: request.live,
      language: request.language === undefined ? undefined : canonicalLanguage(request.language),
      includeUnavailable: request.includeUnavailable === true ? true : undefined,
    };
  }

  const fingerprint = (filters: VideoFilters, terms: readonly string[] = []) => {
    const { minViews, minDuration, maxDuration, live, language, includeUnavailable } = filters;
    const details = [minViews, minDuration, maxDuration, live, language, includeUnavailable].map((value) => value ?? null);
    return digest(
      JSON.stringify([
        filters.queryId ?? null,
        filters.channelId ?? null,
        filters.publishedAfter?.getTime() ?? null,
        filters.publishedBefore?.getTime() ?? null,
        terms,
        // Appended only when set, so cursors made before these filters existed stay valid.
        ...(details.some((value) => value !== null) ? [details] : []),
      ]),
      12,
    );
  };

  const keysetOf = (position: SortPosition): [number | null, number] => [position.value, position.id];
  const positionOf = (payload: CursorPayload | undefined): SortPosition | undefined =>
    payload === undefined ? undefined : { value: payload.p[0], id: payload.p[1] };

  async function list(request: CatalogListRequest): Promise<Buffer> {
    const { name, sort } = sortOf(request.sort, request.order);
    const filters = await filtersOf(request);
    const expected = { e: 'l' as const, s: name, f: fingerprint(filters) };
    const cursors = await codecOf();
    const cursor = request.cursor === undefined ? undefined : cursors.decode(request.cursor, expected);
    const rows = await finder.find({ filters, sort: sort as ListSort, after: positionOf(cursor), limit: request.limit + 1 });
    const items = rows.slice(0, request.limit);
    const more = rows.length > request.limit;
    return page(items, more ? cursors.encode({ v: CURSOR_VERSION, ...expected, p: keysetOf(items.at(-1)!.position) }) : null);
  }

  async function search(request: CatalogSearchRequest): Promise<Buffer> {
    let parsed;
    try {
      parsed = parseSearch(request.q);
    } catch (error) {
      if (error instanceof SearchQueryError) throw new InvalidRequestError('q', error.message);
      throw error;
    }
    const { name, sort } = sortOf(request.sort, request.order);
    const filters = await filtersOf(request);
    const expected = { e: 's' as const, s: name, f: fingerprint(filters, parsed.terms) };
    const cursors = await codecOf();
    const cursor = request.cursor === undefined ? undefined : cursors.decode(request.cursor, expected);
    const position = positionOf(cursor);
    const hits = await searchFinder.find({
      search: parsed,
      filters,
      sort,
      after: position === undefined ? undefined : { ...position, tier: TIERS[cursor!.t!]! },
      limit: request.limit + 1,
    });
    const items = hits.slice(0, request.limit);
    const last = items.at(-1);
    const more = hits.length > request.limit && last !== undefined;
    return page(items, more ? cursors.encode({ v: CURSOR_VERSION, ...expected, p: keysetOf(last.position), t: TIERS.indexOf(last.tier) }) : null);
  }

  /**
   * The feed (feed-keys.ts) a push client follows: a followed query's (`query`, InvalidRequestError
   * naming it when not followed), a channel's, or every video's; both at once answer 400.
   */
  async function feedOf(request: Pick<CatalogFilters, 'query' | 'channel'>): Promise<FeedKey> {
    if (request.query !== undefined && request.channel !== undefined) {
      throw new InvalidRequestError('query', 'query and channel cannot be combined: give one of them, or neither for all videos');
    }
    if (request.query !== undefined) return queryFeed(await resolveQuery(request.query));
    if (request.channel !== undefined) return channelFeed(request.channel);
    return ALL_FEED;
  }

  return { list, search, feedOf, lastChanged: finder.lastChanged };
}
