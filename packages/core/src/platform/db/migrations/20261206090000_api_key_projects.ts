// YouTube counts quota per Google Cloud project, in separate buckets: search.list calls, and
// units for every other method (see youtube-api.md). Keys of one project share them, so each
// key may name its project (null: a project of its own), and what YouTube said about a
// project's bucket is kept per bucket. A key that keeps getting answers no known error names
// becomes suspect: set aside until the next quota day or an operator's decision.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE api_keys
      ADD COLUMN project VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
      CHANGE COLUMN exhausted_until search_exhausted_until DATETIME(3) NULL,
      ADD COLUMN units_exhausted_until DATETIME(3) NULL,
      ADD COLUMN suspect_reason VARCHAR(200) NULL,
      ADD COLUMN suspect_until DATETIME(3) NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE api_keys
      DROP COLUMN project,
      CHANGE COLUMN search_exhausted_until exhausted_until DATETIME(3) NULL,
      DROP COLUMN units_exhausted_until,
      DROP COLUMN suspect_reason,
      DROP COLUMN suspect_until`.execute(db);
}
