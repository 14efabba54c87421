import { Migrator, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../testing/index.js';
import { decodeSweepMarks } from '../../ingest/fetch-service.js';
import { createDb } from './create-db.js';
import { migrateDownAll, migrateToLatest } from './migrate.js';
import { migrations } from './migrations/index.js';

const cleanup: TestDatabase[] = [];
afterAll(async () => {
  for (const db of cleanup) await db.drop();
});

async function tables(db: TestDatabase): Promise<string[]> {
  const result = await sql<{ name: string }>`
    SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`.execute(db.kysely);
  return result.rows.map((r) => r.name);
}

describe('migrations', () => {
  it('apply once even when several processes boot at the same time (Kysely lock)', async () => {
    const db = await createTestDatabase({ migrate: false });
    cleanup.push(db);
    const others = [createDb({ url: db.url, poolSize: 2 }), createDb({ url: db.url, poolSize: 2 })];
    const applied = await Promise.all([migrateToLatest(db), ...others.map((o) => migrateToLatest(o))]);
    for (const other of others) await other.close();
    expect(applied.flat().sort()).toEqual(Object.keys(migrations).sort());
    expect(await migrateToLatest(db)).toEqual([]);
    expect(await tables(db)).toEqual(
      expect.arrayContaining(['feed_buckets', 'feed_scopes', 'search_queries', 'video_queries', 'videos']),
    );
  });

  it('roll all the way down and up again', async () => {
    const db = await createTestDatabase();
    cleanup.push(db);
    await migrateDownAll(db);
    expect((await tables(db)).filter((t) => !t.startsWith('kysely_'))).toEqual([]);
    expect(await migrateToLatest(db)).toEqual(Object.keys(migrations));
  });

  it('compare query texts with UCA 5.2: emoji apart, case and accents folded; queries it makes equal stay apart; down refuses to merge', async () => {
    const db = await createTestDatabase({ migrate: false });
    cleanup.push(db);
    const migrator = new Migrator({ db: db.kysely, provider: { getMigrations: () => Promise.resolve({ ...migrations }) } });
    const before = '20261208100000_service_secrets';
    expect((await migrator.migrateTo(before)).error).toBeUndefined();
    // Apart under UCA 4.0.0 (it weighs every character beyond the BMP alike), one text under 5.2.0.
    await sql`INSERT INTO search_queries (id, text, enabled, created_at) VALUES (1, 'E news', 1, NOW(3)), (2, ${'\u{1D404} news'}, 1, NOW(3)), (3, 'tea', 1, NOW(3))`.execute(db.kysely);
    await sql`INSERT INTO videos (id, video_id, title, description, channel_id, channel_title, published_at, live_broadcast_content, first_seen_at, updated_at)
      VALUES (1, 'aaaaaaaaaaa', 't', '', 'c', 'c', NOW(3), 'none', NOW(3), NOW(3))`.execute(db.kysely);
    await sql`INSERT INTO video_queries (query_id, video_pk, published_at, first_seen_at) VALUES (2, 1, NOW(3), NOW(3))`.execute(db.kysely);

    // It, and whatever came after it.
    expect(await migrateToLatest(db)).toEqual(Object.keys(migrations).filter((name) => name > before));
    expect(Object.keys(migrations).filter((name) => name > before)[0]).toBe('20261209090000_query_text_collation');
    const rows = await db.kysely.selectFrom('search_queries').select(['id', 'text', 'text_variant']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 1, text: 'E news', text_variant: 0 },
      { id: 2, text: '\u{1D404} news', text_variant: 2 },
      { id: 3, text: 'tea', text_variant: 0 },
    ]);
    expect(await db.kysely.selectFrom('video_queries').select('query_id').execute()).toEqual([{ query_id: 2 }]);
    const insert = (text: string) => sql`INSERT INTO search_queries (text, enabled, created_at) VALUES (${text}, 1, NOW(3))`.execute(db.kysely);
    await insert('\u{1F431} videos');
    await insert('\u{1F436} videos');
    await insert('\u{1F44D}\u{1F3FB}');
    await insert('\u{1F44D}\u{1F3FF}');
    await insert('\u{20000}');
    await insert('\u{20001}');
    await expect(insert('TÉA')).rejects.toThrow(/Duplicate entry/);
    await expect(insert('e NEWS')).rejects.toThrow(/Duplicate entry/);

    const down = await migrator.migrateTo(before);
    expect(String(down.error)).toMatch(/cannot go back to utf8mb4_unicode_ci.*"\u{1F436} videos"/u);
    await sql`DELETE FROM search_queries WHERE id > 3`.execute(db.kysely);
    expect((await migrator.migrateTo(before)).error).toBeUndefined();
    const back = await sql<{ id: number; text: string }>`SELECT id, text FROM search_queries ORDER BY id`.execute(db.kysely);
    expect(back.rows).toEqual([
      { id: 1, text: 'E news' },
      { id: 2, text: '\u{1D404} news' },
      { id: 3, text: 'tea' },
    ]);
  });

  it('carry what a deployment knew into the quota buckets and the sweep marks, and back down', async () => {
    const db = await createTestDatabase({ migrate: false });
    cleanup.push(db);
    const migrator = new Migrator({ db: db.kysely, provider: { getMigrations: () => Promise.resolve({ ...migrations }) } });
    const before = '20261122090000_api_key_state';
    expect((await migrator.migrateTo(before)).error).toBeUndefined();
    await sql`INSERT INTO search_queries (id, text, enabled, created_at, checked_until) VALUES (1, 'tea', 1, '2024-05-14 10:00:00', '2024-05-14 11:50:00.250'), (2, 'new', 1, '2024-05-14 10:00:00', NULL)`.execute(db.kysely);
    await sql`INSERT INTO videos (id, video_id, title, description, channel_id, channel_title, published_at, live_broadcast_content, first_seen_at, updated_at)
      VALUES (1, 'aaaaaaaaaaa', 't', '', 'c', 'c', '2024-05-14 11:58:00', 'none', NOW(3), NOW(3)), (2, 'bbbbbbbbbbb', 't', '', 'c', 'c', '2024-05-14 11:59:30', 'none', NOW(3), NOW(3))`.execute(db.kysely);
    await sql`INSERT INTO video_queries (query_id, video_pk, published_at, first_seen_at) VALUES (1, 1, '2024-05-14 11:58:00', NOW(3)), (1, 2, '2024-05-14 11:59:30', NOW(3))`.execute(db.kysely);
    await sql`INSERT INTO api_keys (fingerprint, api_key, label, target, origin, enabled, added_at, exhausted_until) VALUES ('fp00000000000001', 'test-key-000001', 'k', 'youtube', 'config', 1, NOW(3), '2024-05-15 07:00:00')`.execute(db.kysely);

    await migrateToLatest(db);
    const query = await db.kysely.selectFrom('search_queries').select(['id', 'sweep_marks', 'head_mark']).orderBy('id').execute();
    expect(query.map((q) => [q.sweep_marks === null ? null : decodeSweepMarks(q.sweep_marks), q.head_mark?.toISOString() ?? null])).toEqual([
      [new Map([[600_000, new Date('2024-05-14T11:50:00.250Z')]]), '2024-05-14T11:59:30.000Z'],
      [null, null],
    ]);
    const key = await db.kysely.selectFrom('api_keys').select(['project', 'search_exhausted_until', 'units_exhausted_until']).executeTakeFirstOrThrow();
    expect(key).toEqual({ project: null, search_exhausted_until: new Date('2024-05-15T07:00:00Z'), units_exhausted_until: null });

    expect((await migrator.migrateTo(before)).error).toBeUndefined();
    const back = await sql<{ checked_until: Date | null }>`SELECT checked_until FROM search_queries ORDER BY id`.execute(db.kysely);
    expect(back.rows.map((r) => r.checked_until?.toISOString() ?? null)).toEqual(['2024-05-14T11:50:00.250Z', null]);
    const keyBack = await sql<{ exhausted_until: Date | null }>`SELECT exhausted_until FROM api_keys`.execute(db.kysely);
    expect(keyBack.rows[0]!.exhausted_until).toEqual(new Date('2024-05-15T07:00:00Z'));
  });
});
