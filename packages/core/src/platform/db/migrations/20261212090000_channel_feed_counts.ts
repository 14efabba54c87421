// Followed channels get feed counts of their own (catalog/feed-buckets.ts: scope 2^31 + the
// followed_channels row id), so `/getData?channel=` pages by offset like a query's feed. From
// now on they are kept up to date by the writers and by following/removing a channel; this
// counts the videos already stored for the channels followed before. Scope 0's lock is taken
// first, as the writers do, so a worker storing meanwhile waits or is counted.
import { sql, type Kysely } from 'kysely';

const CHANNEL_SCOPE_BASE = 2 ** 31;
const HOUR = sql.raw(`DATE_FORMAT(v.published_at, '%Y-%m-%d %H:00:00')`);

export async function up(db: Kysely<any>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`INSERT INTO feed_scopes (scope, total) VALUES (0, 0) ON DUPLICATE KEY UPDATE scope = scope`.execute(trx);
    await sql`DELETE FROM feed_buckets WHERE scope >= ${CHANNEL_SCOPE_BASE}`.execute(trx);
    await sql`DELETE FROM feed_scopes WHERE scope >= ${CHANNEL_SCOPE_BASE}`.execute(trx);
    await sql`
      INSERT INTO feed_buckets (scope, bucket_start, n, below)
      SELECT scope, bucket_start, n, SUM(n) OVER (PARTITION BY scope ORDER BY bucket_start) - n
      FROM (SELECT ${CHANNEL_SCOPE_BASE} + c.id AS scope, ${HOUR} AS bucket_start, COUNT(*) AS n
            FROM followed_channels c JOIN videos v ON v.channel_id = c.channel_id GROUP BY 1, 2) AS hours`.execute(trx);
    await sql`
      INSERT INTO feed_scopes (scope, total)
      SELECT ${CHANNEL_SCOPE_BASE} + c.id, COALESCE((SELECT SUM(n) FROM feed_buckets b WHERE b.scope = ${CHANNEL_SCOPE_BASE} + c.id), 0)
      FROM followed_channels c`.execute(trx);
  });
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM feed_buckets WHERE scope >= ${CHANNEL_SCOPE_BASE}`.execute(db);
  await sql`DELETE FROM feed_scopes WHERE scope >= ${CHANNEL_SCOPE_BASE}`.execute(db);
}
