// A fencing token for a query's fetch state: each fetch run claims the next epoch at its start
// (search-query-repository.ts claimFetchEpoch), and every write of the state it makes is
// conditioned on it still being current, so a run that lost its lease can no longer write.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE search_queries ADD COLUMN fetch_epoch BIGINT NOT NULL DEFAULT 0`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE search_queries DROP COLUMN fetch_epoch`.execute(db);
}
