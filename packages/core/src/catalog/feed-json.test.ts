// `feed_json` (migration 20261213090000_feed_json) is the listed videos' JSON in feed order,
// kept by triggers on `videos`: after any write it holds exactly (published_at, id, json,
// json_hash, json_version) of every row with available = 1, so the all-videos feed read from it
// is the feed the join read. Every kind of write is checked, each against the table's own rows,
// and writers running at once; the page statement is checked to read one range of its clustered
// index in order.
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { migrateDownAll, migrateToLatest } from '../platform/db/migrate.js';
import { createTestDatabase, fakeVideoId, videoInput, type TestDatabase } from '../testing/index.js';
import { ALL_VIDEOS_SCOPE } from './feed-buckets.js';
import { createVideoDetailsRepository } from './video-details-repository.js';
import type { VideoDetails } from './video-details.js';
import { createVideoRepository } from './video-repository.js';
import type { VideoInput } from './video.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
const HOUR = 3_600_000;
let db: TestDatabase;
let videos: ReturnType<typeof createVideoRepository>;
let details: ReturnType<typeof createVideoDetailsRepository>;

const found = (videoId: string, viewCount: number): VideoDetails => ({
  videoId,
  descriptionFull: `full description of ${videoId}`,
  tags: ['a'],
  categoryId: '10',
  defaultLanguage: 'en',
  durationS: 61,
  definition: 'hd',
  hasCaptions: true,
  madeForKids: false,
  viewCount,
  likeCount: 2,
  commentCount: 3,
  liveState: 'none',
  scheduledStartAt: null,
  actualStartAt: null,
  actualEndAt: null,
});

const hex = (value: Buffer | null) => (value === null ? null : value.toString('hex'));

/** What feed_json must hold: the listed rows of `videos`, by key. */
async function expectedRows() {
  const rows = await db.kysely
    .selectFrom('videos')
    .select(['published_at', 'id', 'json', 'json_hash', 'json_version'])
    .where('available', '=', 1)
    .orderBy('published_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((row) => ({ ...row, id: Number(row.id), json: hex(row.json), json_hash: hex(row.json_hash) }));
}

async function feedJsonRows() {
  const rows = await db.kysely.selectFrom('feed_json').select(['published_at', 'id', 'json', 'json_hash', 'json_version']).execute();
  return rows.map((row) => ({ ...row, id: Number(row.id), json: hex(row.json), json_hash: hex(row.json_hash) }));
}

async function expectInSync(): Promise<number> {
  const expected = await expectedRows();
  // In the clustered index's order, without ORDER BY: the rows are stored newest first.
  expect(await feedJsonRows()).toEqual(expected);
  return expected.length;
}

/** The all-videos feed walked page by page: the ids, newest first. */
async function walkAll(limit: number): Promise<number[]> {
  const ids: number[] = [];
  for (let offset = 0; ; offset += limit) {
    const slice = await videos.pageByOffset(ALL_VIDEOS_SCOPE, offset, limit);
    if (slice.videos.length === 0) return ids;
    ids.push(...slice.videos.map((video) => Number(video.id)));
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  videos = createVideoRepository({ db: db.kysely, clock });
  details = createVideoDetailsRepository({ db: db.kysely });
});

afterAll(async () => {
  await db.drop();
});

beforeEach(async () => {
  await sql`DELETE FROM video_queries`.execute(db.kysely);
  await sql`DELETE FROM video_search`.execute(db.kysely);
  await sql`DELETE FROM videos`.execute(db.kysely);
  await videos.rebuildCounts();
});

describe('feed_json', () => {
  it('follows inserts, edits, publish-time moves, availability and deletes, each in the writing transaction', async () => {
    const batch: VideoInput[] = Array.from({ length: 40 }, (_, i) =>
      videoInput({ videoId: fakeVideoId(), publishedAt: new Date(Date.UTC(2024, 4, 1) + (i % 7) * HOUR + (i % 3) * 1000) }),
    );
    await videos.upsertBatch(batch);
    expect(await expectInSync()).toBe(40);

    // A title edited: the row is rendered again, and its copy follows.
    const before = await feedJsonRows();
    await videos.upsertBatch([{ ...batch[3]!, title: 'Edited "title" \\ with ✨' }]);
    expect(await expectInSync()).toBe(40);
    const after = await feedJsonRows();
    const changed = after.filter((row, i) => row.json !== before[i]!.json);
    expect(changed).toHaveLength(1);
    expect(Buffer.from(changed[0]!.json!, 'hex').toString()).toContain('Edited \\"title\\" \\\\ with ✨');

    // A publish time moved (YouTube corrects it): the row leaves its old place for its new one.
    await videos.upsertBatch([{ ...batch[5]!, publishedAt: new Date('2024-05-20T00:00:00Z') }]);
    expect(await expectInSync()).toBe(40);

    // Details: counts change the JSON; gone videos leave; one comes back.
    const dueAt = new Date(clock.now().getTime() + HOUR);
    await details.store({
      at: clock.now(),
      found: batch.slice(10, 20).map((video, i) => ({ details: found(video.videoId, 100 + i), dueAt })),
      missing: batch.slice(20, 25).map((video) => ({ videoId: video.videoId, dueAt })),
    });
    expect(await expectInSync()).toBe(35);
    await details.store({ at: clock.now(), found: [{ details: found(batch[20]!.videoId, 7), dueAt }], missing: [] });
    expect(await expectInSync()).toBe(36);

    // A row of another renderer version (a rolling deploy) is copied as it is, then rendered again.
    await sql`UPDATE videos SET json_version = 1 WHERE id IN (SELECT id FROM (SELECT id FROM videos ORDER BY id LIMIT 3) t)`.execute(db.kysely);
    expect(await expectInSync()).toBe(36);
    expect(await videos.renderStaleJson()).toBe(3);
    expect(await expectInSync()).toBe(36);

    // Deleted rows leave.
    await sql`DELETE FROM videos WHERE video_id IN (${sql.join(batch.slice(30, 34).map((video) => video.videoId))})`.execute(db.kysely);
    expect(await expectInSync()).toBe(32);
    // (A delete by hand changes no count; the counts are computed again for the walk below.)
    await videos.rebuildCounts();

    // The feed read from it is the feed in order, every listed video once.
    const order = (await expectedRows()).map((row) => row.id);
    for (const limit of [1, 7, 100]) expect(await walkAll(limit)).toEqual(order);
  });

  it('stays equal to the listed rows while writers store the same videos at once', async () => {
    const ids = Array.from({ length: 60 }, () => fakeVideoId());
    const at = (round: number, i: number) => new Date(Date.UTC(2024, 4, 1) + ((i * 7 + round * 13) % 50) * 60_000);
    for (let round = 0; round < 4; round++) {
      await Promise.all(
        Array.from({ length: 5 }, (_, writer) =>
          videos.upsertBatch(
            ids
              .filter((_, i) => (i + writer) % 3 !== 0)
              .map((videoId, i) => videoInput({ videoId, title: `round ${round} writer ${writer}`, publishedAt: at(round + writer, i) })),
          ),
        ),
      );
      expect(await expectInSync()).toBe(60);
      const order = (await expectedRows()).map((row) => row.id);
      expect(await walkAll(25)).toEqual(order);
    }
  });

  it('is filled from the stored videos when the migration runs on an existing database', async () => {
    const other = await createTestDatabase({ migrate: false });
    try {
      await migrateToLatest(other);
      const repository = createVideoRepository({ db: other.kysely, clock });
      // 7 minutes apart: 8 ten-minute buckets (2 hours).
      await repository.upsertBatch(Array.from({ length: 12 }, (_, i) => videoInput({ publishedAt: new Date(Date.UTC(2024, 4, 1) + i * 7 * 60_000) })));
      // Back to before it, then forward again: the copy is made from what is stored.
      await sql`DROP TRIGGER videos_feed_json_insert`.execute(other.kysely);
      await sql`DROP TRIGGER videos_feed_json_update`.execute(other.kysely);
      await sql`DROP TRIGGER videos_feed_json_delete`.execute(other.kysely);
      await sql`DROP TABLE feed_json`.execute(other.kysely);
      // (Those after it are run again too: they must run in order.)
      await sql`DELETE FROM kysely_migration WHERE name >= '20261213090000_feed_json'`.execute(other.kysely);
      expect((await migrateToLatest(other))[0]).toBe('20261213090000_feed_json');
      const copied = await other.kysely.selectFrom('feed_json').select(['id', 'json']).execute();
      expect(copied).toHaveLength(12);
      expect(copied.every((row) => row.json !== null && row.json.length > 0)).toBe(true);
      // The counts the bucket migration computed are those of a rebuild, in ten-minute buckets.
      const counts = () => other.kysely.selectFrom('feed_buckets').selectAll().orderBy('scope').orderBy('bucket_start').execute();
      const migrated = await counts();
      expect(migrated.map((row) => row.bucket_start.getTime() % 600_000)).toEqual(migrated.map(() => 0));
      expect(new Set(migrated.map((row) => row.bucket_start.getTime())).size).toBe(8);
      await repository.rebuildCounts();
      expect(await counts()).toEqual(migrated);
      await migrateDownAll(other);
      const left = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM information_schema.triggers WHERE trigger_schema = DATABASE()`.execute(other.kysely);
      expect(Number(left.rows[0]!.n)).toBe(0);
    } finally {
      await other.drop();
    }
  });

  it('serves a deep page as one range of its clustered index, in order, with no lookups', async () => {
    const explain = await sql<{ table: string; type: string; key: string | null; Extra: string | null }>`
      EXPLAIN SELECT id, published_at, json, json_hash, json_version FROM feed_json
      WHERE published_at < ${new Date('2024-05-02T00:00:00Z')} ORDER BY published_at DESC, id DESC LIMIT 100 OFFSET 300`.execute(db.kysely);
    expect(explain.rows).toHaveLength(1);
    const plan = explain.rows[0]!;
    expect(plan.table).toBe('feed_json');
    expect(plan.type).toBe('range');
    expect(plan.key).toBe('PRIMARY');
    expect(plan.Extra ?? '').not.toMatch(/filesort|temporary/i);
  });
});
