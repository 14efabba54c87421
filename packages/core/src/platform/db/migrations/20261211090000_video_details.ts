// What `videos.list` tells of a video beyond a search snippet (issue: a richer catalog from the
// units bucket): full description, tags, category, language, duration, definition, captions,
// statistics, live state and times, made-for-kids, and whether YouTube still returns it. All
// NULL until the video is first enriched; added at the end as NULL columns, which MariaDB
// 10.3+ and MySQL 8 do in place without copying the table.
//
// `details_due_at`: when the video should be enriched (again): NULL = never enriched yet (due
// at once), then a time that follows how fast its statistics change. `available` = 0 marks a
// video `videos.list` no longer returns (deleted, private), since `unavailable_since`; it is
// never deleted.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE videos
      ADD COLUMN description_full MEDIUMTEXT NULL,
      ADD COLUMN tags TEXT NULL,
      ADD COLUMN category_id VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NULL,
      ADD COLUMN default_language VARCHAR(35) CHARACTER SET ascii COLLATE ascii_bin NULL,
      ADD COLUMN duration_s INT UNSIGNED NULL,
      ADD COLUMN definition VARCHAR(4) CHARACTER SET ascii COLLATE ascii_bin NULL,
      ADD COLUMN has_captions TINYINT(1) NULL,
      ADD COLUMN made_for_kids TINYINT(1) NULL,
      ADD COLUMN view_count BIGINT UNSIGNED NULL,
      ADD COLUMN like_count BIGINT UNSIGNED NULL,
      ADD COLUMN comment_count BIGINT UNSIGNED NULL,
      ADD COLUMN live_state VARCHAR(10) CHARACTER SET ascii COLLATE ascii_bin NULL,
      ADD COLUMN scheduled_start_at DATETIME(3) NULL,
      ADD COLUMN actual_start_at DATETIME(3) NULL,
      ADD COLUMN actual_end_at DATETIME(3) NULL,
      ADD COLUMN available TINYINT(1) NOT NULL DEFAULT 1,
      ADD COLUMN unavailable_since DATETIME(3) NULL,
      ADD COLUMN details_at DATETIME(3) NULL,
      ADD COLUMN details_due_at DATETIME(3) NULL`.execute(db);
  // The enrichment job's queue of work: never-enriched rows (NULL) first, then the most overdue.
  await sql`CREATE INDEX videos_details_due_idx ON videos (details_due_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX videos_details_due_idx ON videos`.execute(db);
  await sql`
    ALTER TABLE videos
      DROP COLUMN description_full, DROP COLUMN tags, DROP COLUMN category_id, DROP COLUMN default_language,
      DROP COLUMN duration_s, DROP COLUMN definition, DROP COLUMN has_captions, DROP COLUMN made_for_kids,
      DROP COLUMN view_count, DROP COLUMN like_count, DROP COLUMN comment_count, DROP COLUMN live_state,
      DROP COLUMN scheduled_start_at, DROP COLUMN actual_start_at, DROP COLUMN actual_end_at,
      DROP COLUMN available, DROP COLUMN unavailable_since, DROP COLUMN details_at, DROP COLUMN details_due_at`.execute(db);
}
