// The query behind `/videos` (cursor listing); search/search-finder.ts applies the same
// filters and order to search results.
//
// Listing is keyset pagination on (published_at, id): the next page starts strictly after the
// last row served, through the (published_at, id) index (or the query's or channel's own), so
// page 10,000 costs what page 1 costs, and rows inserted meanwhile above the reader's position
// can neither repeat nor push rows it has not seen yet out of its way.
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import { RENDERED_COLUMNS, withFragments, type RenderedRow } from './rendered-videos.js';
import type { ListedVideo } from './video-repository.js';

export type ListOrder = 'newest' | 'oldest';

export interface VideoFilters {
  /** A search query's id: only videos it found. */
  readonly queryId?: number | undefined;
  readonly channelId?: string | undefined;
  /** Inclusive bounds on the publish time. */
  readonly publishedAfter?: Date | undefined;
  readonly publishedBefore?: Date | undefined;
}

export interface KeysetPosition {
  readonly publishedAt: Date;
  readonly id: number;
}

export interface FindRequest {
  readonly filters: VideoFilters;
  readonly order: ListOrder;
  /** Keyset position: rows strictly after it in the order. */
  readonly after?: KeysetPosition | undefined;
  readonly limit: number;
}

/**
 * Rows strictly after `after` in (publishedAt, id) order, newest or oldest first; written as a
 * range plus a tie-break so the optimiser can seek the index.
 */
export function keysetAfter(
  publishedAt: RawBuilder<unknown>,
  id: RawBuilder<unknown>,
  after: KeysetPosition,
  newestFirst: boolean,
): RawBuilder<SqlBool> {
  const [lt, le] = newestFirst ? [sql.raw('<'), sql.raw('<=')] : [sql.raw('>'), sql.raw('>=')];
  return sql<SqlBool>`${publishedAt} ${le} ${after.publishedAt} AND (${publishedAt} ${lt} ${after.publishedAt} OR ${id} ${lt} ${after.id})`;
}

export function createVideoFinder(db: Kysely<Database>) {
  async function find(request: FindRequest): Promise<ListedVideo[]> {
    const { filters, order, after, limit } = request;
    const byQuery = filters.queryId !== undefined;
    // Ordering and keyset columns come from the table whose index serves the order.
    const publishedAt = byQuery ? sql.ref('vq.published_at') : sql.ref('v.published_at');
    const id = byQuery ? sql.ref('vq.video_pk') : sql.ref('v.id');

    const query = db
      .selectFrom('videos as v')
      .$if(byQuery, (qb) =>
        qb.innerJoin('video_queries as vq', (join) =>
          join.onRef('vq.video_pk', '=', 'v.id').on('vq.query_id', '=', filters.queryId!),
        ),
      )
      .select(RENDERED_COLUMNS)
      .$if(filters.channelId !== undefined, (qb) => qb.where('v.channel_id', '=', filters.channelId!))
      .$if(filters.publishedAfter !== undefined, (qb) => qb.where(sql<SqlBool>`${publishedAt} >= ${filters.publishedAfter!}`))
      .$if(filters.publishedBefore !== undefined, (qb) => qb.where(sql<SqlBool>`${publishedAt} <= ${filters.publishedBefore!}`))
      .$if(after !== undefined, (qb) => qb.where(keysetAfter(publishedAt, id, after!, order === 'newest')));

    const direction = order === 'oldest' ? sql.raw('ASC') : sql.raw('DESC');
    const rows: RenderedRow[] = await query.orderBy(sql`${publishedAt} ${direction}, ${id} ${direction}`).limit(limit).execute();
    return withFragments(db, rows);
  }

  /**
   * When any of these videos last changed as stored: first seen (a video found late) or updated
   * (a title edited, a row rendered again); null when none is stored. What an Atom feed's
   * Last-Modified is, so that If-Modified-Since notices a change below its newest entry.
   */
  async function lastChanged(videoIds: readonly string[]): Promise<Date | null> {
    if (videoIds.length === 0) return null;
    const row = await db
      .selectFrom('videos')
      .select(sql<Date | null>`MAX(GREATEST(first_seen_at, updated_at))`.as('changed'))
      .where('video_id', 'in', [...videoIds])
      .executeTakeFirst();
    return row?.changed ?? null;
  }

  return { find, lastChanged };
}

export type VideoFinder = ReturnType<typeof createVideoFinder>;
