// Per-query fetch state: time ranges known not to be fully fetched yet (after an outage or a
// run that hit its page cap), and the size of the last run.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE search_queries
      ADD COLUMN pending_ranges TEXT NULL,
      ADD COLUMN last_new_videos INT UNSIGNED NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE search_queries DROP COLUMN pending_ranges, DROP COLUMN last_new_videos`.execute(db);
}
