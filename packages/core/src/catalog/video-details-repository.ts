// The enrichment's side of the videos table: which stored videos are due for videos.list, and
// what it told of them. No schedule here: the caller (ingest/enrich-service.ts) says when each
// video is due next.
//
// A batch is stored in ONE statement: the details of the videos YouTube returned, the
// availability of those it left out, and every video's next due time move together, so a run
// that crashes after a store never asks for those videos again before they are due, and a run
// that crashes before it asks again for one batch at most. A video YouTube no longer returns is
// marked unavailable (available = 0, unavailable_since = when first found missing, kept while
// it stays missing) and keeps everything it had; it is never deleted, but it leaves the feed
// counts and pages (feed-buckets.ts applyListingChanges) in the same transaction. One that
// comes back is available and listed again.
//
// The videos' public JSON (video-json.ts) shows these details: the same transaction renders it
// again from the stored columns, for the whole batch in one read and one write, and says which
// feed scopes now list a changed video, so the caller can rebuild their page-1 snapshots.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import { withDeadlockRetry } from '../platform/db/deadlock-retry.js';
import { ALL_VIDEOS_SCOPE, applyListingChanges, channelScope, lockScope } from './feed-buckets.js';
import { DETAIL_COLUMNS, SOURCE_COLUMNS, renderJson, storeJson } from './rendered-videos.js';
import { VIDEO_JSON_VERSION } from './video-json.js';
import { writeSearchRows } from './video-repository.js';
import type { VideoDetails } from './video-details.js';

/** A stored video due for enrichment. */
export interface DueVideo {
  readonly videoId: string;
  readonly publishedAt: Date;
  /** Null when it was never enriched. */
  readonly detailsDueAt: Date | null;
}

export interface DetailsBatch {
  /** When videos.list answered. */
  readonly at: Date;
  /** What it returned, each with its next due time. */
  readonly found: ReadonlyArray<{ readonly details: VideoDetails; readonly dueAt: Date }>;
  /** Ids asked for and not returned (deleted, private), each with when to look again. */
  readonly missing: ReadonlyArray<{ readonly videoId: string; readonly dueAt: Date }>;
}

export interface DetailsStoreResult {
  /** Stored videos the batch matched (ids that were never stored are ignored). */
  readonly matched: number;
  /** Of those, the videos whose public JSON changed (new counts, a live state, gone, ...). */
  readonly rendered: number;
  /**
   * The feed scopes listing a video whose JSON changed: every video's (ALL_VIDEOS_SCOPE), the
   * followed queries' that found one and the followed channels' it belongs to; empty when no
   * JSON changed.
   */
  readonly scopes: readonly number[];
}

export type VideoDetailsRepository = ReturnType<typeof createVideoDetailsRepository>;

const bit = (value: boolean | null): number | null => (value === null ? null : value ? 1 : 0);

// Values in DETAIL_COLUMNS' order (rendered-videos.ts), as derivedRow takes them.
type DetailValue = string | number | Date | null;

/** One row of the batch's derived table, every column named (any row may come first). */
function derivedRow(videoId: string, found: boolean, dueAt: Date, values: readonly DetailValue[]) {
  const named = DETAIL_COLUMNS.map((column, i) => sql`${values[i] ?? null} AS ${sql.ref(column)}`);
  // The id in the column's own character set and collation, so the join uses its unique index.
  return sql`SELECT CAST(${videoId} AS CHAR(16) CHARACTER SET ascii) COLLATE ascii_bin AS video_id, ${found ? 1 : 0} AS found, ${sql.join(named)}, ${dueAt} AS due_at`;
}

export function createVideoDetailsRepository({ db }: { db: Kysely<Database> }) {
  /**
   * Up to `limit` videos due at `now`: never enriched first (the most recently stored first, so
   * new videos are not held back by a backlog), then the most overdue. Both read the
   * details_due_at index in order.
   */
  async function due(now: Date, limit: number): Promise<DueVideo[]> {
    if (limit <= 0) return [];
    const columns = ['video_id', 'published_at', 'details_due_at'] as const;
    const fresh = await db.selectFrom('videos').select(columns).where('details_due_at', 'is', null).orderBy('id', 'desc').limit(limit).execute();
    const overdue =
      fresh.length >= limit
        ? []
        : await db
            .selectFrom('videos')
            .select(columns)
            .where('details_due_at', '<=', now)
            .orderBy('details_due_at')
            .orderBy('id')
            .limit(limit - fresh.length)
            .execute();
    return [...fresh, ...overdue].map((row) => ({ videoId: row.video_id, publishedAt: row.published_at, detailsDueAt: row.details_due_at }));
  }

  /** How many videos are due at `now`, counted up to `cap` (the backlog, for logs and figures). */
  async function countDue(now: Date, cap = 100_000): Promise<number> {
    const { rows } = await sql<{ n: number | string }>`
      SELECT COUNT(*) AS n FROM (
        SELECT 1 FROM videos WHERE details_due_at IS NULL OR details_due_at <= ${now} LIMIT ${cap}
      ) AS due`.execute(db);
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Stores one videos.list answer, as described above: one statement for the details, one read
   * and at most one write for the JSON, in one transaction; safe to repeat.
   */
  async function store(batch: DetailsBatch): Promise<DetailsStoreResult> {
    const rows = [
      ...batch.found.map(({ details: d, dueAt }) =>
        derivedRow(d.videoId, true, dueAt, [
          d.descriptionFull,
          JSON.stringify(d.tags),
          d.categoryId,
          d.defaultLanguage,
          d.durationS,
          d.definition,
          bit(d.hasCaptions),
          bit(d.madeForKids),
          d.viewCount,
          d.likeCount,
          d.commentCount,
          d.liveState,
          d.scheduledStartAt,
          d.actualStartAt,
          d.actualEndAt,
        ]),
      ),
      ...batch.missing.map(({ videoId, dueAt }) => derivedRow(videoId, false, dueAt, DETAIL_COLUMNS.map(() => null))),
    ];
    if (rows.length === 0) return { matched: 0, rendered: 0, scopes: [] };
    const videoIds = [...batch.found.map(({ details }) => details.videoId), ...batch.missing.map(({ videoId }) => videoId)];
    const keep = (column: string) => sql.raw(`v.${column} = IF(d.found, d.${column}, v.${column})`);
    const statement = sql`
      UPDATE videos AS v
      JOIN (${sql.join(rows, sql` UNION ALL `)}) AS d ON v.video_id = d.video_id
      SET ${sql.join(DETAIL_COLUMNS.map(keep))},
        v.available = d.found,
        v.unavailable_since = IF(d.found, NULL, COALESCE(v.unavailable_since, ${batch.at})),
        v.details_at = IF(d.found, ${batch.at}, v.details_at),
        v.details_due_at = d.due_at`;
    // A deadlock with a concurrent store of the same rows (a fetch updating titles) rolls the
    // transaction back whole, and it is run again.
    return withDeadlockRetry(() =>
      db
        .transaction()
        .setIsolationLevel('read committed')
        .execute(async (trx) => {
          // The writers' lock first (video-repository.ts): a video that becomes unavailable, or
          // available again, leaves or re-enters the feed counts in this transaction.
          await lockScope(trx, ALL_VIDEOS_SCOPE);
          const wasListed = new Map(
            (await trx.selectFrom('videos').select(['id', 'available']).where('video_id', 'in', videoIds).execute()).map((row) => [row.id, row.available]),
          );
          const result = await statement.execute(trx);
          // The rows are locked by the UPDATE: what is read here is what the JSON must say.
          const sources = await trx
            .selectFrom('videos')
            .select([...SOURCE_COLUMNS, 'json_hash', 'json_version'])
            .where('video_id', 'in', videoIds)
            .execute();
          await applyListingChanges(
            trx,
            sources
              .filter((row) => wasListed.get(row.id) !== row.available)
              .map((row) => ({ id: row.id, channel_id: row.channel_id, published_at: row.published_at, listed: row.available === 1 })),
          );
          // Search reads the whole description from now on (the snippet's was cut to ~160 characters).
          const described = new Set(batch.found.map(({ details }) => details.videoId));
          await writeSearchRows(
            trx,
            sources
              .filter((row) => described.has(row.video_id) && row.description_full !== null)
              .map((row) => ({ id: row.id, published_at: row.published_at, video: { title: row.title, description: row.description_full! } })),
          );
          const before = new Map(sources.map((row) => [row.id, row]));
          const changed = renderJson(sources).filter(({ id, hash }) => {
            const old = before.get(id)!;
            return old.json_version !== VIDEO_JSON_VERSION || old.json_hash === null || !hash.equals(old.json_hash);
          });
          await storeJson(trx, changed);
          if (changed.length === 0) return { matched: Number(result.numAffectedRows ?? 0n), rendered: 0, scopes: [] };
          const changedPks = changed.map((row) => row.id);
          const links = await trx.selectFrom('video_queries').select('query_id').distinct().where('video_pk', 'in', changedPks).execute();
          const followed = await trx
            .selectFrom('followed_channels as c')
            .innerJoin('videos as v', 'v.channel_id', 'c.channel_id')
            .select('c.id')
            .distinct()
            .where('v.id', 'in', changedPks)
            .execute();
          return {
            matched: Number(result.numAffectedRows ?? 0n),
            rendered: changed.length,
            scopes: [ALL_VIDEOS_SCOPE, ...links.map((link) => link.query_id), ...followed.map((row) => channelScope(row.id))].sort((a, b) => a - b),
          };
        }),
    );
  }

  return { due, countDue, store };
}
