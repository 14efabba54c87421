// What YouTube said about each key, kept in MySQL as well as in the key pool's Redis state:
// Redis here keeps nothing on disk, and a key pool that forgot that a key is out of quota or
// was rejected would call it again after every Redis restart. `exhausted_until` is the Pacific
// midnight a spent key becomes usable again (it simply expires); `rejected_reason` stays until
// an operator enables the key.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE api_keys
      ADD COLUMN exhausted_until DATETIME(3) NULL,
      ADD COLUMN rejected_reason VARCHAR(200) NULL,
      ADD COLUMN rejected_at DATETIME(3) NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE api_keys DROP COLUMN exhausted_until, DROP COLUMN rejected_reason, DROP COLUMN rejected_at`.execute(db);
}
