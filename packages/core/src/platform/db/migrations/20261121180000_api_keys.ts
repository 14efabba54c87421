// YouTube API keys managed at run time (imported from YOUTUBE_API_KEYS at boot, added and
// removed through the admin API), and where each followed query came from, so a boot that
// syncs SEARCH_QUERIES never drops a query an operator added.
//
// `target` keeps keys for real YouTube apart from the offline simulator's demo keys, so one
// can never be sent to the other. The key itself is stored (the service must send it); it is
// never returned by any endpoint, and everywhere else it is known by its fingerprint.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE api_keys (
      id INT UNSIGNED NOT NULL AUTO_INCREMENT,
      fingerprint CHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      api_key VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      label VARCHAR(100) NOT NULL,
      target VARCHAR(16) CHARACTER SET ascii NOT NULL,
      origin VARCHAR(16) CHARACTER SET ascii NOT NULL,
      enabled TINYINT(1) NOT NULL DEFAULT 1,
      added_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY api_keys_fingerprint_uq (fingerprint)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`.execute(db);
  await sql`ALTER TABLE search_queries ADD COLUMN origin VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'config'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE search_queries DROP COLUMN origin`.execute(db);
  await sql`DROP TABLE api_keys`.execute(db);
}
