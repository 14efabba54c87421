import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
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
});
