// The `/getData` feed: newest first, by page number. Totals and deep pages come from the
// maintained counts (feed-buckets.ts), never from COUNT(*) or a long OFFSET.
import type { SnapshotCache } from './snapshot-cache.js';
import type { Clock } from '../platform/clock.js';
import { InvalidRequestError, isMysqlUnavailable } from '../platform/errors.js';
import { CHANNEL_REF_RULE, parseChannelRef } from '../platform/channel-ref.js';
import type { SearchQueryRepository } from '../catalog/search-query-repository.js';
import { SNAPSHOT_SIZE } from './feed-snapshot.js';
import { ALL_VIDEOS_SCOPE, channelScope } from '../catalog/feed-buckets.js';
import type { FollowedChannelRepository } from '../catalog/followed-channel-repository.js';
import { feedPageEnvelope, fragmentsEtag, joinFragments } from '../catalog/video-json.js';
import type { FeedSlice, VideoRepository } from '../catalog/video-repository.js';
import { locateOffset } from '../catalog/feed-layout.js';

export interface FeedPageRequest {
  readonly pageNo: number;
  readonly limit: number;
  /** Text of a followed (or formerly followed) search query to narrow the feed to. */
  readonly query?: string | undefined;
  /** A followed channel, by its YouTube id or @handle, to narrow the feed to. */
  readonly channel?: string | undefined;
}

export interface FeedServiceDeps {
  readonly videos: Pick<VideoRepository, 'pageByOffset' | 'pageAt'>;
  readonly queries: Pick<SearchQueryRepository, 'findByText'>;
  /** Followed channels; without it `channel` is refused as not followed. */
  readonly channels?: Pick<FollowedChannelRepository, 'findByChannelId' | 'findByHandle'>;
  readonly clock: Clock;
  /**
   * Page 1 from the worker's snapshot, and the scope's layout for deeper pages (one statement
   * each); without it every page is read from MySQL, deeper pages in two statements.
   */
  readonly snapshots?: Pick<SnapshotCache, 'pageOne' | 'layout'>;
  /** How long a resolved query text or channel is remembered, in ms. */
  readonly queryCacheMs?: number;
}

export interface FeedResponse {
  /** The exact JSON body. */
  readonly body: string | Buffer;
  /** The body's validator, computed without hashing the body. */
  readonly etag: string | null;
}

export type FeedService = ReturnType<typeof createFeedService>;

/** Texts that are no query or channel remembered at most; past it they are forgotten, never the scopes. */
const MAX_REMEMBERED_MISSES = 1000;

type ScopeKind = 'query' | 'channel';

export function createFeedService({ videos, queries, channels, clock, snapshots, queryCacheMs = 5000 }: FeedServiceDeps) {
  // Query texts and channels resolved (keyed by kind and text): a stored one's entry stays
  // (there are as many as the tables hold, and an outage needs them); texts that resolve to
  // nothing come from clients and are bounded.
  const scopeCache = new Map<string, { scope: number | null; until: number }>();
  let misses = 0;
  const remember = (key: string, entry: { scope: number | null; until: number }) => {
    if (entry.scope === null && !scopeCache.has(key) && ++misses > MAX_REMEMBERED_MISSES) {
      for (const [cachedKey, cached] of scopeCache) if (cached.scope === null) scopeCache.delete(cachedKey);
      misses = 1;
    }
    scopeCache.set(key, entry);
  };

  const lookUp: Record<ScopeKind, (text: string) => Promise<number | null>> = {
    query: async (text) => (await queries.findByText(text))?.id ?? null,
    channel: async (text) => {
      if (channels === undefined) return null;
      const row = text.startsWith('@') ? await channels.findByHandle(text) : await channels.findByChannelId(text);
      return row === undefined ? null : channelScope(row.id);
    },
  };
  const notFound: Record<ScopeKind, (text: string) => string> = {
    query: (text) => `query "${text.slice(0, 100)}" is not a followed search query`,
    channel: (text) => `channel "${text.slice(0, 100)}" is not a followed channel (follow it with POST /admin/channels)`,
  };

  async function resolve(kind: ScopeKind, text: string): Promise<number> {
    const key = `${kind}\u0000${text}`;
    const now = clock.now().getTime();
    let cached = scopeCache.get(key);
    if (cached === undefined || cached.until <= now) {
      try {
        cached = { scope: await lookUp[kind](text), until: now + queryCacheMs };
        remember(key, cached);
      } catch (error) {
        // With MySQL unreachable an expired answer is still right (a query or a followed
        // channel keeps its id), and page 1 can still be served from its snapshot; it is kept
        // another period so requests do not each wait for MySQL.
        if (cached === undefined || !isMysqlUnavailable(error)) throw error;
        cached = { scope: cached.scope, until: now + queryCacheMs };
        scopeCache.set(key, cached);
      }
    }
    if (cached.scope === null) throw new InvalidRequestError(kind, notFound[kind](text));
    return cached.scope;
  }

  /** The feed scope for a query text: 0 without one; InvalidRequestError when unknown. */
  async function resolveScope(query: string | undefined): Promise<number> {
    return query === undefined ? ALL_VIDEOS_SCOPE : resolve('query', query);
  }

  /** The feed scope of a request: every video, one query's or one followed channel's. */
  async function scopeOf(request: Pick<FeedPageRequest, 'query' | 'channel'>): Promise<number> {
    if (request.query !== undefined && request.channel !== undefined) {
      throw new InvalidRequestError('channel', 'channel and query cannot be combined: give one of them');
    }
    if (request.channel === undefined) return resolveScope(request.query);
    const ref = parseChannelRef(request.channel);
    if (ref === null) throw new InvalidRequestError('channel', `channel must be ${CHANNEL_REF_RULE}`);
    return resolve('channel', ref.kind === 'id' ? ref.channelId : `@${ref.handle}`);
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
    const scope = await scopeOf(request);
    if (request.pageNo === 1 && snapshots !== undefined && request.limit <= SNAPSHOT_SIZE) {
      const page = await snapshots.pageOne(scope, request.limit);
      return { body: page.body, etag: page.etag };
    }
    return page(scope, request.pageNo, request.limit);
  }

  return { getPage, resolveScope, scopeOf, pageBody };
}
