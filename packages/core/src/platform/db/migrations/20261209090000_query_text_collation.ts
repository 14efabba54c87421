// A followed query's text is compared with utf8mb4_unicode_520_ci instead of utf8mb4_unicode_ci.
// The older collation (UCA 4.0.0) gives every character outside the Basic Multilingual Plane
// the same weight, so "🐱 videos" and "🐶 videos" were one text to the unique key and to every
// lookup: following the second silently answered with the first. UCA 5.2.0 weighs them apart
// (and skin tones, and CJK Extension B ideographs) while staying case- and accent-insensitive,
// so "Café" and "cafe" remain one query. MariaDB 10.3+ and MySQL 8 both have it.
//
// The new collation is not strictly finer than the old one: characters UCA 4.0.0 did not know
// and weighed apart (mathematical letters such as 𝐄, digits of some scripts, combining marks
// added since) now weigh like the letters, digits or nothing they stand for. Two stored queries
// could therefore become equal, and the unique key would refuse the change. Rather than
// failing a boot, or merging two queries' videos and counts, the key becomes (text,
// text_variant): every query keeps text_variant 0, except that in a group of stored queries
// the new collation makes equal, the later ones get their own id there and stay apart. New
// texts are stored with 0, so they still meet the oldest of an equal group.
//
// Going down restores the old collation and key; if the old collation would make two stored
// queries equal (two emoji queries, say), it stops and names them rather than drop one.
import { sql, type Kysely } from 'kysely';

const NEW_COLLATION = 'utf8mb4_unicode_520_ci';
const OLD_COLLATION = 'utf8mb4_unicode_ci';

/** Stored queries equal under `collation` to an older one (lower id): [id, text] pairs. */
async function laterTwins(db: Kysely<any>, collation: string): Promise<Array<{ id: number; text: string }>> {
  const c = sql.raw(collation);
  const result = await sql<{ id: number; text: string }>`
    SELECT a.id, a.text FROM search_queries a
    WHERE EXISTS (SELECT 1 FROM search_queries b WHERE b.id < a.id AND b.text COLLATE ${c} = a.text COLLATE ${c})
    ORDER BY a.id`.execute(db);
  return result.rows;
}

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE search_queries ADD COLUMN text_variant INT UNSIGNED NOT NULL DEFAULT 0`.execute(db);
  const twins = await laterTwins(db, NEW_COLLATION);
  if (twins.length > 0) {
    await sql`UPDATE search_queries SET text_variant = id WHERE id IN (${sql.join(twins.map((t) => t.id))})`.execute(db);
  }
  await sql`
    ALTER TABLE search_queries
      DROP INDEX search_queries_text_uq,
      MODIFY COLUMN text VARCHAR(200) CHARACTER SET utf8mb4 COLLATE ${sql.raw(NEW_COLLATION)} NOT NULL,
      ADD UNIQUE KEY search_queries_text_uq (text, text_variant)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  const twins = await laterTwins(db, OLD_COLLATION);
  if (twins.length > 0) {
    const named = twins.map((t) => `${t.id} ${JSON.stringify(t.text)}`).join(', ');
    throw new Error(
      `search_queries cannot go back to ${OLD_COLLATION}: it would make these queries equal to an older one (id and text): ${named}. ` +
        'Delete or rename them first.',
    );
  }
  await sql`
    ALTER TABLE search_queries
      DROP INDEX search_queries_text_uq,
      MODIFY COLUMN text VARCHAR(200) CHARACTER SET utf8mb4 COLLATE ${sql.raw(OLD_COLLATION)} NOT NULL,
      DROP COLUMN text_variant,
      ADD UNIQUE KEY search_queries_text_uq (text)`.execute(db);
}
