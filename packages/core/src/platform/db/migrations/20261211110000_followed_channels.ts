// Channels an operator follows (POST /admin/channels or YOUTUBE_CHANNELS): each one's uploads
// playlist is polled with playlistItems.list (1 unit of the units bucket per page). The videos
// go to the videos table like any other (the `all` and `c:<channel id>` feeds); this table holds
// only what the polling needs: the playlist, the last poll and its outcome, and the high-water
// mark `newest_published_at` (the newest upload a complete read stored: the next poll reads
// newest first until it reaches it). Deleting a row stops the polling and keeps the videos.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE followed_channels (
      id INT UNSIGNED NOT NULL AUTO_INCREMENT,
      channel_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      handle VARCHAR(100) NULL,
      title VARCHAR(200) NOT NULL,
      uploads_playlist_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      enabled TINYINT(1) NOT NULL DEFAULT 1,
      origin VARCHAR(10) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'admin',
      created_at DATETIME(3) NOT NULL,
      last_poll_at DATETIME(3) NULL,
      last_outcome VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
      last_error VARCHAR(500) NULL,
      last_new_videos INT UNSIGNED NULL,
      newest_published_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY followed_channels_channel (channel_id),
      KEY followed_channels_due (enabled, last_poll_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE followed_channels`.execute(db);
}
