// `/getData?channel=`: a followed channel's videos with the established contract, paged from
// the channel's maintained counts (catalog/feed-buckets.ts), exactly as a query's feed is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledQuery, Kysely, MysqlDialect, sql } from 'kysely';
import { createPool } from 'mysql2';
import {
  ManualClock,
  channelScope,
  createFollowedChannelRepository,
  createSearchQueryRepository,
  createVideoRepository,
  poolOptionsFromUrl,
  type Database,
  type FeedPage,
  type VideoInput,
} from '@tubefeed/core';
import { createTestDatabase, fakeVideoId, videoInput, type TestDatabase } from '@tubefeed/core/testing';
import { buildTestApi, type TestApi } from '../testing/test-api.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
const HOUR = 3_600_000;
const CHANNELS = ['UCaaaaaaaaaaaaaaaaaaaaaa', 'UCbbbbbbbbbbbbbbbbbbbbbb', 'UCcccccccccccccccccccccc'] as const;
const [A, B] = CHANNELS;
let db: TestDatabase;
let api: TestApi;
let videos: ReturnType<typeof createVideoRepository>;
let channels: ReturnType<typeof createFollowedChannelRepository>;
/** Every stored video, in insertion order (the later insert has the higher id). */
const stored: VideoInput[] = [];
let next = 0;

const follow = (channelId: string, handle: string) =>
  channels.follow({ channelId, title: `Channel ${handle}`, handle, uploadsPlaylistId: `UU${channelId.slice(2)}` }, 'admin');

/** Stores videos of a channel, some hours apart (two in one hour, one sharing another's time). */
async function storeVideos(channelId: string, count: number, startHour: number, queryId?: number): Promise<VideoInput[]> {
  const batch: VideoInput[] = [];
  for (let i = 0; i < count; i++) {
    const n = next++;
    const hour = startHour + Math.floor(i * 1.5);
    batch.push(
      videoInput({ videoId: fakeVideoId(9000 + n), channelId, channelTitle: `Channel of ${channelId}`, publishedAt: new Date(Date.UTC(2024, 4, 1) + hour * HOUR + (i % 4) * 60_000) }),
    );
  }
  for (const video of batch) {
    await videos.upsertBatch([video], queryId === undefined ? {} : { queryId });
    stored.push(video);
  }
  return batch;
}

/** A channel's videos newest first, ties by the later insert first (the feed's order). */
function expected(channelId: string): string[] {
  const latest = new Map<string, { video: VideoInput; index: number }>();
  stored.forEach((video, index) => {
    const first = latest.get(video.videoId);
    latest.set(video.videoId, { video, index: first?.index ?? index });
  });
  return [...latest.values()]
    .filter(({ video }) => video.channelId === channelId)
    .sort((a, b) => b.video.publishedAt.getTime() - a.video.publishedAt.getTime() || b.index - a.index)
    .map(({ video }) => video.videoId);
}

/** The established envelope (or an error's message). */
type FeedBody = FeedPage & { message?: string };

async function getData(query: string): Promise<{ status: number; body: FeedBody }> {
  const response = await api.app.inject({ method: 'GET', url: `/getData${query}` });
  return { status: response.statusCode, body: response.json() };
}

/** Every page of the channel's feed at this limit, concatenated. */
async function walk(channel: string, limit: number): Promise<{ ids: string[]; totals: Set<number> }> {
  const ids: string[] = [];
  const totals = new Set<number>();
  for (let pageNo = 1; ; pageNo++) {
    const { status, body } = await getData(`?channel=${encodeURIComponent(channel)}&limit=${limit}&pageNo=${pageNo}`);
    expect(status).toBe(200);
    totals.add(body.totalCount);
    if (body.videos.length === 0) break;
    ids.push(...body.videos.map((video) => video.video_id));
  }
  return { ids, totals };
}

/** A scope's stored hourly counts, for comparing with a rebuild from the tables. */
async function countsOf(followedId: number, scope = channelScope(followedId)) {
  const buckets = await sql<{ bucket_start: Date; n: number; below: number }>`
    SELECT bucket_start, n, below FROM feed_buckets WHERE scope = ${scope} ORDER BY bucket_start`.execute(db.kysely);
  const total = await sql<{ total: number }>`SELECT total FROM feed_scopes WHERE scope = ${scope}`.execute(db.kysely);
  return { buckets: buckets.rows.map((row) => ({ ...row, n: Number(row.n), below: Number(row.below) })), total: total.rows.map((row) => Number(row.total)) };
}

beforeAll(async () => {
  db = await createTestDatabase();
  api = await buildTestApi({ databaseUrl: db.url, clock });
  videos = createVideoRepository({ db: db.kysely, clock });
  channels = createFollowedChannelRepository({ db: db.kysely, clock });
  const tea = await createSearchQueryRepository({ db: db.kysely, clock }).follow('tea');
  // Stored before A is followed (counted when it is followed), some through a query.
  await storeVideos(A, 9, 0);
  await storeVideos(A, 4, 30, tea.id);
  await storeVideos(B, 7, 2);
  await follow(A, 'alpha');
  // Stored after (counted by the writers), one re-stored with a later publish time (moves hours).
  const later = await storeVideos(A, 8, 10);
  const moved = { ...later[2]!, publishedAt: new Date(later[2]!.publishedAt.getTime() + 7 * HOUR) };
  await videos.upsertBatch([moved]);
  stored.push(moved);
  await storeVideos(CHANNELS[2], 5, 1);
});

afterAll(async () => {
  await api.close();
  await db.drop();
});

describe('GET /getData?channel=', () => {
  it("lists the followed channel's videos newest first with the established contract and true totals", async () => {
    const ids = expected(A);
    expect(ids).toHaveLength(21);
    const { status, body } = await getData(`?channel=${A}&limit=5`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ isError: false, pageNo: 1, limit: 5, totalCount: 21, totalPages: 5 });
    expect(body.videos.map((video) => video.video_id)).toEqual(ids.slice(0, 5));
    expect(new Set(body.videos.map((video) => video.channel_id))).toEqual(new Set([A]));
  });

  it('pages through every video once at every limit, by id or by @handle (any case)', async () => {
    for (const limit of [1, 2, 3, 4, 7, 20, 100]) {
      const { ids, totals } = await walk(limit % 2 === 0 ? '@Alpha' : A, limit);
      expect(ids).toEqual(expected(A));
      expect(totals).toEqual(new Set([21]));
    }
  });

  it('answers a page past the end with an empty list and the true totals', async () => {
    const { status, body } = await getData(`?channel=${A}&limit=10&pageNo=4`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ pageNo: 4, totalCount: 21, totalPages: 3, videos: [] });
  });

  it('keeps counts a rebuild from the tables agrees with', async () => {
    const followed = (await channels.findByChannelId(A))!;
    const maintained = await countsOf(followed.id);
    expect(maintained.total).toEqual([21]);
    await videos.rebuildCounts();
    expect(await countsOf(followed.id)).toEqual(maintained);
  });

  it('refuses, naming channel, a channel not followed, a malformed one, and channel with query', async () => {
    const unknown = await getData(`?channel=${B}`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/channel/);
    expect(unknown.body.message).toMatch(/not a followed channel/);
    const malformed = await getData(`?channel=${encodeURIComponent('not a channel')}`);
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/channel must be a channel id/);
    const both = await getData(`?channel=${A}&query=tea`);
    expect(both.status).toBe(400);
    expect(both.body.message).toMatch(/channel and query cannot be combined/);
    const tooLong = await getData(`?channel=${'U'.repeat(65)}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toMatch(/channel/);
  });

  it('counts a channel from when it is followed, stops when it is removed, and counts it again when followed anew', async () => {
    const beta = await follow(B, 'beta');
    await storeVideos(B, 3, 40);
    clock.advance(60_000);
    expect((await walk(B, 4)).ids).toEqual(expected(B));
    expect((await getData(`?channel=${B}`)).body.totalCount).toBe(10);

    expect(await channels.remove(beta.id)).toBe(true);
    expect((await countsOf(beta.id)).total).toEqual([]);
    await storeVideos(B, 2, 50);
    clock.advance(60_000);
    expect((await getData(`?channel=${B}`)).status).toBe(400);

    const again = await follow(B, 'beta');
    expect(again.id).not.toBe(beta.id);
    clock.advance(60_000);
    expect((await walk(B, 3)).ids).toEqual(expected(B));
    expect((await getData(`?channel=${B}`)).body.totalCount).toBe(12);
  });
});

describe('following a channel while its videos are being stored', () => {
  it('counts every video exactly once and in its hour, whichever commits first', async () => {
    // Each round: a new channel is followed while several writers store its videos (some
    // batches shared by two writers). The maintained count must equal the table's.
    for (let round = 0; round < 6; round++) {
      const channelId = `UCrace${String(round).padStart(2, '0')}${'x'.repeat(16)}`;
      await storeVideos(channelId, 3, 60 + round);
      const batches = Array.from({ length: 6 }, (_, w) =>
        Array.from({ length: 4 }, (_, i) =>
          videoInput({ videoId: fakeVideoId(20_000 + round * 100 + ((w * 4 + i) % 18)), channelId, publishedAt: new Date(Date.UTC(2024, 5, 1) + (w * 4 + i) * 20 * 60_000) }),
        ),
      );
      const [followed] = await Promise.all([
        follow(channelId, `race${round}`),
        ...batches.map((batch) => videos.upsertBatch(batch)),
      ]);
      const table = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM videos WHERE channel_id = ${channelId}`.execute(db.kysely);
      const counts = await countsOf(followed.id);
      expect(counts.total).toEqual([Number(table.rows[0]!.n)]);
      expect(counts.buckets.reduce((sum, bucket) => sum + bucket.n, 0)).toBe(Number(table.rows[0]!.n));
      // Every video's counts too: a video inserted by one writer and moved to another hour by
      // a second writer at the same time is counted in its final hour.
      const all = await countsOf(0, 0);
      await videos.rebuildCounts();
      expect(await countsOf(followed.id)).toEqual(counts);
      expect(await countsOf(0, 0)).toEqual(all);
    }
  });
});

describe("a channel feed's statements", () => {
  it('read the channel index in feed order: no filesort, no scan of other channels', async () => {
    // 4,000 more videos over 40 channels, so the plan is the optimiser's real choice.
    const now = new Date('2024-06-01T00:00:00Z');
    for (let start = 0; start < 4000; start += 500) {
      const rows = Array.from({ length: 500 }, (_, k) => {
        const i = start + k;
        return {
          video_id: `e${i.toString().padStart(10, '0')}`,
          title: `Video ${i}`,
          description: 'd',
          channel_id: `UCexplain${String(i % 40).padStart(2, '0')}${'y'.repeat(13)}`,
          channel_title: 'c',
          published_at: new Date(now.getTime() - (i % 1000) * HOUR),
          first_seen_at: now,
          updated_at: now,
          live_broadcast_content: 'none',
        };
      });
      await db.kysely.insertInto('videos').values(rows).execute();
    }
    const followed = await follow(`UCexplain07${'y'.repeat(13)}`, 'explain');
    await sql`ANALYZE TABLE videos`.execute(db.kysely);
    const statements: CompiledQuery[] = [];
    const logged = new Kysely<Database>({
      dialect: new MysqlDialect({ pool: createPool({ ...poolOptionsFromUrl(db.url), connectionLimit: 1, timezone: 'Z' }) }),
      log: (event) => {
        if (event.level === 'query') statements.push(event.query);
      },
    });
    try {
      const repository = createVideoRepository({ db: logged, clock });
      const scope = channelScope(followed.id);
      const first = await repository.newest(scope, 10);
      expect(first.total).toBe(100);
      const deep = await repository.pageByOffset(scope, 60, 10);
      expect(deep.videos).toHaveLength(10);
      const reads = statements.filter((statement) => /from `videos`/i.test(statement.sql) && /order by/i.test(statement.sql));
      expect(reads.length).toBeGreaterThanOrEqual(2);
      for (const statement of reads) {
        const plan = await db.kysely.executeQuery<{ table: string; key: string | null; rows: number; Extra: string | null }>(
          CompiledQuery.raw(`EXPLAIN ${statement.sql}`, [...statement.parameters]),
        );
        // The channel's listed videos in feed order: (channel_id, available, published_at, id).
        const videosRead = plan.rows.find((row) => row.key !== null && row.key.startsWith('videos_channel'));
        expect(videosRead?.key, statement.sql).toBe('videos_channel_listed_idx');
        expect(plan.rows.some((row) => /filesort/i.test(row.Extra ?? '') && row.key === 'videos_channel_listed_idx'), statement.sql).toBe(false);
        expect(Math.max(...plan.rows.map((row) => Number(row.rows ?? 0))), statement.sql).toBeLessThan(1000);
      }
    } finally {
      await logged.destroy();
    }
  });
});
