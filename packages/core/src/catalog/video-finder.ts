// The query behind `/videos` (cursor listing); search/search-finder.ts applies the same
// filters and order to search results.
//
// Listing is keyset pagination on (sort value, id): the next page starts strictly after the
// last row served, through an index whose order is the listing's, so page 10,000 costs what
// page 1 costs, and rows inserted meanwhile above the reader's position can neither repeat nor
// push rows it has not seen yet out of its way.
//
// Publish time is never NULL and is listed through (published_at, id) (or the query's or
// channel's own index), as before. Views, likes and duration are NULL until a video is
// enriched (videos.list); those videos come LAST in both directions, among themselves by id in
// the listing's direction. Such a listing is two index ranges read one after the other: the
// rows with a value, in (value, id) order, then the rows without, in id order. A cursor in the
// second range holds a null value. A filter on a detail (minViews, minDuration, maxDuration,
// live, language) keeps only videos whose detail is known and matches: an unknown duration is
// neither short nor long.
//
// A query's videos sorted by a value: video_queries holds publish time, not statistics, so
// either the sort index is walked and each row checked against the query (reads about
// limit / share rows, cheap when the query holds a good share of all videos), or the query's
// videos are all read and sorted (cheap when it holds few). walkSortIndex picks the cheaper one
// from the kept counts (feed_scopes) and STRAIGHT_JOIN holds the optimiser to it.
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import { RENDERED_COLUMNS, withFragments, type RenderedRow } from './rendered-videos.js';
import type { VideoLiveState } from './video-details.js';
import type { ListedVideo } from './video-repository.js';
import { ALL_VIDEOS_SCOPE } from './feed-buckets.js';

/** The established sort names: publish time, newest or oldest first. */
export type ListOrder = 'newest' | 'oldest';

export type SortKey = 'published' | 'views' | 'likes' | 'duration';
export type SortDirection = 'asc' | 'desc';
export type ValueSortKey = Exclude<SortKey, 'published'>;

export interface ListSort {
  readonly key: SortKey;
  readonly direction: SortDirection;
}

/** The column behind each sort that may be NULL (not enriched yet). */
export const VALUE_SORT_COLUMNS = { views: 'view_count', likes: 'like_count', duration: 'duration_s' } as const;

export interface VideoFilters {
  /** A search query's id: only videos it found. */
  readonly queryId?: number | undefined;
  readonly channelId?: string | undefined;
  /** Inclusive bounds on the publish time. */
  readonly publishedAfter?: Date | undefined;
  readonly publishedBefore?: Date | undefined;
  /** Inclusive bounds on details; a video whose detail is not known yet never matches. */
  readonly minViews?: number | undefined;
  readonly minDuration?: number | undefined;
  readonly maxDuration?: number | undefined;
  readonly live?: VideoLiveState | undefined;
  /** A BCP 47 tag as YouTube spells it; a bare language ("en") also matches its regions ("en-GB"). */
  readonly language?: string | undefined;
  /** Videos YouTube no longer returns (available = 0) are left out unless this is true. */
  readonly includeUnavailable?: boolean | undefined;
}

export interface KeysetPosition {
  readonly publishedAt: Date;
  readonly id: number;
}

/** Where a listing stands: the last row's sort value (publish time in ms; null: not known) and id. */
export interface SortPosition {
  readonly value: number | null;
  readonly id: number;
}

export interface FindRequest {
  readonly filters: VideoFilters;
  readonly sort: ListSort;
  /** Keyset position: rows strictly after it in the order. */
  readonly after?: SortPosition | undefined;
  readonly limit: number;
}

/** A listed row and its position in the listing's order (what a cursor holds). */
export type SortedVideo = ListedVideo & { readonly position: SortPosition };

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

/** The two ranges of a sort on a nullable value: the rows that have one, then those that do not. */
export type ValueRange = 'values' | 'nulls';

/**
 * The ranges still to read after `after`, and for each the condition that selects the rows
 * strictly after the position within it (as a range plus tie-break, so the index is sought).
 * A range the filters empty (minViews on a views sort: no NULL view counts) is left out.
 */
export function valueRanges(
  column: RawBuilder<unknown>,
  id: RawBuilder<unknown>,
  after: SortPosition | undefined,
  descending: boolean,
  valuesOnly: boolean,
): Array<{ range: ValueRange; where: RawBuilder<SqlBool> }> {
  const [lt, le] = descending ? [sql.raw('<'), sql.raw('<=')] : [sql.raw('>'), sql.raw('>=')];
  const ranges: Array<{ range: ValueRange; where: RawBuilder<SqlBool> }> = [];
  if (after === undefined) {
    ranges.push({ range: 'values', where: sql<SqlBool>`${column} IS NOT NULL` });
  } else if (after.value !== null) {
    // A comparison with a value is never true for NULL: this range holds no NULLs.
    ranges.push({ range: 'values', where: sql<SqlBool>`${column} ${le} ${after.value} AND (${column} ${lt} ${after.value} OR ${id} ${lt} ${after.id})` });
  }
  if (!valuesOnly) {
    const inNulls = after !== undefined && after.value === null;
    ranges.push({ range: 'nulls', where: inNulls ? sql<SqlBool>`${column} IS NULL AND ${id} ${lt} ${after.id}` : sql<SqlBool>`${column} IS NULL` });
  }
  return ranges;
}

/** Whether the filters already leave out every row without a value for this sort. */
export function filtersNeedValue(key: ValueSortKey, filters: VideoFilters): boolean {
  if (key === 'views') return filters.minViews !== undefined;
  if (key === 'duration') return filters.minDuration !== undefined || filters.maxDuration !== undefined;
  return false;
}

/**
 * Whether a query's page sorted by a value is read by walking the sort index (see the top of
 * this file): reading `rows` rows of the query that way costs about rows * all / queryVideos
 * index entries, reading them all and sorting costs queryVideos rows.
 */
export async function walkSortIndex(db: Kysely<Database>, queryId: number, rows: number): Promise<boolean> {
  const scopes = await db.selectFrom('feed_scopes').select(['scope', 'total']).where('scope', 'in', [queryId, ALL_VIDEOS_SCOPE]).execute();
  const all = Number(scopes.find((s) => s.scope === ALL_VIDEOS_SCOPE)?.total ?? 0);
  const mine = Number(scopes.find((s) => s.scope === queryId)?.total ?? 0);
  return mine * mine >= rows * all;
}

/** The conditions on `videos v` for the detail filters and availability. */
export function detailConditions(filters: VideoFilters): Array<RawBuilder<SqlBool>> {
  const where: Array<RawBuilder<SqlBool>> = [];
  if (filters.includeUnavailable !== true) where.push(sql<SqlBool>`v.available = 1`);
  if (filters.minViews !== undefined) where.push(sql<SqlBool>`v.view_count >= ${filters.minViews}`);
  if (filters.minDuration !== undefined) where.push(sql<SqlBool>`v.duration_s >= ${filters.minDuration}`);
  if (filters.maxDuration !== undefined) where.push(sql<SqlBool>`v.duration_s <= ${filters.maxDuration}`);
  if (filters.live !== undefined) where.push(sql<SqlBool>`v.live_state = ${filters.live}`);
  if (filters.language !== undefined) {
    // Two ranges of the language index; the tag's characters are checked (no LIKE wildcards).
    where.push(
      filters.language.includes('-')
        ? sql<SqlBool>`v.default_language = ${filters.language}`
        : sql<SqlBool>`(v.default_language = ${filters.language} OR v.default_language LIKE ${`${filters.language}-%`})`,
    );
  }
  return where;
}

export function createVideoFinder(db: Kysely<Database>) {
  /** The scope (all videos, a query's, a channel's) and every filter but the keyset. */
  function scoped(filters: VideoFilters, publishedAt: RawBuilder<unknown>, straight = false) {
    return db
      .selectFrom('videos as v')
      .$if(straight, (qb) => qb.modifyFront(sql`STRAIGHT_JOIN`))
      .$if(filters.queryId !== undefined, (qb) =>
        qb.innerJoin('video_queries as vq', (join) =>
          join.onRef('vq.video_pk', '=', 'v.id').on('vq.query_id', '=', filters.queryId!),
        ),
      )
      .select(RENDERED_COLUMNS)
      .$if(filters.channelId !== undefined, (qb) => qb.where('v.channel_id', '=', filters.channelId!))
      .$if(filters.publishedAfter !== undefined, (qb) => qb.where(sql<SqlBool>`${publishedAt} >= ${filters.publishedAfter!}`))
      .$if(filters.publishedBefore !== undefined, (qb) => qb.where(sql<SqlBool>`${publishedAt} <= ${filters.publishedBefore!}`))
      .$call((qb) => {
        const conditions = detailConditions(filters);
        return conditions.length === 0 ? qb : qb.where(sql<SqlBool>`${sql.join(conditions, sql` AND `)}`);
      });
  }

  async function findByPublished(request: FindRequest): Promise<SortedVideo[]> {
    const { filters, sort, after, limit } = request;
    const byQuery = filters.queryId !== undefined;
    // Ordering and keyset columns come from the table whose index serves the order.
    const publishedAt = byQuery ? sql.ref('vq.published_at') : sql.ref('v.published_at');
    const id = byQuery ? sql.ref('vq.video_pk') : sql.ref('v.id');
    const newestFirst = sort.direction === 'desc';
    const position = after === undefined || after.value === null ? undefined : { publishedAt: new Date(after.value), id: after.id };
    const direction = sql.raw(newestFirst ? 'DESC' : 'ASC');
    const rows: RenderedRow[] = await scoped(filters, publishedAt)
      .$if(position !== undefined, (qb) => qb.where(keysetAfter(publishedAt, id, position!, newestFirst)))
      .orderBy(sql`${publishedAt} ${direction}, ${id} ${direction}`)
      .limit(limit)
      .execute();
    const listed = await withFragments(db, rows);
    return listed.map((row) => Object.assign(row, { position: { value: row.published_at.getTime(), id: row.id } }));
  }

  async function findByValue(request: FindRequest & { sort: { key: ValueSortKey } }): Promise<SortedVideo[]> {
    const { filters, sort, after, limit } = request;
    const column = sql.ref(`v.${VALUE_SORT_COLUMNS[sort.key]}`);
    const id = sql.ref('v.id');
    const descending = sort.direction === 'desc';
    const direction = sql.raw(descending ? 'DESC' : 'ASC');
    const straight = filters.queryId !== undefined && (await walkSortIndex(db, filters.queryId, limit));
    const rows: Array<RenderedRow & { sort_value: number | string | null }> = [];
    for (const { range, where } of valueRanges(column, id, after, descending, filtersNeedValue(sort.key, filters))) {
      if (rows.length >= limit) break;
      const order = range === 'values' ? sql`${column} ${direction}, ${id} ${direction}` : sql`${id} ${direction}`;
      rows.push(
        ...(await scoped(filters, sql.ref('v.published_at'), straight)
          .select(sql<number | string | null>`${column}`.as('sort_value'))
          .where(where)
          .orderBy(order)
          .limit(limit - rows.length)
          .execute()),
      );
    }
    const listed = await withFragments(db, rows);
    return listed.map((row) =>
      Object.assign(row, { position: { value: row.sort_value === null ? null : Number(row.sort_value), id: row.id } }),
    );
  }

  /** Up to `limit` videos strictly after `after` in the sort's order. */
  async function find(request: FindRequest): Promise<SortedVideo[]> {
    const { key } = request.sort;
    return key === 'published' ? findByPublished(request) : findByValue({ ...request, sort: { ...request.sort, key } });
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
