// How far each query's copy is known complete: every video published up to `checked_until`
// has been searched for at least once after YouTube had surely indexed it (see
// fetch-service.ts). Time ranges below it that still need that are pending ranges.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE search_queries ADD COLUMN checked_until DATETIME(3) NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE search_queries DROP COLUMN checked_until`.execute(db);
}
