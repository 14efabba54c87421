// The maintained feed counts per ten minutes instead of per hour (catalog/feed-buckets.ts): a
// deep page skips at most one bucket's rows before its own, and with ~750 videos an hour in a
// million-row feed that skip was most of MariaDB's work for the page. Every scope's counts are
// computed again at the new size, under the scopes' locks in the writers' order (scope 0 first),
// so no store is counted twice or missed; readers go on meanwhile. An API process of the
// previous build reads the new buckets as hours until it is replaced: its deep pages may be
// wrong for that while (its page 1 and totals are not).
import { sql, type Kysely } from 'kysely';

const CHANNEL_SCOPE_BASE = 2 ** 31;
const BUCKET = (column: string) =>
  sql.raw(`CAST(DATE_FORMAT(${column}, '%Y-%m-%d %H:00:00') AS DATETIME) + INTERVAL (MINUTE(${column}) DIV 10 * 10) MINUTE`);
const HOUR = (column: string) => sql.raw(`DATE_FORMAT(${column}, '%Y-%m-%d %H:00:00')`);

async function recount(db: Kysely<any>, bucket: (column: string) => ReturnType<typeof sql.raw>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`INSERT INTO feed_scopes (scope, total) VALUES (0, 0) ON DUPLICATE KEY UPDATE scope = scope`.execute(trx);
    await sql`SELECT scope FROM feed_scopes ORDER BY scope FOR UPDATE`.execute(trx);
    await sql`DELETE FROM feed_buckets`.execute(trx);
    await sql`
      INSERT INTO feed_buckets (scope, bucket_start, n, below)
      SELECT scope, bucket_start, n, SUM(n) OVER (PARTITION BY scope ORDER BY bucket_start) - n
      FROM (SELECT 0 AS scope, ${bucket('published_at')} AS bucket_start, COUNT(*) AS n FROM videos WHERE available = 1 GROUP BY 2
            UNION ALL
            SELECT query_id, ${bucket('published_at')}, COUNT(*) FROM video_queries WHERE available = 1 GROUP BY 1, 2
            UNION ALL
            SELECT ${CHANNEL_SCOPE_BASE} + c.id, ${bucket('v.published_at')}, COUNT(*)
            FROM followed_channels c JOIN videos v ON v.channel_id = c.channel_id WHERE v.available = 1 GROUP BY 1, 2) AS buckets`.execute(trx);
    await sql`
      UPDATE feed_scopes s
      LEFT JOIN (SELECT scope, SUM(n) AS total FROM feed_buckets GROUP BY scope) t ON t.scope = s.scope
      SET s.total = COALESCE(t.total, 0)`.execute(trx);
  });
}

export async function up(db: Kysely<any>): Promise<void> {
  await recount(db, BUCKET);
}

export async function down(db: Kysely<any>): Promise<void> {
  await recount(db, HOUR);
}
