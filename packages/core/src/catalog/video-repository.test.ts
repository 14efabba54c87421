import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { createSearchQueryRepository } from './search-query-repository.js';
import { createTestDatabase, fakeVideoId, videoInput, type TestDatabase } from '../testing/index.js';
import { ALL_VIDEOS_SCOPE } from './feed-buckets.js';
import { createVideoRepository } from './video-repository.js';
import { locateOffset } from './feed-layout.js';

let db: TestDatabase;
const clock = new ManualClock('2024-06-01T00:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  for (const table of ['video_queries', 'feed_buckets', 'videos', 'search_queries']) {
    await sql`DELETE FROM ${sql.table(table)}`.execute(db.kysely);
  }
  await sql`UPDATE feed_scopes SET total = 0`.execute(db.kysely);
});

const repo = () => createVideoRepository({ db: db.kysely, clock });

/** The page as plain ORDER BY ... LIMIT ... OFFSET computes it: the reference answer. */
async function naivePage(scope: number, offset: number, limit: number): Promise<string[]> {
  const rows =
    scope === ALL_VIDEOS_SCOPE
      ? await db.kysely
          .selectFrom('videos')
          .select('video_id')
          .orderBy('published_at', 'desc')
          .orderBy('id', 'desc')
          .limit(limit)
          .offset(offset)
          .execute()
      : await db.kysely
          .selectFrom('video_queries')
          .innerJoin('videos', 'videos.id', 'video_queries.video_pk')
          .select('videos.video_id')
          .where('query_id', '=', scope)
          .orderBy('videos.published_at', 'desc')
          .orderBy('videos.id', 'desc')
          .limit(limit)
          .offset(offset)
          .execute();
  return rows.map((r) => r.video_id);
}

/** Deterministic pseudo-random numbers for spreading publish times. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

async function expectCountsMatchRebuild(scopes: number[]): Promise<void> {
  const snapshot = async () => {
    const buckets = await db.kysely.selectFrom('feed_buckets').selectAll().orderBy('scope').orderBy('bucket_start').execute();
    const totals = await db.kysely.selectFrom('feed_scopes').selectAll().where('scope', 'in', scopes).orderBy('scope').execute();
    return { buckets, totals };
  };
  const incremental = await snapshot();
  await repo().rebuildCounts();
  const rebuilt = await snapshot();
  expect(incremental).toEqual(rebuilt);
}

/** The id of a listed video, from its stored JSON. */
const videoIdOf = (video: { json: Buffer }): string => (JSON.parse(video.json.toString('utf8')) as { video_id: string }).video_id;

describe('upsertBatch', () => {
  it('stores a batch once and is idempotent when the same batch comes again', async () => {
    const batch = [videoInput(), videoInput(), videoInput()];
    const first = await repo().upsertBatch(batch);
    expect(first).toMatchObject({ inserted: 3, updated: 0 });
    const second = await repo().upsertBatch(batch);
    expect(second).toMatchObject({ inserted: 0, updated: 0 });
    const { count } = await db.kysely
      .selectFrom('videos')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    expect(Number(count)).toBe(3);
    expect(await repo().total()).toBe(3);
  });

  it('updates changed fields and the updated time, and keeps the first-seen time', async () => {
    const original = videoInput({ title: 'Old title' });
    await repo().upsertBatch([original]);
    clock.advance(60_000);
    const result = await repo().upsertBatch([{ ...original, title: 'New title', channelTitle: 'Renamed' }]);
    expect(result).toMatchObject({ inserted: 0, updated: 1 });
    const [row] = await repo().findByVideoIds([original.videoId]);
    expect(row).toMatchObject({ title: 'New title', channel_title: 'Renamed' });
    expect(row!.updated_at.getTime() - row!.first_seen_at.getTime()).toBe(60_000);
    clock.advance(60_000);
    await repo().upsertBatch([{ ...original, title: 'New title', channelTitle: 'Renamed' }]);
    const [unchanged] = await repo().findByVideoIds([original.videoId]);
    expect(unchanged!.updated_at).toEqual(row!.updated_at);
  });

  it('keeps one row per id when a batch repeats an id (the last copy wins)', async () => {
    const id = fakeVideoId();
    const result = await repo().upsertBatch([videoInput({ videoId: id, title: 'first' }), videoInput({ videoId: id, title: 'second' })]);
    expect(result.inserted).toBe(1);
    const rows = await repo().findByVideoIds([id]);
    expect(rows.map((r) => r.title)).toEqual(['second']);
  });

  it('round-trips publish times in UTC with milliseconds, whatever the process time zone', async () => {
    const previousTz = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata'; // Node applies a TZ change immediately
    try {
      const video = videoInput({ publishedAt: '2024-03-10T10:15:30.123Z' });
      await repo().upsertBatch([video]);
      const [row] = await repo().findByVideoIds([video.videoId]);
      expect(row!.published_at.toISOString()).toBe('2024-03-10T10:15:30.123Z');
      const raw = await sql<{ stored: string }>`
        SELECT CAST(published_at AS CHAR) AS stored FROM videos WHERE video_id = ${video.videoId}`.execute(db.kysely);
      expect(raw.rows[0]!.stored).toBe('2024-03-10 10:15:30.123');
    } finally {
      if (previousTz === undefined) delete process.env.TZ;
      else process.env.TZ = previousTz;
    }
  });

  it('stays exact under concurrent overlapping batches: every video once, counts consistent', async () => {
    const queries = createSearchQueryRepository({ db: db.kysely, clock });
    const [a, b] = [await queries.follow('alpha'), await queries.follow('beta')];
    const random = lcg(7);
    const pool = Array.from({ length: 120 }, (_, i) =>
      videoInput({ videoId: fakeVideoId(10_000 + i), publishedAt: new Date(Date.UTC(2024, 4, 1) + Math.floor(random() * 6 * 3_600_000)) }),
    );
    const batches = Array.from({ length: 8 }, (_, i) => pool.filter((_, j) => (j + i) % 3 !== 0));
    await Promise.all(batches.map((batch, i) => repo().upsertBatch(batch, { queryId: i % 2 === 0 ? a.id : b.id })));
    expect(await repo().total()).toBe(pool.length);
    const { count } = await db.kysely
      .selectFrom('videos')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    expect(Number(count)).toBe(pool.length);
    await expectCountsMatchRebuild([0, a.id, b.id]);
  });
});

describe('pageByOffset', () => {
  it('orders newest first and breaks equal publish times by id, newest id first', async () => {
    const same = '2024-05-02T08:00:00Z';
    const older = videoInput({ publishedAt: '2024-05-01T08:00:00Z' });
    const tieFirst = videoInput({ publishedAt: same });
    const tieSecond = videoInput({ publishedAt: same });
    const newest = videoInput({ publishedAt: '2024-05-03T08:00:00Z' });
    for (const v of [older, tieFirst, tieSecond, newest]) await repo().upsertBatch([v]);
    const page = await repo().pageByOffset(ALL_VIDEOS_SCOPE, 0, 10);
    expect(page.videos.map(videoIdOf)).toEqual([newest.videoId, tieSecond.videoId, tieFirst.videoId, older.videoId]);
    expect(page.total).toBe(4);
  });

  it('returns exactly what OFFSET would, for every page and several limits, across many hours', async () => {
    const queries = createSearchQueryRepository({ db: db.kysely, clock });
    const topic = await queries.follow('topic');
    const random = lcg(42);
    const start = Date.UTC(2024, 3, 1);
    const videos = Array.from({ length: 260 }, (_, i) =>
      videoInput({
        videoId: fakeVideoId(20_000 + i),
        // Clustered in a few hours with exact ties, spread over a week, inserted out of order.
        publishedAt: new Date(start + Math.floor(random() * 7 * 24) * 3_600_000 + (i % 5 === 0 ? 0 : Math.floor(random() * 3_600_000))),
      }),
    );
    const shuffled = [...videos].sort(() => random() - 0.5);
    for (let i = 0; i < shuffled.length; i += 37) {
      await repo().upsertBatch(shuffled.slice(i, i + 37), { queryId: i % 2 === 0 ? topic.id : undefined });
    }
    for (const scope of [ALL_VIDEOS_SCOPE, topic.id]) {
      const total = await repo().total(scope);
      // The same pages located in the layout held in memory (feed-layout.ts), in one statement each.
      const layout = (await repo().layout(scope))!;
      expect(layout.total).toBe(total);
      for (const limit of [1, 7, 50, 100]) {
        for (let offset = 0; offset <= total + limit; offset += limit) {
          const expected = await naivePage(scope, offset, limit);
          const page = await repo().pageByOffset(scope, offset, limit);
          expect(page.videos.map(videoIdOf), `scope ${scope} limit ${limit} offset ${offset}`).toEqual(expected);
          expect(page.total).toBe(total);
          const located = locateOffset(layout, offset);
          expect(located === null ? [] : (await repo().pageAt(scope, located, limit)).map(videoIdOf), `located offset ${offset}`).toEqual(expected);
        }
      }
    }
    expect(await repo().total(ALL_VIDEOS_SCOPE)).toBe(260);
  });

  it('keeps counts exact when a stored video changes its publish time', async () => {
    const queries = createSearchQueryRepository({ db: db.kysely, clock });
    const topic = await queries.follow('premieres');
    const video = videoInput({ publishedAt: '2024-05-01T01:00:00Z' });
    const other = videoInput({ publishedAt: '2024-05-01T03:00:00Z' });
    await repo().upsertBatch([video, other], { queryId: topic.id });
    await repo().upsertBatch([{ ...video, publishedAt: new Date('2024-05-01T05:30:00Z') }]);
    for (const scope of [ALL_VIDEOS_SCOPE, topic.id]) {
      expect((await repo().pageByOffset(scope, 0, 10)).videos.map(videoIdOf)).toEqual([video.videoId, other.videoId]);
    }
    await expectCountsMatchRebuild([0, topic.id]);
  });

  it('answers past the end with no videos and the true total', async () => {
    await repo().upsertBatch([videoInput(), videoInput()]);
    expect(await repo().pageByOffset(ALL_VIDEOS_SCOPE, 10, 10)).toEqual({ total: 2, videos: [] });
    expect(await repo().pageByOffset(ALL_VIDEOS_SCOPE, 2, 10)).toEqual({ total: 2, videos: [] });
  });

  it('narrows to one search query', async () => {
    const queries = createSearchQueryRepository({ db: db.kysely, clock });
    const tea = await queries.follow('tea');
    const teaVideo = videoInput({ publishedAt: '2024-05-01T01:00:00Z' });
    await repo().upsertBatch([teaVideo], { queryId: tea.id });
    await repo().upsertBatch([videoInput({ publishedAt: '2024-05-01T02:00:00Z' })]);
    const page = await repo().pageByOffset(tea.id, 0, 10);
    expect(page).toMatchObject({ total: 1 });
    expect(page.videos.map(videoIdOf)).toEqual([teaVideo.videoId]);
  });
});
