// Late-indexed videos are found by sweeps at several delays (fetch-service.ts): each query keeps
// one mark per delay (JSON, by delay in ms) instead of the single `checked_until`, and an
// explicit head watermark: the newest publish time a head search returned inside its own window,
// so a video YouTube returns from outside the window asked for never moves it.
import { sql, type Kysely } from 'kysely';

/** FETCH_OVERLAP_MS's default: the delay `checked_until` was kept for. */
const OVERLAP_MS = 600_000;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE search_queries
      ADD COLUMN sweep_marks TEXT NULL,
      ADD COLUMN head_mark DATETIME(3) NULL`.execute(db);
  // A mark kept under a delay that is not configured still counts (fetch-service.ts sweepMarksFor):
  // with another FETCH_OVERLAP_MS the others start below it.
  await sql`
    UPDATE search_queries
    SET sweep_marks = CASE WHEN checked_until IS NULL THEN NULL
          ELSE JSON_OBJECT(${String(OVERLAP_MS)}, DATE_FORMAT(checked_until, '%Y-%m-%dT%H:%i:%s.%fZ')) END,
        head_mark = (SELECT MAX(vq.published_at) FROM video_queries vq WHERE vq.query_id = search_queries.id)`.execute(db);
  await sql`ALTER TABLE search_queries DROP COLUMN checked_until`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE search_queries ADD COLUMN checked_until DATETIME(3) NULL`.execute(db);
  await sql`
    UPDATE search_queries
    SET checked_until = STR_TO_DATE(JSON_UNQUOTE(JSON_EXTRACT(sweep_marks, ${`$."${OVERLAP_MS}"`})), '%Y-%m-%dT%H:%i:%s.%fZ')
    WHERE sweep_marks IS NOT NULL`.execute(db);
  await sql`ALTER TABLE search_queries DROP COLUMN sweep_marks, DROP COLUMN head_mark`.execute(db);
}
