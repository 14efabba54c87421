// Videos YouTube no longer returns (available = 0, marked by the enrichment) leave the feeds
// `/getData` pages, as they leave the other listings: the maintained counts count listed videos
// only, and pages read indexes that lead with `available` so their skips stay on the index:
// video_queries gets a copy of the flag (as it has of published_at), and the feed indexes of
// all videos, of a query and of a channel get one each. Then every count is recomputed for
// listed videos (scope 0's lock first, as writers take it). All in place: readers and writers
// go on meanwhile, but for the recount's short lock.
import { sql, type Kysely } from 'kysely';

const CHANNEL_SCOPE_BASE = 2 ** 31;
const HOUR = (column: string) => sql.raw(`DATE_FORMAT(${column}, '%Y-%m-%d %H:00:00')`);

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE video_queries ADD COLUMN available TINYINT(1) NOT NULL DEFAULT 1`.execute(db);
  await sql`UPDATE video_queries q JOIN videos v ON v.id = q.video_pk SET q.available = 0 WHERE v.available = 0`.execute(db);
  await sql`ALTER TABLE video_queries ADD INDEX video_queries_listed_idx (query_id, available, published_at DESC, video_pk DESC), ALGORITHM=INPLACE, LOCK=NONE`.execute(db);
  await sql`ALTER TABLE videos
    ADD INDEX videos_listed_feed_idx (available, published_at DESC, id DESC),
    ADD INDEX videos_channel_listed_idx (channel_id, available, published_at DESC, id DESC),
    ALGORITHM=INPLACE, LOCK=NONE`.execute(db);
  await db.transaction().execute(async (trx) => {
    await sql`INSERT INTO feed_scopes (scope, total) VALUES (0, 0) ON DUPLICATE KEY UPDATE scope = scope`.execute(trx);
    await sql`SELECT scope FROM feed_scopes ORDER BY scope FOR UPDATE`.execute(trx);
    await sql`DELETE FROM feed_buckets`.execute(trx);
    await sql`
      INSERT INTO feed_buckets (scope, bucket_start, n, below)
      SELECT scope, bucket_start, n, SUM(n) OVER (PARTITION BY scope ORDER BY bucket_start) - n
      FROM (SELECT 0 AS scope, ${HOUR('published_at')} AS bucket_start, COUNT(*) AS n FROM videos WHERE available = 1 GROUP BY 2
            UNION ALL
            SELECT query_id, ${HOUR('published_at')}, COUNT(*) FROM video_queries WHERE available = 1 GROUP BY 1, 2
            UNION ALL
            SELECT ${CHANNEL_SCOPE_BASE} + c.id, ${HOUR('v.published_at')}, COUNT(*)
            FROM followed_channels c JOIN videos v ON v.channel_id = c.channel_id WHERE v.available = 1 GROUP BY 1, 2) AS hours`.execute(trx);
    await sql`
      UPDATE feed_scopes s
      LEFT JOIN (SELECT scope, SUM(n) AS total FROM feed_buckets GROUP BY scope) t ON t.scope = s.scope
      SET s.total = COALESCE(t.total, 0)`.execute(trx);
  });
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE videos DROP INDEX videos_listed_feed_idx, DROP INDEX videos_channel_listed_idx`.execute(db);
  await sql`ALTER TABLE video_queries DROP INDEX video_queries_listed_idx, DROP COLUMN available`.execute(db);
}
