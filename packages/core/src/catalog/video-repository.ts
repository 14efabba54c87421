// Queries on the videos table and its links to search queries. No business rules here: the
// fetch and feed services decide what to store and what to show.
import { randomInt } from 'node:crypto';
import { sql, type Kysely, type SqlBool, type Transaction } from 'kysely';
import type { Clock } from '../platform/clock.js';
import type { Database, VideoRow } from '../platform/db/schema.js';
import { withDeadlockRetry } from '../platform/db/deadlock-retry.js';
import { PREPARED } from '../platform/db/bounded-pool.js';
import { ALL_VIDEOS_SCOPE, BUCKET_MS, BucketDeltas, applyBucketDeltas, channelScope, followedChannelOf, lockScope, rebuildFeedCounts } from './feed-buckets.js';
import { MAX_BODY_TEXT, MAX_TITLE_TEXT, searchText } from './search-text.js';
import type { VideoInput } from './video.js';
import { NOT_ENRICHED, VIDEO_JSON_VERSION, fragmentHash, serializeVideo } from './video-json.js';
import { readFeedLayout, type LocatedOffset } from './feed-layout.js';
import { ALL_FEED, channelFeed, queryFeed } from './feed-keys.js';
import { RENDERED_COLUMNS, SOURCE_COLUMNS, renderJson, storeJson, withFragments, type ListedRow, type RenderedRow } from './rendered-videos.js';

export interface UpsertResult {
  /** Videos stored for the first time. */
  readonly inserted: number;
  /** Videos that were already stored and changed (title, description, ...). */
  readonly updated: number;
  /** Links to the search query created by this call. */
  readonly linked: number;
  /** The newly stored videos' ids, in the batch's order. */
  readonly insertedVideoIds: readonly string[];
  /** True when the feed counts were found inconsistent and should be rebuilt. */
  readonly countsDrifted: boolean;
  /**
   * The feed scopes of followed channels that list a video of the batch (page 1 of each may
   * show a changed or new video); empty when nothing was written.
   */
  readonly channelScopes: readonly number[];
}

/** A listed video: its keyset position and its current JSON (rendered-videos.ts). */
export type ListedVideo = ListedRow;

export interface FeedSlice {
  readonly total: number;
  readonly videos: readonly ListedVideo[];
}

export interface VideoRepositoryDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
}

export type VideoRepository = ReturnType<typeof createVideoRepository>;

const VIDEO_COLUMNS = [
  'videos.id',
  'videos.video_id',
  'videos.title',
  'videos.description',
  'videos.channel_id',
  'videos.channel_title',
  'videos.published_at',
  'videos.thumbnail_default',
  'videos.thumbnail_medium',
  'videos.thumbnail_high',
  'videos.live_broadcast_content',
  'videos.first_seen_at',
  'videos.updated_at',
  'videos.ingest_token',
  'videos.json',
  'videos.json_hash',
  'videos.json_version',
] as const;

/** A stored video as the repository reads it back (the search-snippet columns and its JSON). */
export type StoredVideoRow = Pick<VideoRow, (typeof VIDEO_COLUMNS)[number] extends `videos.${infer Column}` ? Column & keyof VideoRow : never>;

// 48 random bits: unique per upsert for all practical purposes, and exact in a JS number.
const newIngestToken = (): number => randomInt(1, 2 ** 48 - 1);

// Text is stored well-formed: a lone surrogate could not be stored as UTF-8 anyway (it would
// come back as U+FFFD), and the JSON rendered here must be what the stored columns render to.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const text = (value: string): string => value.replace(LONE_SURROGATE, '\uFFFD');
const optionalText = (value: string | null): string | null => (value === null ? null : text(value));

function toRow(video: VideoInput, now: Date, token: number) {
  const row = {
    video_id: video.videoId,
    title: text(video.title),
    description: text(video.description),
    channel_id: video.channelId,
    channel_title: text(video.channelTitle),
    published_at: video.publishedAt,
    thumbnail_default: optionalText(video.thumbnails.default),
    thumbnail_medium: optionalText(video.thumbnails.medium),
    thumbnail_high: optionalText(video.thumbnails.high),
    live_broadcast_content: video.liveBroadcastContent,
    first_seen_at: now,
    updated_at: now,
    ingest_token: token,
  };
  // Rendered once here, from the very values stored: listings serve these bytes as they are.
  // A new row has no details yet; a stored one that has keeps its JSON (UPSERT_ASSIGNMENTS)
  // and is rendered again with them (renderEnriched).
  const json = serializeVideo({ ...row, ...NOT_ENRICHED });
  return { ...row, json, json_hash: fragmentHash(json), json_version: VIDEO_JSON_VERSION };
}

// Assignments run left to right and later ones see earlier results, so `updated_at` goes first
// and compares the stored values with the incoming ones before they are overwritten.
const incoming = <T>(column: string) => sql<T>`VALUES(${sql.ref(column)})`;

/** The stored row holds nothing but what a search snippet tells (the columns NOT_ENRICHED lists). */
const SNIPPET_ONLY = sql<boolean>`(details_at IS NULL AND available = 1)`;

const UPSERT_ASSIGNMENTS = {
  updated_at: sql<Date>`IF(
    title <=> VALUES(title) AND description <=> VALUES(description) AND channel_id <=> VALUES(channel_id)
    AND channel_title <=> VALUES(channel_title) AND published_at <=> VALUES(published_at)
    AND thumbnail_default <=> VALUES(thumbnail_default) AND thumbnail_medium <=> VALUES(thumbnail_medium)
    AND thumbnail_high <=> VALUES(thumbnail_high) AND live_broadcast_content <=> VALUES(live_broadcast_content),
    updated_at, VALUES(updated_at))`,
  title: incoming<string>('title'),
  description: incoming<string>('description'),
  channel_id: incoming<string>('channel_id'),
  channel_title: incoming<string>('channel_title'),
  published_at: incoming<Date>('published_at'),
  thumbnail_default: incoming<string | null>('thumbnail_default'),
  thumbnail_medium: incoming<string | null>('thumbnail_medium'),
  thumbnail_high: incoming<string | null>('thumbnail_high'),
  live_broadcast_content: incoming<string>('live_broadcast_content'),
  // The incoming JSON is rendered from the snippet alone: it replaces only a JSON that holds no
  // more than that. A row videos.list has told of keeps its own, rendered again afterwards in
  // the same transaction (renderEnriched), so it never loses its details, even for a moment.
  json: sql<string>`IF(${SNIPPET_ONLY}, VALUES(json), json)`,
  json_hash: sql<Buffer>`IF(${SNIPPET_ONLY}, VALUES(json_hash), json_hash)`,
  json_version: sql<number>`IF(${SNIPPET_ONLY}, VALUES(json_version), json_version)`,
};

/**
 * Stored rows the incoming snippet-only JSON would not describe whole: videos.list has told of
 * them, or found them gone (a video never enriched can be). Their JSON is rendered again from
 * all their columns, in one read and one write, in the transaction that wrote them (their rows
 * are locked by that write).
 */
async function renderEnriched(trx: Kysely<Database>, rows: ReadonlyArray<{ id: number; details_at: Date | null; available: number }>): Promise<void> {
  const ids = rows.filter((row) => row.details_at !== null || row.available === 0).map((row) => row.id);
  if (ids.length === 0) return;
  const sources = await trx.selectFrom('videos').select(SOURCE_COLUMNS).where('id', 'in', ids).execute();
  await storeJson(trx, renderJson(sources));
}

/** Writes the search rows of stored videos (same transaction as the videos). */
/**
 * Writes (or rewrites) videos' search rows: the title, and the whole description once the
 * enrichment has read it (`description_full`), else the snippet's. Both cut to the columns'
 * length after normalising (search-text.ts).
 */
export async function writeSearchRows(
  trx: Kysely<Database>,
  rows: ReadonlyArray<{ id: number; published_at: Date; video: Pick<VideoInput, 'title' | 'description'> }>,
): Promise<void> {
  if (rows.length === 0) return;
  await trx
    .insertInto('video_search')
    .values(
      rows.map(({ id, published_at, video }) => ({
        video_pk: id,
        published_at,
        title_text: searchText(video.title, MAX_TITLE_TEXT),
        body_text: searchText(video.description, MAX_BODY_TEXT),
      })),
    )
    .onDuplicateKeyUpdate({
      published_at: incoming<Date>('published_at'),
      title_text: incoming<string>('title_text'),
      body_text: incoming<string>('body_text'),
    })
    .execute();
}

/** One entry per video id (the last one wins), sorted by id so row locks are taken in one order. */
function normaliseBatch(videos: readonly VideoInput[]): VideoInput[] {
  const byId = new Map<string, VideoInput>();
  for (const video of videos) byId.set(video.videoId, video);
  return [...byId.values()].sort((a, b) => (a.videoId < b.videoId ? -1 : a.videoId > b.videoId ? 1 : 0));
}

/** Newest first, ties broken by id, newest id first: the feed's order. */
const newestFirst = (a: RenderedRow, b: RenderedRow): number => b.published_at.getTime() - a.published_at.getTime() || b.id - a.id;

/** A followed channel's YouTube id, as a subquery (a constant for the optimiser: one row by key). */
const channelOfFollowed = (db: Kysely<Database>, followedChannelId: number) =>
  db.selectFrom('followed_channels').select('channel_id').where('id', '=', followedChannelId);

/**
 * Newest-first listed (available) rows of a scope published before `end` (or all), after
 * skipping `skip`. All videos: a range of `feed_json`, already in order. A query's or a
 * channel's: the skipping is done on the feed index alone (the ids of the page are found
 * there, a "deferred join"), so only the page's own rows are read from the table, however many are skipped; the
 * page is put in order here (a hundred rows) rather than by MySQL, which would sort the JSON
 * through a temporary table.
 */
async function selectNewestBefore(
  db: Kysely<Database>,
  scope: number,
  end: Date | null,
  skip: number,
  limit: number,
): Promise<ListedVideo[]> {
  if (scope === ALL_VIDEOS_SCOPE) {
    // The listed videos' JSON in feed order (migration 20261213090000_feed_json): the page is
    // one range of adjacent rows of its clustered index, the skip included; no lookups.
    // A prepared statement of fixed text (two texts in all): the API's most frequent statement.
    const before = end === null ? sql`` : sql`WHERE published_at < ${end}`;
    const result = await sql<RenderedRow>`${sql.raw(PREPARED)}SELECT id, published_at, json, json_hash, json_version FROM feed_json ${before}
      ORDER BY published_at DESC, id DESC LIMIT ${limit} OFFSET ${skip}`.execute(db);
    return withFragments(db, result.rows);
  }
  const followed = followedChannelOf(scope);
  const ids =
    followed !== null
      ? db
          .selectFrom('videos')
          .select('id')
          .where('channel_id', '=', channelOfFollowed(db, followed))
          .where('available', '=', 1)
          .$if(end !== null, (qb) => qb.where('published_at', '<', end!))
          .orderBy('published_at', 'desc')
          .orderBy('id', 'desc')
          .limit(limit)
          .offset(skip)
      : db
          .selectFrom('video_queries')
          .select('video_pk as id')
          .where('query_id', '=', scope)
          .where('available', '=', 1)
          .$if(end !== null, (qb) => qb.where('published_at', '<', end!))
          .orderBy('published_at', 'desc')
          .orderBy('video_pk', 'desc')
          .limit(limit)
          .offset(skip);
  const rows: RenderedRow[] = await db.selectFrom(ids.as('page')).innerJoin('videos as v', 'v.id', 'page.id').select(RENDERED_COLUMNS).execute();
  return withFragments(db, rows.sort(newestFirst));
}

export function createVideoRepository({ db, clock }: VideoRepositoryDeps) {
  /**
   * Stores a batch in one transaction: one multi-row INSERT ... ON DUPLICATE KEY UPDATE for the
   * videos, one for the links to `queryId`, and the feed counts. Idempotent: the same batch
   * twice leaves each video once, with the newer field values. Safe under concurrent writers
   * (READ COMMITTED, locks in a fixed order, retried on deadlock).
   */
  async function upsertBatch(videos: readonly VideoInput[], options: { queryId?: number } = {}): Promise<UpsertResult> {
    const batch = normaliseBatch(videos);
    if (batch.length === 0) {
      return { inserted: 0, updated: 0, linked: 0, insertedVideoIds: [], countsDrifted: false, channelScopes: [] };
    }
    return withDeadlockRetry(() =>
      db
        .transaction()
        .setIsolationLevel('read committed')
        .execute((trx) => upsertInTransaction(trx, batch, options.queryId)),
    );
  }

  async function upsertInTransaction(
    trx: Transaction<Database>,
    batch: readonly VideoInput[],
    queryId: number | undefined,
  ): Promise<UpsertResult> {
    const now = clock.now();
    const token = newIngestToken();
    const ids = batch.map((v) => v.videoId);

    // Writers take scope 0's lock first and hold it to the commit, so they store one at a
    // time: a video another writer is inserting cannot appear between the read below and the
    // upsert (READ COMMITTED takes no gap locks, and its move between hours would go
    // uncounted), and a channel followed meanwhile is seen (feed-buckets.ts). Readers take no
    // locks and are not held up.
    await lockScope(trx, ALL_VIDEOS_SCOPE);

    // Lock the rows that already exist and remember their publish times: a changed publish
    // time moves the video between hourly buckets.
    const before = await trx
      .selectFrom('videos')
      .select(['id', 'video_id', 'published_at'])
      .where('video_id', 'in', ids)
      .forUpdate()
      .execute();
    const previous = new Map(before.map((row) => [row.video_id, row]));

    const written = await trx
      .insertInto('videos')
      .values(batch.map((video) => toRow(video, now, token)))
      .onDuplicateKeyUpdate(UPSERT_ASSIGNMENTS)
      .executeTakeFirst();

    const stored = await trx
      .selectFrom('videos')
      .select(['id', 'video_id', 'channel_id', 'published_at', 'ingest_token', 'details_at', 'available', 'description_full'])
      .where('video_id', 'in', ids)
      .execute();
    await renderEnriched(trx, stored);
    const storedById = new Map(stored.map((row) => [row.video_id, row]));
    // The stored text (toRow), so the search rows and the JSON come from the same values; the
    // whole description the enrichment read is searched rather than the snippet's.
    const inputById = new Map(batch.map((video) => [video.videoId, { title: text(video.title), description: text(video.description) }]));
    await writeSearchRows(
      trx,
      stored.map((row) => {
        const input = inputById.get(row.video_id)!;
        return { id: row.id, published_at: row.published_at, video: { title: input.title, description: row.description_full ?? input.description } };
      }),
    );

    const deltas = new BucketDeltas();
    const insertedVideoIds: string[] = [];
    // The push side's outbox (feed/feed-events.ts): one row per feed each video newly enters,
    // committed with the video itself, so no crash can store a video and lose its event.
    const events: Array<{ feed: string; video_pk: number; created_at: Date }> = [];
    const moved: Array<{ pk: number; from: Date; to: Date; listed: boolean }> = [];
    for (const video of batch) {
      const row = storedById.get(video.videoId);
      if (row === undefined) continue;
      if (row.ingest_token === token) {
        insertedVideoIds.push(video.videoId);
        deltas.add(ALL_VIDEOS_SCOPE, row.published_at, +1);
        events.push({ feed: ALL_FEED, video_pk: row.id, created_at: now }, { feed: channelFeed(row.channel_id), video_pk: row.id, created_at: now });
        continue;
      }
      const old = previous.get(video.videoId);
      // A video no longer listed (unavailable) is in no count: its move changes none.
      if (old !== undefined && old.published_at.getTime() !== row.published_at.getTime()) {
        moved.push({ pk: row.id, from: old.published_at, to: row.published_at, listed: row.available === 1 });
        if (row.available === 1) {
          deltas.add(ALL_VIDEOS_SCOPE, old.published_at, -1);
          deltas.add(ALL_VIDEOS_SCOPE, row.published_at, +1);
        }
      }
    }
    // affectedRows counts 1 per inserted row and 2 per changed row (0 when nothing changed).
    const affected = Number(written.numInsertedOrUpdatedRows ?? 0n);
    const updated = Math.max(0, Math.round((affected - insertedVideoIds.length) / 2));

    // Followed channels' counts (and the scopes whose page 1 shows a written video), looked up
    // under scope 0's lock: a channel followed meanwhile has counted what was committed before.
    let channelScopes: number[] = [];
    if (affected > 0) {
      const channelIds = [...new Set(stored.map((row) => row.channel_id))];
      const followed = await trx.selectFrom('followed_channels').select(['id', 'channel_id']).where('channel_id', 'in', channelIds).execute();
      const scopeOf = new Map(followed.map((row) => [row.channel_id, channelScope(row.id)]));
      channelScopes = [...new Set(scopeOf.values())].sort((a, b) => a - b);
      const insertedIds = new Set(insertedVideoIds);
      const movedByPk = new Map(moved.map((move) => [move.pk, move]));
      for (const row of stored) {
        const scope = scopeOf.get(row.channel_id);
        if (scope === undefined) continue;
        if (insertedIds.has(row.video_id)) deltas.add(scope, row.published_at, +1);
        const move = movedByPk.get(row.id);
        if (move?.listed === true) {
          deltas.add(scope, move.from, -1);
          deltas.add(scope, move.to, +1);
        }
      }
    }

    if (moved.length > 0) {
      const links = await trx
        .selectFrom('video_queries')
        .select(['query_id', 'video_pk'])
        .where(
          'video_pk',
          'in',
          moved.map((m) => m.pk),
        )
        .execute();
      const byPk = new Map(moved.map((m) => [m.pk, m]));
      for (const link of links) {
        const move = byPk.get(link.video_pk)!;
        if (!move.listed) continue;
        deltas.add(link.query_id, move.from, -1);
        deltas.add(link.query_id, move.to, +1);
      }
      for (const move of moved) {
        await trx.updateTable('video_queries').set({ published_at: move.to }).where('video_pk', '=', move.pk).execute();
      }
    }

    let linked = 0;
    if (queryId !== undefined) {
      await trx
        .insertInto('video_queries')
        .values(
          stored.map((row) => ({
            query_id: queryId,
            video_pk: row.id,
            published_at: row.published_at,
            first_seen_at: now,
            ingest_token: token,
            available: row.available,
          })),
        )
        .onDuplicateKeyUpdate({ published_at: incoming<Date>('published_at') })
        .execute();
      const newLinks = await trx
        .selectFrom('video_queries')
        .select(['video_pk', 'published_at', 'available'])
        .where('query_id', '=', queryId)
        .where('ingest_token', '=', token)
        .where(
          'video_pk',
          'in',
          stored.map((row) => row.id),
        )
        .execute();
      for (const link of newLinks) {
        // A video found again after YouTube stopped returning it (unavailable) stays unlisted.
        if (link.available !== 1) continue;
        deltas.add(queryId, link.published_at, +1);
        events.push({ feed: queryFeed(queryId), video_pk: link.video_pk, created_at: now });
      }
      linked = newLinks.length;
    }
    if (events.length > 0) await trx.insertInto('feed_events').values(events).execute();

    const { drifted } = await applyBucketDeltas(trx, deltas);
    return { inserted: insertedVideoIds.length, updated, linked, insertedVideoIds, countsDrifted: drifted, channelScopes };
  }

  /** Total stored videos in a scope (0 = all), from the maintained count: no table scan. */
  async function total(scope: number = ALL_VIDEOS_SCOPE): Promise<number> {
    const row = await db.selectFrom('feed_scopes').select('total').where('scope', '=', scope).executeTakeFirst();
    return row?.total ?? 0;
  }

  /**
   * Newest-first page by offset, ties broken by internal id. Seeks to the hour holding the
   * offset (see feed-buckets.ts), so page 10,000 costs what page 2 costs. `total` is read in the
   * same statement as the bucket, so both describe the same moment of the counts.
   */
  async function pageByOffset(scope: number, offset: number, limit: number): Promise<FeedSlice> {
    const located = await sql<{ total: number; bucket_start: Date | null; below: number | null; n: number | null }>`
      SELECT s.total, b.bucket_start, b.below, b.n
      FROM feed_scopes s
      LEFT JOIN feed_buckets b ON b.scope = s.scope AND b.bucket_start = (
        SELECT b2.bucket_start FROM feed_buckets b2
        WHERE b2.scope = s.scope AND b2.below <= CAST(s.total AS SIGNED) - 1 - ${offset}
        ORDER BY b2.below DESC LIMIT 1)
      WHERE s.scope = ${scope}`.execute(db);
    const found = located.rows[0];
    if (found === undefined) return { total: 0, videos: [] };
    const total = Number(found.total);
    if (found.bucket_start === null || found.below === null || found.n === null || offset >= total) {
      return { total, videos: [] };
    }
    const bottomRank = total - 1 - offset;
    // Never negative, even with counts that drifted (a rebuild repairs them).
    const skip = Math.max(0, found.below + found.n - 1 - bottomRank);
    const end = new Date(found.bucket_start.getTime() + BUCKET_MS);
    const videos = await selectNewestBefore(db, scope, end, skip, limit);
    return { total, videos };
  }

  /** The page whose first row `locateOffset` found (feed-layout.ts): the one statement of a located page. */
  async function pageAt(scope: number, located: LocatedOffset, limit: number): Promise<ListedVideo[]> {
    return selectNewestBefore(db, scope, located.end, located.skip, limit);
  }

  /** The newest `limit` videos of a scope and its total, read from one consistent snapshot. */
  async function newest(scope: number, limit: number): Promise<FeedSlice> {
    return db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        const row = await trx.selectFrom('feed_scopes').select('total').where('scope', '=', scope).executeTakeFirst();
        const videos = await selectNewestBefore(trx, scope, null, 0, limit);
        return { total: row?.total ?? 0, videos };
      });
  }

  /** The newest stored publish time of a scope, or null when it has no videos. */
  async function newestPublishedAt(scope: number): Promise<Date | null> {
    const followed = followedChannelOf(scope);
    const row =
      scope === ALL_VIDEOS_SCOPE || followed !== null
        ? await db
            .selectFrom('videos')
            .select('published_at')
            .$if(followed !== null, (qb) => qb.where('channel_id', '=', channelOfFollowed(db, followed!)))
            .orderBy('published_at', 'desc')
            .limit(1)
            .executeTakeFirst()
        : await db
            .selectFrom('video_queries')
            .select('published_at')
            .where('query_id', '=', scope)
            .orderBy('published_at', 'desc')
            .limit(1)
            .executeTakeFirst();
    return row?.published_at ?? null;
  }

  /**
   * How many of a query's videos were published within [from, to], counting no further than
   * `cap` (a range scan of at most `cap` index entries, whatever the query's size).
   */
  async function countPublishedBetween(queryId: number, from: Date, to: Date, cap: number): Promise<number> {
    const rows = await db
      .selectFrom('video_queries')
      .select('video_pk')
      .where('query_id', '=', queryId)
      .where('published_at', '>=', from)
      .where('published_at', '<=', to)
      .orderBy('published_at', 'desc')
      .limit(cap)
      .execute();
    return rows.length;
  }

  /** Publish times of a query's newest videos published at or after `from`, newest first, at most `limit`. */
  async function publishedTimesSince(queryId: number, from: Date, limit: number): Promise<Date[]> {
    const rows = await db
      .selectFrom('video_queries')
      .select('published_at')
      .where('query_id', '=', queryId)
      .where('published_at', '>=', from)
      .orderBy('published_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => row.published_at);
  }

  async function findByVideoIds(videoIds: readonly string[]): Promise<StoredVideoRow[]> {
    if (videoIds.length === 0) return [];
    return db.selectFrom('videos').select(VIDEO_COLUMNS).where('video_id', 'in', videoIds).execute();
  }

  /**
   * Bulk load for seeding: plain multi-row upserts without per-batch count upkeep. Call
   * `rebuildCounts()` once afterwards.
   */
  async function bulkLoad(videos: readonly VideoInput[], links: ReadonlyArray<{ index: number; queryId: number }>): Promise<void> {
    if (videos.length === 0) return;
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('videos')
        .values(videos.map((video) => toRow(video, now, 0)))
        .onDuplicateKeyUpdate(UPSERT_ASSIGNMENTS)
        .execute();
      const rows = await trx
        .selectFrom('videos')
        .select(['id', 'video_id', 'published_at', 'details_at', 'available'])
        .where(
          'video_id',
          'in',
          videos.map((v) => v.videoId),
        )
        .execute();
      await renderEnriched(trx, rows);
      const inputs = new Map(videos.map((video) => [video.videoId, video]));
      await writeSearchRows(trx, rows.map((row) => ({ id: row.id, published_at: row.published_at, video: inputs.get(row.video_id)! })));
      if (links.length === 0) return;
      const byVideoId = new Map(rows.map((row) => [row.video_id, row]));
      const values = links.flatMap(({ index, queryId }) => {
        const row = byVideoId.get(videos[index]!.videoId);
        return row === undefined
          ? []
          : [{ query_id: queryId, video_pk: row.id, published_at: row.published_at, first_seen_at: now, ingest_token: 0, available: row.available }];
      });
      if (values.length > 0) {
        await trx
          .insertInto('video_queries')
          .values(values)
          .onDuplicateKeyUpdate({ published_at: incoming<Date>('published_at') })
          .execute();
      }
    });
  }

  /**
   * Writes the search rows of videos that have none (stored before search existed, or by an
   * older version), in batches; returns how many. Idempotent, safe from several processes.
   */
  async function fillMissingSearchRows(batchSize = 1000): Promise<number> {
    let filled = 0;
    for (;;) {
      const rows = await db
        .selectFrom('videos as v')
        .leftJoin('video_search as s', 's.video_pk', 'v.id')
        .select(['v.id', 'v.published_at', 'v.title', 'v.description', 'v.description_full'])
        .where('s.video_pk', 'is', null)
        .orderBy('v.id')
        .limit(batchSize)
        .execute();
      if (rows.length === 0) return filled;
      await writeSearchRows(
        db,
        rows.map((r) => ({ id: r.id, published_at: r.published_at, video: { title: r.title, description: r.description_full ?? r.description } })),
      );
      filled += rows.length;
    }
  }

  /**
   * Renders again the JSON of rows whose stored JSON is missing or from another renderer
   * version, in batches (each row locked while it is rendered, so a concurrent upsert is never
   * overwritten with older values); returns how many. Idempotent, safe from several processes;
   * stops early, between batches, when `signal` aborts. Rows of a newer version (a newer
   * process during a rolling deploy) are left to it, unless `newerToo` (after a rollback: no
   * newer process is left to keep them).
   */
  async function renderStaleJson(options: { batchSize?: number; signal?: AbortSignal; newerToo?: boolean } = {}): Promise<number> {
    const { batchSize = 500, signal, newerToo = false } = options;
    const otherVersion = newerToo ? sql`json_version <> ${VIDEO_JSON_VERSION}` : sql`json_version < ${VIDEO_JSON_VERSION}`;
    // Rows never rendered, rendered by an older (or other) version, or missing their bytes.
    const stale = sql<SqlBool>`(json_version IS NULL OR ${otherVersion} OR json IS NULL OR json_hash IS NULL)`;
    // Each stale version is walked in id order through the (json_version) index.
    const versions = await db.selectFrom('videos').select('json_version').distinct().where(stale).execute();
    let rendered = 0;
    for (const { json_version: version } of versions) {
      let afterId = 0;
      while (signal?.aborted !== true) {
        const batch = await withDeadlockRetry(() =>
          db
          .transaction()
          .setIsolationLevel('read committed')
          .execute(async (trx) => {
            const rows = await trx
              .selectFrom('videos')
              .select(SOURCE_COLUMNS)
              .where(version === null ? sql<SqlBool>`json_version IS NULL` : sql<SqlBool>`json_version = ${version}`)
              .where(stale)
              .where('id', '>', afterId)
              .orderBy('id')
              .limit(batchSize)
              .forUpdate()
              .execute();
            if (rows.length === 0) return null;
            await storeJson(trx, renderJson(rows));
            return rows;
          }),
        );
        if (batch === null) break;
        rendered += batch.length;
        afterId = batch.at(-1)!.id;
      }
    }
    return rendered;
  }

  return {
    upsertBatch,
    fillMissingSearchRows,
    renderStaleJson,
    total,
    pageByOffset,
    pageAt,
    layout: (scope: number) => readFeedLayout(db, scope),
    newest,
    newestPublishedAt,
    countPublishedBetween,
    publishedTimesSince,
    findByVideoIds,
    bulkLoad,
    rebuildCounts: () => rebuildFeedCounts(db),
  };
}
