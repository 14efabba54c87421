// The push side's outbox: one row per video newly in a feed (all videos, a followed query, a
// channel), written in the transaction that stores the video, relayed to the Redis Stream log
// and the webhook queue by the worker (feed/feed-relay.ts), pruned once relayed and old.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE feed_events (
      seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      feed VARCHAR(80) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      video_pk BIGINT UNSIGNED NOT NULL,
      created_at DATETIME(3) NOT NULL,
      relayed_at DATETIME(3) NULL,
      PRIMARY KEY (seq),
      KEY feed_events_pending (relayed_at, seq)
    ) ENGINE=InnoDB`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE feed_events`.execute(db);
}
