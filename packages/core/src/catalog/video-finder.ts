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
//
// A value sort with a rare live state or language is the same choice: walking the sort index
// reads about limit / share rows, and more when the filter's videos sit low in the order (live
// streams with few views): a few hundred thousand rows for live=live sorted by likes on a
// million videos. The filter's own index (live state or language, then publish time) reaches
// its videos directly, and sorting them costs their number. narrowFilterIndex counts the
// filter's videos on that index, stopping at a bound, and the page is read through it (FORCE
// INDEX) when sorting them costs less than the walk is expected to.
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import { PREPARED } from '../platform/db/bounded-pool.js';
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

/** The indexes that reach a filter's videos directly (20261211100000_listing_sort_indexes.ts). */
export type FilterIndex = 'videos_live_feed_idx' | 'videos_language_feed_idx';

/** Videos counted on a filter's index at most: past this, reading them all never pays. */
export const NARROW_COUNT_CAP = 10_000;
/** A row read walking a sort index (an index entry and its row) against one read to be sorted. */
const WALK_COST_PER_SORTED_ROW = 3;

/**
 * The filter index a value-sorted page of all videos (or a channel's) is read through, or null
 * to walk the sort index (see the top of this file). Reading the filter's `n` videos and
 * sorting them costs about n rows; the walk about WALK_COST_PER_SORTED_ROW * rows * total / n
 * (uniform spread). So the filter index is taken when n * n is below
 * WALK_COST_PER_SORTED_ROW * rows * total: under ~8,000 videos for a page of 21 out of a
 * million. One statement: the kept total and a bounded count per filter.
 */
export async function narrowFilterIndex(db: Kysely<Database>, filters: VideoFilters, rows: number): Promise<FilterIndex | null> {
  const candidates: Array<{ index: FilterIndex; where: RawBuilder<SqlBool> }> = [];
  if (filters.live !== undefined) candidates.push({ index: 'videos_live_feed_idx', where: sql<SqlBool>`live_state = ${filters.live}` });
  if (filters.language !== undefined) candidates.push({ index: 'videos_language_feed_idx', where: languageCondition(sql.ref('default_language'), filters.language) });
  if (candidates.length === 0) return null;
  const counts = candidates.map(
    ({ where }, i) => sql`(SELECT COUNT(*) FROM (SELECT 1 FROM videos WHERE ${where} LIMIT ${NARROW_COUNT_CAP}) AS ${sql.ref(`f${i}`)}) AS ${sql.ref(`n${i}`)}`,
  );
  const result = await sql<Record<string, number | string | null>>`
    SELECT (SELECT total FROM feed_scopes WHERE scope = ${ALL_VIDEOS_SCOPE}) AS total, ${sql.join(counts)}`.execute(db);
  const row = result.rows[0] ?? {};
  const total = Number(row.total ?? 0);
  let best: { index: FilterIndex; n: number } | null = null;
  for (const [i, { index }] of candidates.entries()) {
    const n = Number(row[`n${i}`] ?? NARROW_COUNT_CAP);
    if (n < NARROW_COUNT_CAP && n * n < WALK_COST_PER_SORTED_ROW * rows * total && (best === null || n < best.n)) best = { index, n };
  }
  return best?.index ?? null;
}

/** A BCP 47 tag, or a bare language and its regional variants: two ranges of the language index. */
function languageCondition(column: RawBuilder<unknown>, language: string): RawBuilder<SqlBool> {
  // The tag's characters are checked by the route (no LIKE wildcards).
  return language.includes('-') ? sql<SqlBool>`${column} = ${language}` : sql<SqlBool>`(${column} = ${language} OR ${column} LIKE ${`${language}-%`})`;
}

/** The conditions on `videos v` for the detail filters and availability. */
export function detailConditions(filters: VideoFilters): Array<RawBuilder<SqlBool>> {
  const where: Array<RawBuilder<SqlBool>> = [];
  if (filters.includeUnavailable !== true) where.push(sql<SqlBool>`v.available = 1`);
  if (filters.minViews !== undefined) where.push(sql<SqlBool>`v.view_count >= ${filters.minViews}`);
  if (filters.minDuration !== undefined) where.push(sql<SqlBool>`v.duration_s >= ${filters.minDuration}`);
  if (filters.maxDuration !== undefined) where.push(sql<SqlBool>`v.duration_s <= ${filters.maxDuration}`);
  if (filters.live !== undefined) where.push(sql<SqlBool>`v.live_state = ${filters.live}`);
  if (filters.language !== undefined) where.push(languageCondition(sql.ref('v.default_language'), filters.language));
  return where;
}

/** Whether the filters select every listed video, bounded by publish time at most (feed_json's rows). */
function listsAllListed(filters: VideoFilters): boolean {
  return (
    filters.queryId === undefined &&
    filters.channelId === undefined &&
    filters.includeUnavailable !== true &&
    detailConditions({ ...filters, includeUnavailable: true }).length === 0
  );
}

export function createVideoFinder(db: Kysely<Database>) {
  /**
   * The scope (all videos, a query's, a channel's) and every filter but the keyset; `hint`:
   * how `videos v` is read (FORCE or IGNORE INDEX, written after the alias as MySQL wants it;
   * Kysely has no index hints, so the hinted table stands in for `videos as v`).
   */
  function scoped(filters: VideoFilters, publishedAt: RawBuilder<unknown>, straight = false, hint: RawBuilder<unknown> | null = null) {
    const table = hint === null ? 'videos as v' : (sql`videos`.as(sql`v ${hint}`) as unknown as 'videos as v');
    return db
      .selectFrom(table)
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

  /**
   * Every listed video by publish time, in feed order or reversed: a range of `feed_json`
   * (migration 20261213090000_feed_json), whose rows are the listed videos' JSON clustered in
   * that order, as a prepared statement (at most 8 texts: either order, with or without the
   * keyset and each publish-time bound).
   */
  async function findListedByPublished(request: FindRequest): Promise<SortedVideo[]> {
    const { filters, sort, after, limit } = request;
    const newestFirst = sort.direction === 'desc';
    const direction = sql.raw(newestFirst ? 'DESC' : 'ASC');
    const publishedAt = sql.ref('published_at');
    const where: Array<RawBuilder<SqlBool>> = [];
    // The tie-break on id is written as an expression (`id + 0`) so that it is checked on the
    // rows rather than analysed as a range of its own: the range is then published_at's alone
    // (the same rows, one range), where MariaDB otherwise estimates three ranges (and their
    // union) for every page, twice. Measured on 100,000 rows, a 100-row page 50,000 deep:
    // MariaDB CPU ~144 -> ~135 µs per execution (a first page, no range: ~109).
    if (after !== undefined && after.value !== null) where.push(keysetAfter(publishedAt, sql`id + 0`, { publishedAt: new Date(after.value), id: after.id }, newestFirst));
    if (filters.publishedAfter !== undefined) where.push(sql<SqlBool>`published_at >= ${filters.publishedAfter}`);
    if (filters.publishedBefore !== undefined) where.push(sql<SqlBool>`published_at <= ${filters.publishedBefore}`);
    const result = await sql<RenderedRow>`${sql.raw(PREPARED)}SELECT id, published_at, json, json_hash, json_version FROM feed_json
      ${where.length === 0 ? sql`` : sql`WHERE ${sql.join(where, sql` AND `)}`}
      ORDER BY published_at ${direction}, id ${direction} LIMIT ${limit}`.execute(db);
    const listed = await withFragments(db, result.rows);
    return listed.map((row) => Object.assign(row, { position: { value: row.published_at.getTime(), id: Number(row.id) } }));
  }

  async function findByPublished(request: FindRequest): Promise<SortedVideo[]> {
    const { filters, sort, after, limit } = request;
    if (listsAllListed(filters)) return findListedByPublished(request);
    const byQuery = filters.queryId !== undefined;
    // Ordering and keyset columns come from the table whose index serves the order.
    const publishedAt = byQuery ? sql.ref('vq.published_at') : sql.ref('v.published_at');
    const id = byQuery ? sql.ref('vq.video_pk') : sql.ref('v.id');
    const newestFirst = sort.direction === 'desc';
    const position = after === undefined || after.value === null ? undefined : { publishedAt: new Date(after.value), id: after.id };
    const direction = sql.raw(newestFirst ? 'DESC' : 'ASC');
    // The feed indexes that lead with `available` (for /getData's offsets) would be read as a
    // ref on available = 1, scanning from the newest row down to the cursor (~40 ms 500,000
    // rows deep) instead of seeking it: a keyset page reads (published_at, id) as before.
    const rows: RenderedRow[] = await scoped(filters, publishedAt, false, byQuery ? null : sql`IGNORE INDEX (videos_listed_feed_idx, videos_channel_listed_idx)`)
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
    const index = filters.queryId === undefined ? await narrowFilterIndex(db, filters, limit) : null;
    const rows: Array<RenderedRow & { sort_value: number | string | null }> = [];
    for (const { range, where } of valueRanges(column, id, after, descending, filtersNeedValue(sort.key, filters))) {
      if (rows.length >= limit) break;
      const order = range === 'values' ? sql`${column} ${direction}, ${id} ${direction}` : sql`${id} ${direction}`;
      rows.push(
        ...(await scoped(filters, sql.ref('v.published_at'), straight, index === null ? null : sql`FORCE INDEX (${sql.raw(index)})`)
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
