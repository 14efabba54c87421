// The listed videos' rendered JSON a second time, in feed order: `feed_json` is clustered by
// (published_at, id) newest first, so a page of the all-videos feed (`/getData`, and `/videos`
// by publish time without filters) is one range of adjacent rows, instead of an index range and
// then one primary-key lookup per row in `videos` (two thirds of MariaDB's work per 100-row
// page). It holds exactly the rows with `available = 1`, what the maintained counts count.
//
// Triggers on `videos` keep it, in the same transaction as the write that changes a row, so no
// code path can forget it and a reader never sees the two disagree: a row is added when a
// listed video is inserted, updated when its JSON changes, moved when its publish time changes,
// and removed when it is deleted or becomes unavailable. Creating triggers needs the TRIGGER
// privilege (and, on MySQL with binary logging, what its docs say for stored programs).
//
// The triggers exist before the copy, so a write during the migration lands in both; the copy
// skips rows a trigger already wrote (they are newer).
import { sql, type Kysely } from 'kysely';

const COLUMNS = sql.raw('published_at, id, json, json_hash, json_version');

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE feed_json (
      published_at DATETIME(3) NOT NULL,
      id BIGINT UNSIGNED NOT NULL,
      json MEDIUMBLOB NULL,
      json_hash BINARY(8) NULL,
      json_version INT UNSIGNED NULL,
      PRIMARY KEY (published_at DESC, id DESC)
    ) ENGINE=InnoDB`.execute(db);
  await sql`
    CREATE TRIGGER videos_feed_json_insert AFTER INSERT ON videos FOR EACH ROW
      IF NEW.available = 1 THEN
        INSERT INTO feed_json (${COLUMNS}) VALUES (NEW.published_at, NEW.id, NEW.json, NEW.json_hash, NEW.json_version)
        ON DUPLICATE KEY UPDATE json = VALUES(json), json_hash = VALUES(json_hash), json_version = VALUES(json_version);
      END IF`.execute(db);
  await sql`
    CREATE TRIGGER videos_feed_json_update AFTER UPDATE ON videos FOR EACH ROW
    BEGIN
      IF OLD.available = 1 AND NOT (NEW.available = 1 AND NEW.published_at = OLD.published_at) THEN
        DELETE FROM feed_json WHERE published_at = OLD.published_at AND id = OLD.id;
      END IF;
      IF NEW.available = 1 AND NOT (OLD.available = 1 AND NEW.published_at = OLD.published_at
          AND NEW.json <=> OLD.json AND NEW.json_hash <=> OLD.json_hash AND NEW.json_version <=> OLD.json_version) THEN
        INSERT INTO feed_json (${COLUMNS}) VALUES (NEW.published_at, NEW.id, NEW.json, NEW.json_hash, NEW.json_version)
        ON DUPLICATE KEY UPDATE json = VALUES(json), json_hash = VALUES(json_hash), json_version = VALUES(json_version);
      END IF;
    END`.execute(db);
  await sql`
    CREATE TRIGGER videos_feed_json_delete AFTER DELETE ON videos FOR EACH ROW
      DELETE FROM feed_json WHERE published_at = OLD.published_at AND id = OLD.id`.execute(db);
  await sql`INSERT IGNORE INTO feed_json (${COLUMNS}) SELECT ${COLUMNS} FROM videos WHERE available = 1`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS videos_feed_json_insert`.execute(db);
  await sql`DROP TRIGGER IF EXISTS videos_feed_json_update`.execute(db);
  await sql`DROP TRIGGER IF EXISTS videos_feed_json_delete`.execute(db);
  await sql`DROP TABLE IF EXISTS feed_json`.execute(db);
}
