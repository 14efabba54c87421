// Each video's public JSON, rendered once when the row is written (catalog/video-json.ts), so a
// listing is its rows' bytes joined rather than rows turned into objects and serialised per
// request; and a hash of those bytes, so a page's ETag is a hash of its rows' hashes rather
// than of the whole body. The columns are added at the end as NULL, which MariaDB 10.3+ and
// MySQL 8 do in place without copying the table; existing rows are rendered afterwards, in
// batches, by the worker in the background and by `npm run migrate` (video-repository.ts
// renderStaleJson), and until then read paths render a missing one themselves.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE videos ADD COLUMN json MEDIUMBLOB NULL, ADD COLUMN json_hash BINARY(8) NULL, ADD COLUMN json_version INT UNSIGNED NULL`.execute(db);
  // Finds the rows of older renderer versions (and unrendered ones) without a table scan.
  await sql`CREATE INDEX videos_json_version_idx ON videos (json_version)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX videos_json_version_idx ON videos`.execute(db);
  await sql`ALTER TABLE videos DROP COLUMN json, DROP COLUMN json_hash, DROP COLUMN json_version`.execute(db);
}
