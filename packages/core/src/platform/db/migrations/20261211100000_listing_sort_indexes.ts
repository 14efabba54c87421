// Indexes for the listing sorts and filters on video details (views, likes, duration, live
// state, language). Each sort reads (value, id) in order, forwards or backwards, so one
// ascending index serves both directions; a channel listing has the same per channel. The
// (language | live state, published_at, id) indexes serve those filters on the default sort,
// and give the optimiser a short range when the filter is selective (a rare language, the
// videos on air now). One ALTER builds them all in one pass, in place (readers and writers go
// on meanwhile).
import { sql, type Kysely } from 'kysely';

const INDEXES = [
  ['videos_views_idx', 'view_count, id'],
  ['videos_likes_idx', 'like_count, id'],
  ['videos_duration_idx', 'duration_s, id'],
  ['videos_channel_views_idx', 'channel_id, view_count, id'],
  ['videos_channel_likes_idx', 'channel_id, like_count, id'],
  ['videos_channel_duration_idx', 'channel_id, duration_s, id'],
  ['videos_language_feed_idx', 'default_language, published_at, id'],
  ['videos_live_feed_idx', 'live_state, published_at, id'],
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  const adds = INDEXES.map(([name, columns]) => sql.raw(`ADD INDEX ${name} (${columns})`));
  await sql`ALTER TABLE videos ${sql.join(adds)}, ALGORITHM=INPLACE, LOCK=NONE`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  const drops = INDEXES.map(([name]) => sql.raw(`DROP INDEX ${name}`));
  await sql`ALTER TABLE videos ${sql.join(drops)}`.execute(db);
}
