// Full-text search: a compact side table of normalised text (see search/search-text.ts),
// clustered by publish time so the newest rows can be read in order, with FULLTEXT indexes for
// selective terms; and the channel filter's index on videos.
//
// The FULLTEXT indexes must be built without stopwords (InnoDB's list holds "how", "to",
// "what", ...): the building session's innodb_ft_enable_stopword is frozen into the index, and
// every connection of this service turns it off (create-db.ts), so later rebuilds keep it off
// too. A test rebuilds the table and checks that "how" still matches.
//
// The text columns are binary-collated: the application stores them lowercased and
// accent-folded already, and a bytewise comparison is what makes the in-order scan cheap.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`SET SESSION innodb_ft_enable_stopword = OFF`.execute(db);
  await sql`
    CREATE TABLE video_search (
      published_at DATETIME(3) NOT NULL,
      video_pk BIGINT UNSIGNED NOT NULL,
      title_text VARCHAR(400) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
      body_text VARCHAR(600) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
      PRIMARY KEY (published_at, video_pk),
      UNIQUE KEY video_search_video_uq (video_pk),
      CONSTRAINT video_search_video_fk FOREIGN KEY (video_pk) REFERENCES videos (id) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`.execute(db);
  // InnoDB builds one FULLTEXT index per statement on a table without one.
  await sql`CREATE FULLTEXT INDEX video_search_all_ft ON video_search (title_text, body_text)`.execute(db);
  await sql`CREATE FULLTEXT INDEX video_search_title_ft ON video_search (title_text)`.execute(db);
  await sql`CREATE INDEX videos_channel_feed_idx ON videos (channel_id, published_at DESC, id DESC)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX videos_channel_feed_idx ON videos`.execute(db);
  await sql`DROP TABLE video_search`.execute(db);
}
