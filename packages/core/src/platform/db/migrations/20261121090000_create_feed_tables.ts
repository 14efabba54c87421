// The feed's tables: videos, the followed search queries and which query found which video,
// and the per-scope hourly counts that keep totals and deep offsets cheap (see feed-buckets.ts).
import { sql, type Kysely } from 'kysely';

const TABLE_OPTIONS = sql.raw('ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci');

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE videos (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      video_id VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      title VARCHAR(400) NOT NULL,
      description TEXT NOT NULL,
      channel_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      channel_title VARCHAR(400) NOT NULL,
      published_at DATETIME(3) NOT NULL,
      thumbnail_default VARCHAR(500) NULL,
      thumbnail_medium VARCHAR(500) NULL,
      thumbnail_high VARCHAR(500) NULL,
      live_broadcast_content VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'none',
      first_seen_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      ingest_token BIGINT UNSIGNED NULL,
      PRIMARY KEY (id),
      UNIQUE KEY videos_video_id_uq (video_id),
      KEY videos_feed_idx (published_at DESC, id DESC)
    ) ${TABLE_OPTIONS}`.execute(db);

  await sql`
    CREATE TABLE search_queries (
      id INT UNSIGNED NOT NULL AUTO_INCREMENT,
      text VARCHAR(200) NOT NULL,
      enabled TINYINT(1) NOT NULL DEFAULT 1,
      created_at DATETIME(3) NOT NULL,
      last_fetch_at DATETIME(3) NULL,
      last_outcome VARCHAR(32) NULL,
      last_error VARCHAR(500) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY search_queries_text_uq (text)
    ) ${TABLE_OPTIONS}`.execute(db);

  await sql`
    CREATE TABLE video_queries (
      query_id INT UNSIGNED NOT NULL,
      video_pk BIGINT UNSIGNED NOT NULL,
      published_at DATETIME(3) NOT NULL,
      first_seen_at DATETIME(3) NOT NULL,
      ingest_token BIGINT UNSIGNED NULL,
      PRIMARY KEY (query_id, video_pk),
      KEY video_queries_feed_idx (query_id, published_at DESC, video_pk DESC),
      KEY video_queries_video_idx (video_pk),
      CONSTRAINT video_queries_query_fk FOREIGN KEY (query_id) REFERENCES search_queries (id) ON DELETE CASCADE,
      CONSTRAINT video_queries_video_fk FOREIGN KEY (video_pk) REFERENCES videos (id) ON DELETE CASCADE
    ) ${TABLE_OPTIONS}`.execute(db);

  await sql`
    CREATE TABLE feed_scopes (
      scope INT UNSIGNED NOT NULL,
      total BIGINT UNSIGNED NOT NULL DEFAULT 0,
      PRIMARY KEY (scope)
    ) ${TABLE_OPTIONS}`.execute(db);
  await sql`INSERT INTO feed_scopes (scope, total) VALUES (0, 0)`.execute(db);

  await sql`
    CREATE TABLE feed_buckets (
      scope INT UNSIGNED NOT NULL,
      bucket_start DATETIME NOT NULL,
      n INT UNSIGNED NOT NULL,
      below BIGINT UNSIGNED NOT NULL,
      PRIMARY KEY (scope, bucket_start),
      KEY feed_buckets_rank_idx (scope, below)
    ) ${TABLE_OPTIONS}`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['feed_buckets', 'feed_scopes', 'video_queries', 'search_queries', 'videos']) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  }
}
