// Hourly video counts per feed scope, with a running count of everything older. Only listed
// videos are counted: those YouTube still returns (`available` = 1 on videos and on their
// video_queries links); the enrichment marking one unavailable, or available again, moves it
// out of (or back into) every scope's counts in the same transaction.
//
// Scopes: 0 is every video, a search query's id its linked videos, and CHANNEL_SCOPE_BASE plus
// a followed channel's row id that channel's videos (above every query id, so the ascending
// lock order is: all videos, queries, channels). A channel's counts exist while it is in
// followed_channels: built when it is followed, dropped when it is removed. A writer that adds
// videos locks scope 0 before it looks up which of their channels are followed, and following
// locks scope 0 before it counts, so no video can be stored between the count and the follow
// without being counted (countChannelOnFollow).
//
// Why: `/getData` pages by offset. `OFFSET 500000` on a million rows walks half an index on every
// request, and `COUNT(*)` walks all of it. Instead every scope (0 = all videos, otherwise a
// search query's id) keeps one row per ten minutes that have videos (a bucket; an hour until
// migration 20261213100000_ten_minute_buckets): `n` videos in that bucket and `below`
// videos older than it. Offset O from the newest end is then bottom rank R = total - 1 - O; the
// bucket holding R is one indexed lookup on (scope, below), and the page is read by seeking to
// that bucket's end and skipping at most one bucket's worth of rows (the skip is most of a deep
// page's cost in MariaDB once a bucket holds hundreds of videos: ~0.3 µs a row). The cost of a page no longer
// depends on its depth, and the total is one primary-key read.
//
// The counts change in the same transaction as the videos they count, under a per-scope row
// lock on feed_scopes, so they are exact at every commit. Almost all inserts land in the newest
// bucket, so keeping `below` right touches one or two rows. `rebuildFeedCounts` recomputes
// everything from the tables (after a bulk load, or to repair).
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../platform/db/schema.js';

/** Ten minutes: a divisor of an hour (BUCKET_OF below relies on it). */
export const BUCKET_MS = 600_000;

export const ALL_VIDEOS_SCOPE = 0;

/** Scopes from here up are followed channels (feed_scopes.scope is INT UNSIGNED). */
export const CHANNEL_SCOPE_BASE = 2 ** 31;

/** The feed scope of a followed channel, by its followed_channels row id. */
export const channelScope = (followedChannelId: number): number => CHANNEL_SCOPE_BASE + followedChannelId;

/** The followed_channels row id of a channel scope, or null when the scope is not a channel's. */
export const followedChannelOf = (scope: number): number | null => (scope >= CHANNEL_SCOPE_BASE ? scope - CHANNEL_SCOPE_BASE : null);

/**
 * Creates a scope's row if needed and, either way, takes its exclusive lock until the
 * transaction ends (re-entrant: a second call in the same transaction returns at once).
 */
export async function lockScope(trx: Transaction<Database>, scope: number): Promise<void> {
  await sql`INSERT INTO feed_scopes (scope, total) VALUES (${scope}, 0) ON DUPLICATE KEY UPDATE scope = scope`.execute(trx);
}

export function bucketOf(date: Date): number {
  return Math.floor(date.getTime() / BUCKET_MS) * BUCKET_MS;
}

/** scope -> bucket start (ms) -> change in count. */
export class BucketDeltas {
  private readonly byScope = new Map<number, Map<number, number>>();

  add(scope: number, publishedAt: Date, delta: number): void {
    let buckets = this.byScope.get(scope);
    if (buckets === undefined) {
      buckets = new Map();
      this.byScope.set(scope, buckets);
    }
    const bucket = bucketOf(publishedAt);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + delta);
  }

  /** Scopes in ascending order (the lock order), each with its non-zero changes. */
  entries(): Array<[number, Map<number, number>]> {
    return [...this.byScope.entries()]
      .map(([scope, buckets]): [number, Map<number, number>] => [
        scope,
        new Map([...buckets].filter(([, delta]) => delta !== 0)),
      ])
      .filter(([, buckets]) => buckets.size > 0)
      .sort(([a], [b]) => a - b);
  }
}

export interface ApplyResult {
  /** True when a count would have gone negative: the counts had drifted and need a rebuild. */
  readonly drifted: boolean;
}

/**
 * Applies count changes inside the caller's transaction. Scopes are locked in ascending order
 * so concurrent writers cannot deadlock on them.
 */
export async function applyBucketDeltas(trx: Transaction<Database>, deltas: BucketDeltas): Promise<ApplyResult> {
  let drifted = false;
  for (const [scope, changes] of deltas.entries()) {
    await lockScope(trx, scope);
    const scopeRow = await trx
      .selectFrom('feed_scopes')
      .select('total')
      .where('scope', '=', scope)
      .executeTakeFirstOrThrow();

    const first = Math.min(...changes.keys());
    const firstDate = new Date(first);
    const before = await trx
      .selectFrom('feed_buckets')
      .select(['below', 'n'])
      .where('scope', '=', scope)
      .where('bucket_start', '<', firstDate)
      .orderBy('bucket_start', 'desc')
      .limit(1)
      .executeTakeFirst();
    const existing = await trx
      .selectFrom('feed_buckets')
      .select(['bucket_start', 'n', 'below'])
      .where('scope', '=', scope)
      .where('bucket_start', '>=', firstDate)
      .orderBy('bucket_start', 'asc')
      .execute();

    const merged = new Map<number, { n: number; below: number | null }>();
    for (const row of existing) merged.set(row.bucket_start.getTime(), { n: row.n, below: row.below });
    for (const [bucket, delta] of changes) {
      const current = merged.get(bucket) ?? { n: 0, below: null };
      let n = current.n + delta;
      if (n < 0) {
        drifted = true;
        n = 0;
      }
      merged.set(bucket, { n, below: current.below });
    }

    let running = before === undefined ? 0 : before.below + before.n;
    const upserts: Array<{ scope: number; bucket_start: Date; n: number; below: number }> = [];
    const emptied: Date[] = [];
    for (const bucket of [...merged.keys()].sort((a, b) => a - b)) {
      const entry = merged.get(bucket)!;
      const changed = changes.has(bucket) || entry.below !== running;
      if (entry.n === 0) {
        if (entry.below !== null) emptied.push(new Date(bucket));
      } else if (changed) {
        upserts.push({ scope, bucket_start: new Date(bucket), n: entry.n, below: running });
      }
      running += entry.n;
    }
    if (upserts.length > 0) {
      await trx
        .insertInto('feed_buckets')
        .values(upserts)
        .onDuplicateKeyUpdate({ n: sql<number>`VALUES(n)`, below: sql<number>`VALUES(below)` })
        .execute();
    }
    if (emptied.length > 0) {
      await trx.deleteFrom('feed_buckets').where('scope', '=', scope).where('bucket_start', 'in', emptied).execute();
    }
    const sum = [...changes.values()].reduce((a, b) => a + b, 0);
    const total = scopeRow.total + sum;
    if (total < 0 || total !== running) drifted = true;
    await trx
      .updateTable('feed_scopes')
      .set({ total: Math.max(running, 0) })
      .where('scope', '=', scope)
      .execute();
  }
  return { drifted };
}

/** The start of the bucket holding a DATETIME column's value, in SQL (as bucketOf in JS). */
const BUCKET_OF = (column: string) => {
  const minutes = BUCKET_MS / 60_000;
  return sql.raw(`CAST(DATE_FORMAT(${column}, '%Y-%m-%d %H:00:00') AS DATETIME) + INTERVAL (MINUTE(${column}) DIV ${minutes} * ${minutes}) MINUTE`);
};

/**
 * Counts a followed channel's stored videos into its scope, from nothing, inside the caller's
 * transaction (which follows or re-enables the channel). Scope 0's lock is taken first: a
 * writer storing videos holds it from before it looks up followed channels until it commits,
 * so every video is either committed before this count reads (and counted here) or stored
 * after it and counted by its writer, who then sees the channel followed.
 */
export async function countChannelOnFollow(trx: Transaction<Database>, followedChannelId: number, channelId: string): Promise<void> {
  await lockScope(trx, ALL_VIDEOS_SCOPE);
  const scope = channelScope(followedChannelId);
  await lockScope(trx, scope);
  await sql`DELETE FROM feed_buckets WHERE scope = ${scope}`.execute(trx);
  await sql`
    INSERT INTO feed_buckets (scope, bucket_start, n, below)
    SELECT ${scope}, bucket_start, n, SUM(n) OVER (ORDER BY bucket_start) - n
    FROM (SELECT ${BUCKET_OF('published_at')} AS bucket_start, COUNT(*) AS n FROM videos
          WHERE channel_id = ${channelId} AND available = 1 GROUP BY 1) AS buckets`.execute(trx);
  await sql`
    UPDATE feed_scopes SET total = (SELECT COALESCE(SUM(n), 0) FROM feed_buckets WHERE scope = ${scope})
    WHERE scope = ${scope}`.execute(trx);
}

/** A stored video that YouTube stopped returning (listed = false) or returns again (true). */
export interface ListingChange {
  readonly id: number;
  readonly channel_id: string;
  readonly published_at: Date;
  readonly listed: boolean;
}

/**
 * Moves videos out of (or back into) every count that lists them, inside the transaction that
 * changed their `available` flag, which must hold scope 0's lock from before it read the flag
 * (the writers' order: scope 0, then rows, then the other scopes ascending).
 */
export async function applyListingChanges(trx: Transaction<Database>, changes: readonly ListingChange[]): Promise<ApplyResult> {
  if (changes.length === 0) return { drifted: false };
  const deltas = new BucketDeltas();
  const byPk = new Map(changes.map((change) => [change.id, change]));
  for (const listed of [true, false]) {
    const pks = changes.filter((change) => change.listed === listed).map((change) => change.id);
    if (pks.length > 0) await trx.updateTable('video_queries').set({ available: listed ? 1 : 0 }).where('video_pk', 'in', pks).execute();
  }
  const links = await trx.selectFrom('video_queries').select(['query_id', 'video_pk']).where('video_pk', 'in', [...byPk.keys()]).execute();
  const followed = await trx
    .selectFrom('followed_channels')
    .select(['id', 'channel_id'])
    .where('channel_id', 'in', [...new Set(changes.map((change) => change.channel_id))])
    .execute();
  const channelScopes = new Map(followed.map((row) => [row.channel_id, channelScope(row.id)]));
  for (const change of changes) {
    const delta = change.listed ? +1 : -1;
    deltas.add(ALL_VIDEOS_SCOPE, change.published_at, delta);
    const scope = channelScopes.get(change.channel_id);
    if (scope !== undefined) deltas.add(scope, change.published_at, delta);
  }
  for (const link of links) {
    const change = byPk.get(link.video_pk)!;
    deltas.add(link.query_id, change.published_at, change.listed ? +1 : -1);
  }
  return applyBucketDeltas(trx, deltas);
}

/** Drops a followed channel's counts, inside the transaction that removes the channel. */
export async function dropChannelCounts(trx: Transaction<Database>, followedChannelId: number): Promise<void> {
  await lockScope(trx, ALL_VIDEOS_SCOPE);
  const scope = channelScope(followedChannelId);
  await sql`DELETE FROM feed_buckets WHERE scope = ${scope}`.execute(trx);
  await sql`DELETE FROM feed_scopes WHERE scope = ${scope}`.execute(trx);
}

/**
 * Recomputes every scope's buckets and totals from the videos, video_queries and
 * followed_channels tables. Takes every scope's lock first (ascending), so it is safe while the
 * worker writes.
 */
export async function rebuildFeedCounts(db: Kysely<Database>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`INSERT INTO feed_scopes (scope, total) VALUES (0, 0) ON DUPLICATE KEY UPDATE scope = scope`.execute(trx);
    await sql`INSERT INTO feed_scopes (scope, total) SELECT id, 0 FROM search_queries ON DUPLICATE KEY UPDATE scope = feed_scopes.scope`.execute(
      trx,
    );
    await sql`INSERT INTO feed_scopes (scope, total) SELECT ${CHANNEL_SCOPE_BASE} + id, 0 FROM followed_channels
      ON DUPLICATE KEY UPDATE scope = feed_scopes.scope`.execute(trx);
    await sql`SELECT scope FROM feed_scopes ORDER BY scope FOR UPDATE`.execute(trx);
    // Channels no longer followed (a row removed by hand) have no counts to keep.
    await sql`DELETE FROM feed_scopes WHERE scope >= ${CHANNEL_SCOPE_BASE}
      AND scope - ${CHANNEL_SCOPE_BASE} NOT IN (SELECT id FROM followed_channels)`.execute(trx);
    await sql`DELETE FROM feed_buckets`.execute(trx);
    await sql`
      INSERT INTO feed_buckets (scope, bucket_start, n, below)
      SELECT 0, bucket_start, n, SUM(n) OVER (ORDER BY bucket_start) - n
      FROM (SELECT ${BUCKET_OF('published_at')} AS bucket_start, COUNT(*) AS n FROM videos WHERE available = 1 GROUP BY 1) AS buckets`.execute(
      trx,
    );
    await sql`
      INSERT INTO feed_buckets (scope, bucket_start, n, below)
      SELECT query_id, bucket_start, n, SUM(n) OVER (PARTITION BY query_id ORDER BY bucket_start) - n
      FROM (SELECT query_id, ${BUCKET_OF('published_at')} AS bucket_start, COUNT(*) AS n
            FROM video_queries WHERE available = 1 GROUP BY query_id, 2) AS buckets`.execute(trx);
    await sql`
      INSERT INTO feed_buckets (scope, bucket_start, n, below)
      SELECT scope, bucket_start, n, SUM(n) OVER (PARTITION BY scope ORDER BY bucket_start) - n
      FROM (SELECT ${CHANNEL_SCOPE_BASE} + c.id AS scope, ${BUCKET_OF('v.published_at')} AS bucket_start, COUNT(*) AS n
            FROM followed_channels c JOIN videos v ON v.channel_id = c.channel_id WHERE v.available = 1 GROUP BY 1, 2) AS buckets`.execute(trx);
    await sql`
      UPDATE feed_scopes s
      LEFT JOIN (SELECT scope, SUM(n) AS total FROM feed_buckets GROUP BY scope) t ON t.scope = s.scope
      SET s.total = COALESCE(t.total, 0)`.execute(trx);
  });
}
