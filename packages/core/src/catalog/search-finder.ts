// Finds the videos matching a parsed search, in order, a page at a time.
//
// Why not just the FULLTEXT index. InnoDB's FULLTEXT search costs a few microseconds per
// document holding a word, whatever the LIMIT: a word found in 14% of a million videos takes
// ~500 ms before one row comes back, a word in 200 videos ~3 ms. Searches here are ordered by
// publish time (relevance is "title matches first, then newer first"), so a frequent word is
// found fastest the other way round: read the newest rows in order and stop when the page is
// full. So each page is found like this:
//
//   1. Window: the newest `windowRows` rows of the scope (all videos, a query's or a channel's)
//      are read in publish order from video_search (clustered by publish time, compact,
//      binary-collated) and tested with `LOCATE(' term', text)`. A frequent word fills the page
//      after a few dozen rows; nothing reads more than the window.
//   2. If the page is not full, each word is counted within the window (one more bounded read)
//      and the cheaper way on is chosen from those counts:
//      - reading further back in order, when the matches are dense enough that the rest of the
//        page is near (about a microsecond per row read);
//      - the FULLTEXT index for the rows older than the window, given only the rarest word (it
//        costs in proportion to the documents holding the word it is given, ~3.5 µs each),
//        the other words tested on the rows it returns.
// Both ways test exactly the same thing (search-text.ts stores text so that "a word starts
// with the term" is also the substring " term"), so which one served a row never changes the
// answer; a test runs every search case through the window alone and the index alone.
//
// Sorted by views, likes or duration (video-finder.ts: NULLs last, two ranges), each range is
// searched the same two ways without the hourly counts: the first rows of the range in the
// sort's order (its index) are tested in order, stopping when the page is full; when it is not
// and the window did not reach the end of the range, the rows after it are read on in order
// when the window's matches say the rest of the page is near (a frequent word with a filter
// that keeps a share of the rows: the index would find, fetch and sort every video holding the
// word, ~1.5 s for one in seven of a million), else the FULLTEXT index finds the matches after
// the window's last row, which are sorted (few when the words are rare; frequent words fill the
// page within the window). A row read in value order costs about ten read in publish order
// (a lookup into videos and one into video_search, not a scan of video_search's clustered
// rows), so this window is an eighth of the other: 250 rows, which a word in one video of
// twelve fills a page from, and what a rare word costs before the index is asked (~500 rows
// took ~17 ms of a rare word's ~30 ms on a million videos). The index is given every word: its matches
// are sorted, and all words together are fewer than the rarest alone ("tea how" on 100,000
// videos: 374 against 4,209, 11 ms against 29 ms).
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import { withFragments, type RenderedRow } from './rendered-videos.js';
import type { ListedVideo } from './video-repository.js';
import { ALL_VIDEOS_SCOPE, BUCKET_MS, bucketOf } from './feed-buckets.js';
import {
  VALUE_SORT_COLUMNS,
  detailConditions,
  filtersNeedValue,
  keysetAfter,
  narrowFilterIndex,
  valueRanges,
  walkSortIndex,
  type KeysetPosition,
  type ListSort,
  type SortPosition,
  type ValueRange,
  type ValueSortKey,
  type VideoFilters,
} from './video-finder.js';
import type { ParsedSearch } from './search-text.js';

/** Relevance (title matches first, then newer), or a listing's sort. */
export type SearchSort = 'relevance' | ListSort;

/** Relevance ranks every title match (tier "title") above description-only matches ("body"). */
export type SearchTier = 'title' | 'body' | 'any';

export interface SearchPosition extends SortPosition {
  readonly tier: SearchTier;
}

/** A hit, its tier and its position in the search's order (what a cursor holds). */
export type SearchHit = ListedVideo & { readonly tier: SearchTier; readonly position: SortPosition };

export interface SearchFinderOptions {
  /** Rows read in order before turning to the FULLTEXT index (0: the index alone). */
  readonly windowRows?: number;
}

export const DEFAULT_WINDOW_ROWS = 2000;
/** Reading a row in order costs about a third of what the index spends per matching document. */
const INDEX_COST_PER_DOCUMENT = 3;
/** Reading further back in order stops here; past it the index answers. */
const MAX_EXTENSION_ROWS = 50_000;
/**
 * The same bound for a value sort, in rows read in value order (a window's worth costs ~6 ms
 * on a quiet machine): reading on stays within a page's time budget, which the index misses by
 * far for a frequent word (every video holding it is fetched: a thin filter's gap of 2,000 rows
 * sent page 31 of highlights/minViews/duration to the index and past the 1 s statement timeout
 * on a million videos; with this bound it read on, 12 ms). Each slice is sized from the
 * matches so far, and none at all goes to the index at once, so a rare word is not walked.
 */
const MAX_VALUE_EXTENSION_ROWS = 10_000;
/** The least a value sort reads on by (each slice is two statements). */
const MIN_VALUE_SLICE_ROWS = 50;

// What a hit is read as: its keyset position and its stored JSON (rendered-videos.ts).
const COLUMNS = sql.raw('v.id, v.published_at, v.json, v.json_hash, v.json_version');

interface TierRequest {
  readonly tier: SearchTier;
  readonly search: ParsedSearch;
  readonly filters: VideoFilters;
  readonly newestFirst: boolean;
  readonly after: KeysetPosition | undefined;
  readonly need: number;
}

/** A slice of the scope in publish time, [from, to) with either end open, and how to match in it. */
interface Range {
  readonly from: Date | null;
  readonly to: Date | null;
}

const termIn = (term: string, column: 's.title_text' | 's.body_text') => sql<SqlBool>`LOCATE(${` ${term}`}, ${sql.ref(column)}) > 0`;
const termInEither = (term: string) => sql<SqlBool>`(${termIn(term, 's.title_text')} OR ${termIn(term, 's.body_text')})`;
const and = (parts: ReadonlyArray<RawBuilder<SqlBool>>) => sql<SqlBool>`(${sql.join(parts, sql` AND `)})`;

/** In-order test: every term starts a word where the tier says. */
function rowMatches(tier: SearchTier, terms: readonly string[]): RawBuilder<SqlBool> {
  const inTitle = and(terms.map((t) => termIn(t, 's.title_text')));
  const inEither = and(terms.map(termInEither));
  switch (tier) {
    case 'title':
      return inTitle;
    case 'any':
      return inEither;
    case 'body':
      return sql<SqlBool>`(${inEither} AND NOT ${inTitle})`;
  }
}

/** Rows at or before `end` (inclusive) within a value sort's range: the near side of a window. */
function upTo(column: RawBuilder<unknown>, id: RawBuilder<unknown>, end: SortPosition, descending: boolean, range: ValueRange): RawBuilder<SqlBool> {
  const [gt, ge] = descending ? [sql.raw('>'), sql.raw('>=')] : [sql.raw('<'), sql.raw('<=')];
  if (range === 'nulls' || end.value === null) return sql<SqlBool>`${id} ${ge} ${end.id}`;
  return sql<SqlBool>`${column} ${ge} ${end.value} AND (${column} ${gt} ${end.value} OR ${id} ${ge} ${end.id})`;
}

/** Index test: the FULLTEXT index finds `query` (one term or all); the row test does the rest. */
function indexMatches(tier: SearchTier, query: string, terms: readonly string[] | null): RawBuilder<SqlBool> {
  const index =
    tier === 'title'
      ? sql<SqlBool>`MATCH(s.title_text) AGAINST (${query} IN BOOLEAN MODE)`
      : sql<SqlBool>`MATCH(s.title_text, s.body_text) AGAINST (${query} IN BOOLEAN MODE)`;
  if (terms !== null) return sql<SqlBool>`(${index} AND ${rowMatches(tier, terms)})`;
  if (tier !== 'body') return index;
  return sql<SqlBool>`(${index} AND NOT MATCH(s.title_text) AGAINST (${query} IN BOOLEAN MODE))`;
}

export function createSearchFinder(db: Kysely<Database>, options: SearchFinderOptions = {}) {
  const windowRows = options.windowRows ?? DEFAULT_WINDOW_ROWS;

  /** The scope's tables, its filters, and the publish-time/id columns whose index gives the order. */
  function scope(request: TierRequest, range: Range) {
    const { filters, newestFirst, after } = request;
    const byQuery = filters.queryId !== undefined;
    const byChannel = filters.channelId !== undefined && !byQuery;
    const at = byQuery ? sql.ref('vq.published_at') : byChannel ? sql.ref('v.published_at') : sql.ref('s.published_at');
    const pk = byQuery ? sql.ref('vq.video_pk') : byChannel ? sql.ref('v.id') : sql.ref('s.video_pk');
    const from = byQuery
      ? sql`video_queries vq
          JOIN video_search s ON s.published_at = vq.published_at AND s.video_pk = vq.video_pk
          JOIN videos v ON v.id = vq.video_pk`
      : byChannel
        ? sql`videos v JOIN video_search s ON s.published_at = v.published_at AND s.video_pk = v.id`
        : sql`video_search s JOIN videos v ON v.id = s.video_pk`;
    const where: Array<RawBuilder<SqlBool>> = [];
    if (byQuery) where.push(sql<SqlBool>`vq.query_id = ${filters.queryId}`);
    if (filters.channelId !== undefined) where.push(sql<SqlBool>`v.channel_id = ${filters.channelId}`);
    if (filters.publishedAfter !== undefined) where.push(sql<SqlBool>`${at} >= ${filters.publishedAfter}`);
    if (filters.publishedBefore !== undefined) where.push(sql<SqlBool>`${at} <= ${filters.publishedBefore}`);
    where.push(...detailConditions(filters));
    if (after !== undefined) where.push(keysetAfter(at, pk, after, newestFirst));
    if (range.from !== null) where.push(sql<SqlBool>`${at} >= ${range.from}`);
    if (range.to !== null) where.push(sql<SqlBool>`${at} < ${range.to}`);
    return { at, pk, from, where };
  }

  async function select(request: TierRequest, range: Range, match: RawBuilder<SqlBool>, need: number): Promise<RenderedRow[]> {
    const { at, pk, from, where } = scope(request, range);
    const direction = sql.raw(request.newestFirst ? 'DESC' : 'ASC');
    const result = await sql<RenderedRow>`
      SELECT ${COLUMNS} FROM ${from}
      WHERE ${sql.join([...where, match], sql` AND `)}
      ORDER BY ${at} ${direction}, ${pk} ${direction}
      LIMIT ${need}`.execute(db);
    return result.rows;
  }

  /** How many rows of the range hold each term (where the tier looks). */
  async function countTerms(request: TierRequest, range: Range): Promise<number[]> {
    const { from, where } = scope({ ...request, after: undefined }, range);
    const terms = request.search.terms;
    const counts = terms.map((t, i) =>
      sql`SUM(${request.tier === 'title' ? termIn(t, 's.title_text') : termInEither(t)}) AS ${sql.ref(`c${i}`)}`,
    );
    const result = await sql<Record<string, number | string | null>>`
      SELECT ${sql.join(counts)} FROM ${from} ${where.length > 0 ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``}`.execute(db);
    const row = result.rows[0] ?? {};
    return terms.map((_, i) => Number(row[`c${i}`] ?? 0));
  }

  /**
   * The publish time that bounds the scope's first `rows` rows in the given order (newest: at
   * or after it; oldest: before it), counted from where a date filter starts that order
   * (`publishedBefore` newest first, `publishedAfter` oldest first) so the window lies where
   * the matches can be; null when no more rows than that are left from there; and the scope's
   * size. From the maintained hourly counts (to the hour: the window may hold up to an hour's
   * rows more), or the channel index for a channel.
   */
  async function boundAfterRows(filters: VideoFilters, newestFirst: boolean, rows: number): Promise<{ bound: Date | null; total: number }> {
    const start = newestFirst ? filters.publishedBefore : filters.publishedAfter;
    if (filters.channelId !== undefined && filters.queryId === undefined) {
      let query = db
        .selectFrom('videos')
        .select('published_at')
        .where('channel_id', '=', filters.channelId)
        .orderBy('published_at', newestFirst ? 'desc' : 'asc')
        .orderBy('id', newestFirst ? 'desc' : 'asc')
        .limit(1)
        .offset(rows);
      if (start !== undefined) query = query.where('published_at', newestFirst ? '<=' : '>=', start);
      const row = await query.executeTakeFirst();
      if (row === undefined) return { bound: null, total: rows };
      // A channel's size is not kept: costing the index as if it were ten windows leans
      // towards reading on, which a channel's own index keeps cheap.
      return { bound: newestFirst ? row.published_at : new Date(row.published_at.getTime() + 1), total: rows * 10 };
    }
    // `edge`: the bottom rank where the order starts. Newest first, the rows up to the end of
    // publishedBefore's hour (at least those at or before it); oldest first, the rows before
    // publishedAfter's hour (at most those before it).
    const edge =
      start === undefined
        ? newestFirst
          ? sql`s.total`
          : sql`0`
        : newestFirst
          ? sql`COALESCE((SELECT e.below + e.n FROM feed_buckets e WHERE e.scope = s.scope AND e.bucket_start <= ${start}
                          ORDER BY e.bucket_start DESC LIMIT 1), 0)`
          : sql`COALESCE((SELECT e.below FROM feed_buckets e WHERE e.scope = s.scope AND e.bucket_start >= ${new Date(bucketOf(start))}
                          ORDER BY e.bucket_start ASC LIMIT 1), s.total)`;
    const located = await sql<{ bucket_start: Date | null; total: number | string; edge: number | string }>`
      SELECT (SELECT b.bucket_start FROM feed_buckets b
              WHERE b.scope = x.scope AND b.below <= ${newestFirst ? sql`CAST(x.edge AS SIGNED) - ${rows}` : sql`x.edge + ${rows - 1}`}
              ORDER BY b.below DESC LIMIT 1) AS bucket_start,
             x.total, x.edge
      FROM (SELECT s.scope, s.total, ${edge} AS edge FROM feed_scopes s WHERE s.scope = ${filters.queryId ?? ALL_VIDEOS_SCOPE}) x`.execute(db);
    const row = located.rows[0];
    const total = Number(row?.total ?? 0);
    const left = newestFirst ? Number(row?.edge ?? 0) : total - Number(row?.edge ?? 0);
    if (row === undefined || row.bucket_start === null || left <= rows) return { bound: null, total };
    return { bound: newestFirst ? row.bucket_start : new Date(row.bucket_start.getTime() + BUCKET_MS), total };
  }

  /** The range on the far side of `bound` (older when newest-first), and the near side. */
  const beyond = (bound: Date, newestFirst: boolean): Range => (newestFirst ? { from: null, to: bound } : { from: bound, to: null });
  const within = (bound: Date, newestFirst: boolean): Range => (newestFirst ? { from: bound, to: null } : { from: null, to: bound });
  const between = (near: Date, far: Date, newestFirst: boolean): Range =>
    newestFirst ? { from: far, to: near } : { from: near, to: far };

  /** One tier in order after `after`, as described at the top of this file. */
  async function scanTier(request: TierRequest, window: { bound: Date | null; total: number }): Promise<RenderedRow[]> {
    const { tier, search, newestFirst, after, need } = request;
    if (windowRows === 0) return select(request, { from: null, to: null }, indexMatches(tier, search.booleanQuery, null), need);
    const { bound, total } = window;
    if (bound === null) return select(request, { from: null, to: null }, rowMatches(tier, search.terms), need);
    const pastWindow = after !== undefined && (newestFirst ? after.publishedAt < bound : after.publishedAt >= bound);
    const hits = pastWindow ? [] : await select(request, within(bound, newestFirst), rowMatches(tier, search.terms), need);
    if (hits.length >= need) return hits;

    // Go on from what the window held. Reading further in order is taken without counting
    // when it costs no more than the window did; otherwise the words are counted first.
    const missing = need - hits.length;
    const extension = hits.length > 0 && !pastWindow ? Math.ceil((1.5 * missing * windowRows) / hits.length) : Infinity;
    let counts: number[] | null = null;
    let readOn = extension <= windowRows;
    // Counting can only change the decision when reading on is possible at all.
    if (!readOn && extension <= MAX_EXTENSION_ROWS) {
      counts = await countTerms(request, within(bound, newestFirst));
      const indexDocuments = ((Math.min(...counts) + 1) / windowRows) * total;
      readOn = extension <= MAX_EXTENSION_ROWS && extension < indexDocuments * INDEX_COST_PER_DOCUMENT;
    }
    let rest: Range = beyond(bound, newestFirst);
    if (readOn) {
      const far = (await boundAfterRows(request.filters, newestFirst, windowRows + extension)).bound;
      const range = far === null ? beyond(bound, newestFirst) : between(bound, far, newestFirst);
      hits.push(...(await select(request, range, rowMatches(tier, search.terms), missing)));
      if (hits.length >= need || far === null) return hits;
      rest = beyond(far, newestFirst);
    }
    // The index is given the rarest word (a single word needs no counting).
    if (search.terms.length > 1) counts ??= await countTerms(request, within(bound, newestFirst));
    const rarest = counts === null ? 0 : counts.indexOf(Math.min(...counts));
    const others = search.terms.length > 1 ? search.terms : null;
    hits.push(...(await select(request, rest, indexMatches(tier, `+${search.terms[rarest]!}*`, others), need - hits.length)));
    return hits;
  }

  /** A value sort's scope: the tables without video_search, and every filter. */
  function valueScope(filters: VideoFilters, straight: boolean) {
    const from =
      filters.queryId === undefined
        ? sql`videos v`
        : sql`videos v ${sql.raw(straight ? 'STRAIGHT_JOIN' : 'JOIN')} video_queries vq ON vq.video_pk = v.id AND vq.query_id = ${filters.queryId}`;
    const where: Array<RawBuilder<SqlBool>> = [...detailConditions(filters)];
    if (filters.channelId !== undefined) where.push(sql<SqlBool>`v.channel_id = ${filters.channelId}`);
    if (filters.publishedAfter !== undefined) where.push(sql<SqlBool>`v.published_at >= ${filters.publishedAfter}`);
    if (filters.publishedBefore !== undefined) where.push(sql<SqlBool>`v.published_at <= ${filters.publishedBefore}`);
    return { from, where };
  }

  /** Hits sorted by a nullable value, as described at the top of this file. */
  async function findByValue(
    search: ParsedSearch,
    filters: VideoFilters,
    sort: ListSort & { key: ValueSortKey },
    after: SortPosition | undefined,
    limit: number,
  ): Promise<Array<RenderedRow & { sort_value: number | string | null }>> {
    const column = sql.ref(`v.${VALUE_SORT_COLUMNS[sort.key]}`);
    const id = sql.ref('v.id');
    const descending = sort.direction === 'desc';
    const direction = sql.raw(descending ? 'DESC' : 'ASC');
    const valuesOnly = filtersNeedValue(sort.key, filters);
    // The window walks the sort index like a listing does (video-finder.ts walkSortIndex).
    const valueWindow = Math.ceil(windowRows / 8);
    const straight = filters.queryId !== undefined && valueWindow > 0 && (await walkSortIndex(db, filters.queryId, valueWindow));
    const { from, where } = valueScope(filters, straight);
    const scopeWhere = filters.channelId === undefined ? [] : [sql<SqlBool>`v.channel_id = ${filters.channelId}`];
    const hits: Array<RenderedRow & { sort_value: number | string | null }> = [];
    // A rare live state or language (video-finder.ts narrowFilterIndex): its few videos, each
    // tested and sorted, cost their number; the window would hold none of them and the index
    // would fetch every video holding a frequent word.
    const narrow = filters.queryId === undefined && valueWindow > 0 ? await narrowFilterIndex(db, filters, limit) : null;
    if (narrow !== null) {
      for (const { range, where: rangeWhere } of valueRanges(column, id, after, descending, valuesOnly)) {
        if (hits.length >= limit) break;
        const order = range === 'values' ? sql`${column} ${direction}, ${id} ${direction}` : sql`${id} ${direction}`;
        const found = await sql<RenderedRow & { sort_value: number | string | null }>`
          SELECT ${COLUMNS}, ${column} AS sort_value
          FROM videos v FORCE INDEX (${sql.raw(narrow)}) JOIN video_search s ON s.video_pk = v.id
          WHERE ${sql.join([...where, rangeWhere, rowMatches('any', search.terms)], sql` AND `)}
          ORDER BY ${order} LIMIT ${limit - hits.length}`.execute(db);
        hits.push(...found.rows);
      }
      return hits;
    }
    /** The range's rows after `start` (all when undefined), as a condition; undefined when none are left. */
    const rangeAfter = (start: SortPosition | undefined, range: ValueRange, whole: RawBuilder<SqlBool>) =>
      start === undefined ? whole : valueRanges(column, id, start, descending, valuesOnly).find((r) => r.range === range)?.where;
    for (const { range, where: rangeWhere } of valueRanges(column, id, after, descending, valuesOnly)) {
      if (hits.length >= limit) break;
      const order = range === 'values' ? sql`${column} ${direction}, ${id} ${direction}` : sql`${id} ${direction}`;
      /**
       * The rows of the range from `start` to the one `rows` rows on, found on the sort index alone
       * (the detail filters and publish-time bounds, which would read each row, only make the
       * slice hold fewer matches; it is a split point, not a filter): undefined when the range
       * ends sooner. Then the slice read in order, each row tested, stopping at `need` hits.
       */
      const slice = async (start: RawBuilder<SqlBool>, rows: number, need: number) => {
        const end = await sql<{ sort_value: number | string | null; id: number }>`
          SELECT ${column} AS sort_value, v.id FROM ${from} WHERE ${sql.join([...scopeWhere, start], sql` AND `)}
          ORDER BY ${order} LIMIT 1 OFFSET ${rows - 1}`.execute(db);
        const last = end.rows[0];
        const position: SortPosition | undefined =
          last === undefined ? undefined : { value: last.sort_value === null ? null : Number(last.sort_value), id: Number(last.id) };
        const found = await sql<RenderedRow & { sort_value: number | string | null }>`
          SELECT ${COLUMNS}, ${column} AS sort_value
          FROM ${from} JOIN video_search s ON s.video_pk = v.id
          WHERE ${sql.join([...where, start, ...(position === undefined ? [] : [upTo(column, id, position, descending, range)]), rowMatches('any', search.terms)], sql` AND `)}
          ORDER BY ${order} LIMIT ${need}`.execute(db);
        return { position, rows: found.rows };
      };
      let rest: RawBuilder<SqlBool> | undefined = rangeWhere;
      if (valueWindow > 0) {
        const window = await slice(rangeWhere, valueWindow, limit - hits.length);
        hits.push(...window.rows);
        // Full, or the window held the whole range: nothing more here.
        if (hits.length >= limit || window.position === undefined) continue;
        rest = rangeAfter(window.position, range, rangeWhere);
        // Read on in order while the matches so far put the rest of the page near (as in
        // scanTier), again from what each slice held: an estimate from a few matches falls
        // short now and then, and the index is no place for the last two rows of a page.
        let [read, found, extended] = [valueWindow, window.rows.length, 0];
        let ended = false;
        while (rest !== undefined && !ended) {
          const missing = limit - hits.length;
          const extension = found > 0 ? Math.max(MIN_VALUE_SLICE_ROWS, Math.ceil((1.5 * missing * read) / found)) : Infinity;
          if (extended + extension > MAX_VALUE_EXTENSION_ROWS) break;
          const more = await slice(rest, extension, missing);
          hits.push(...more.rows);
          [read, found, extended] = [read + extension, found + more.rows.length, extended + extension];
          ended = hits.length >= limit || more.position === undefined;
          if (!ended) rest = rangeAfter(more.position, range, rangeWhere);
        }
        if (ended || rest === undefined) continue;
      }
      const indexed = await sql<RenderedRow & { sort_value: number | string | null }>`
        SELECT ${COLUMNS}, ${column} AS sort_value
        FROM ${from} JOIN video_search s ON s.video_pk = v.id
        WHERE ${sql.join([...where, rest, indexMatches('any', search.booleanQuery, null)], sql` AND `)}
        ORDER BY ${order} LIMIT ${limit - hits.length}`.execute(db);
      hits.push(...indexed.rows);
    }
    return hits;
  }

  /** Up to `limit` hits in order, after `after` (a position returned with an earlier hit). */
  async function find(request: {
    search: ParsedSearch;
    filters: VideoFilters;
    sort: SearchSort;
    after?: SearchPosition | undefined;
    limit: number;
  }): Promise<SearchHit[]> {
    const { sort } = request;
    if (sort !== 'relevance' && sort.key !== 'published') {
      const rows = await findByValue(request.search, request.filters, { ...sort, key: sort.key }, request.after, request.limit);
      const listed = await withFragments(db, rows);
      return listed.map((row) =>
        Object.assign(row, {
          tier: 'any' as const,
          position: { value: row.sort_value === null ? null : Number(row.sort_value), id: row.id },
        }),
      );
    }
    const tiers: SearchTier[] = sort === 'relevance' ? ['title', 'body'] : ['any'];
    const start = request.after === undefined ? 0 : Math.max(0, tiers.indexOf(request.after.tier));
    const newestFirst = sort === 'relevance' || sort.direction === 'desc';
    const after: KeysetPosition | undefined =
      request.after === undefined || request.after.value === null ? undefined : { publishedAt: new Date(request.after.value), id: request.after.id };
    const window = windowRows === 0 ? { bound: null, total: 0 } : await boundAfterRows(request.filters, newestFirst, windowRows);
    const hits: Array<RenderedRow & { tier: SearchTier }> = [];
    for (let i = start; i < tiers.length && hits.length < request.limit; i++) {
      const tier = tiers[i]!;
      const rows = await scanTier(
        {
          tier,
          search: request.search,
          filters: request.filters,
          newestFirst,
          after: i === start ? after : undefined,
          need: request.limit - hits.length,
        },
        window,
      );
      for (const row of rows) hits.push(Object.assign(row, { tier }));
    }
    const listed = await withFragments(db, hits);
    return listed.map((row) => Object.assign(row, { position: { value: row.published_at.getTime(), id: row.id } }));
  }

  return { find };
}

export type SearchFinder = ReturnType<typeof createSearchFinder>;
