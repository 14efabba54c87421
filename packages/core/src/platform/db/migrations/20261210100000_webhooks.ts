// Webhooks an operator registered (POST /admin/webhooks): where to POST each new video of one
// feed (`feed`: all, q:<query id> or c:<channel id>, as in feed_events), signed with `secret`.
// Like api_keys.api_key, the secret is stored as given (the worker must sign with it) and
// never returned by any endpoint after creation, nor logged.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE webhooks (
      id INT UNSIGNED NOT NULL AUTO_INCREMENT,
      url VARCHAR(2048) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      feed VARCHAR(80) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      secret VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      allow_private_network TINYINT(1) NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      KEY webhooks_feed (feed)
    ) ENGINE=InnoDB`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE webhooks`.execute(db);
}
