// The `/getData` feed: newest first, by page number. Totals and deep pages come from the
// maintained counts (feed-buckets.ts), never from COUNT(*) or a long OFFSET.
import type { SnapshotCache } from './snapshot-cache.js';
import type { Clock } from '../platform/clock.js';
import { InvalidRequestError, isMysqlUnavailable } from '../platform/errors.js';
import type { SearchQueryRepository } from '../catalog/search-query-repository.js';
import { SNAPSHOT_SIZE } from './feed-snapshot.js';
import { ALL_VIDEOS_SCOPE } from '../catalog/feed-buckets.js';
import { feedPageEnvelope, fragmentsEtag, joinFragments } from '../catalog/video-json.js';
import type { FeedSlice, VideoRepository } from '../catalog/video-repository.js';
import { locateOffset } from '../catalog/feed-layout.js';

export interface FeedPageRequest {
  readonly pageNo: number;
  readonly limit: number;
  /** Text of a followed (or formerly followed) search query to narrow the feed to. */
  readonly query?: string | undefined;
}

export interface FeedServiceDeps {
  readonly videos: Pick<VideoRepository, 'pageByOffset' | 'pageAt'>;
  readonly queries: Pick<SearchQueryRepository, 'findByText'>;
  readonly clock: Clock;
  /**
   * Page 1 from the worker's snapshot, and the scope's layout for deeper pages (one statement
   * each); without it every page is read from MySQL, deeper pages in two statements.
   */
  readonly snapshots?: Pick<SnapshotCache, 'pageOne' | 'layout'>;
  /** How long a resolved query text is remembered, in ms. */
  readonly queryCacheMs?: number;
}

export interface FeedResponse {
  /** The exact JSON body. */
  readonly body: string | Buffer;
  /** The body's validator, computed without hashing the body. */
  readonly etag: string | null;
}

export type FeedService = ReturnType<typeof createFeedService>;

/** Texts that are no query remembered at most; past it they are forgotten, never the queries. */
const MAX_REMEMBERED_MISSES = 1000;

export function createFeedService({ videos, queries, clock, snapshots, queryCacheMs = 5000 }: FeedServiceDeps) {
  // Query texts resolved: a stored query's entry stays (there are as many as the table holds,
  // and an outage needs them); texts that are no query come from clients and are bounded.
  const scopeCache = new Map<string, { scope: number | null; until: number }>();
  let misses = 0;
  const remember = (text: string, entry: { scope: number | null; until: number }) => {
    if (entry.scope === null && !scopeCache.has(text) && ++misses > MAX_REMEMBERED_MISSES) {
      for (const [cachedText, cached] of scopeCache) if (cached.scope === null) scopeCache.delete(cachedText);
      misses = 1;
    }
    scopeCache.set(text, entry);
  };

  /** The feed scope for a query text: 0 without one; InvalidRequestError when unknown. */
  async function resolveScope(query: string | undefined): Promise<number> {
    if (query === undefined) return ALL_VIDEOS_SCOPE;
    const now = clock.now().getTime();
    let cached = scopeCache.get(query);
    if (cached === undefined || cached.until <= now) {
      try {
        const row = await queries.findByText(query);
        cached = { scope: row?.id ?? null, until: now + queryCacheMs };
        remember(query, cached);
      } catch (error) {
        // With MySQL unreachable an expired answer is still right (a query keeps its id), and
        // page 1 of that query can still be served from its snapshot; it is kept another
        // period so requests do not each wait for MySQL.
        if (cached === undefined || !isMysqlUnavailable(error)) throw error;
        cached = { scope: cached.scope, until: now + queryCacheMs };
        scopeCache.set(query, cached);
      }
    }
    if (cached.scope === null) {
      throw new InvalidRequestError('query', `query "${query.slice(0, 100)}" is not a followed search query`);
    }
    return cached.scope;
  }

  /** The page: the videos' stored JSON joined in the envelope, and its ETag from their stored hashes. */
  async function page(scope: number, pageNo: number, limit: number): Promise<FeedResponse> {
    const offset = (pageNo - 1) * limit;
    const layout = snapshots === undefined ? null : await snapshots.layout(scope);
    let slice: FeedSlice;
    if (layout === null) {
      slice = await videos.pageByOffset(scope, offset, limit);
    } else {
      const located = locateOffset(layout, offset);
      slice = { total: layout.total, videos: located === null ? [] : await videos.pageAt(scope, located, limit) };
    }
    const envelope = feedPageEnvelope({ pageNo, limit, totalCount: slice.total });
    return {
      body: joinFragments(
        envelope,
        slice.videos.map((video) => video.json),
      ),
      etag: fragmentsEtag(
        envelope,
        slice.videos.map((video) => video.json_hash),
      ),
    };
  }

  /** The page's exact JSON body. */
  async function pageBody(scope: number, pageNo: number, limit: number): Promise<Buffer> {
    return (await page(scope, pageNo, limit)).body as Buffer;
  }

  async function getPage(request: FeedPageRequest): Promise<FeedResponse> {
    const scope = await resolveScope(request.query);
    if (request.pageNo === 1 && snapshots !== undefined && request.limit <= SNAPSHOT_SIZE) {
      const page = await snapshots.pageOne(scope, request.limit);
      return { body: page.body, etag: page.etag };
    }
    return page(scope, request.pageNo, request.limit);
  }

  return { getPage, resolveScope, pageBody };
}
