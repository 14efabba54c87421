// The `/getData` feeds list the videos YouTube still returns: a video the enrichment finds gone
// leaves every feed that listed it (all videos, its queries', its followed channel's) with the
// counts, and one that comes back returns; nothing is deleted. The maintained counts always
// equal a rebuild from the tables, and each feed's pages walk its listed videos exactly once.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { createTestDatabase, fakeVideoId, videoInput, type TestDatabase } from '../testing/index.js';
import { ALL_VIDEOS_SCOPE, channelScope } from './feed-buckets.js';
import { createFollowedChannelRepository } from './followed-channel-repository.js';
import { createSearchQueryRepository } from './search-query-repository.js';
import { createVideoDetailsRepository } from './video-details-repository.js';
import type { VideoDetails } from './video-details.js';
import { createVideoRepository } from './video-repository.js';
import type { VideoInput } from './video.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
const HOUR = 3_600_000;
const CHANNEL = 'UClisted0000000000000001';
let db: TestDatabase;
let videos: ReturnType<typeof createVideoRepository>;
let details: ReturnType<typeof createVideoDetailsRepository>;
let queryId = 0;
let channelFeedScope = 0;
const stored: VideoInput[] = [];
const gone = new Set<string>();

const foundAgain = (videoId: string): VideoDetails => ({
  videoId,
  descriptionFull: 'd',
  tags: [],
  categoryId: null,
  defaultLanguage: null,
  durationS: 60,
  definition: 'hd',
  hasCaptions: false,
  madeForKids: false,
  viewCount: 1,
  likeCount: 1,
  commentCount: 0,
  liveState: 'none',
  scheduledStartAt: null,
  actualStartAt: null,
  actualEndAt: null,
});

/** Tells the repository what videos.list said: these are gone, those are back. */
async function tell(missing: readonly string[], found: readonly string[] = []) {
  const dueAt = new Date(clock.now().getTime() + HOUR);
  const result = await details.store({ at: clock.now(), found: found.map((id) => ({ details: foundAgain(id), dueAt })), missing: missing.map((videoId) => ({ videoId, dueAt })) });
  for (const id of missing) gone.add(id);
  for (const id of found) gone.delete(id);
  return result;
}

/** A scope's feed read page by page: every listed id, newest first, and the totals seen. */
async function walk(scope: number, limit: number) {
  const ids: string[] = [];
  const totals = new Set<number>();
  for (let offset = 0; ; offset += limit) {
    const slice = await videos.pageByOffset(scope, offset, limit);
    totals.add(slice.total);
    if (slice.videos.length === 0) return { ids, totals };
    const rows = await db.kysely
      .selectFrom('videos')
      .select(['id', 'video_id'])
      .where(
        'id',
        'in',
        slice.videos.map((video) => video.id),
      )
      .execute();
    const byPk = new Map(rows.map((row) => [row.id, row.video_id]));
    ids.push(...slice.videos.map((video) => byPk.get(video.id)!));
  }
}

/** What each feed must list: stored, not gone, in the scope; newest first, later insert first on ties. */
function expected(filter: (video: VideoInput, index: number) => boolean): string[] {
  return stored
    .map((video, index) => ({ video, index }))
    .filter(({ video, index }) => !gone.has(video.videoId) && filter(video, index))
    .sort((a, b) => b.video.publishedAt.getTime() - a.video.publishedAt.getTime() || b.index - a.index)
    .map(({ video }) => video.videoId);
}
/** The videos linked to the query. */
const queryVideos = new Set<string>();
const inQuery = (video: VideoInput) => queryVideos.has(video.videoId);
const ofChannel = (video: VideoInput) => video.channelId === CHANNEL;

async function countsRow(scope: number) {
  const buckets = await sql<{ bucket_start: Date; n: number; below: number }>`
    SELECT bucket_start, n, below FROM feed_buckets WHERE scope = ${scope} ORDER BY bucket_start`.execute(db.kysely);
  const total = await sql<{ total: number }>`SELECT total FROM feed_scopes WHERE scope = ${scope}`.execute(db.kysely);
  return { buckets: buckets.rows.map((row) => [row.bucket_start.toISOString(), Number(row.n), Number(row.below)]), total: Number(total.rows[0]?.total ?? 0) };
}

/** Every feed pages exactly its listed videos, and its counts equal a rebuild's. */
async function expectFeedsRight() {
  const scopes: Array<[number, (video: VideoInput, index: number) => boolean]> = [
    [ALL_VIDEOS_SCOPE, () => true],
    [queryId, inQuery],
    [channelFeedScope, ofChannel],
  ];
  const maintained = [];
  for (const [scope, filter] of scopes) {
    const want = expected(filter);
    for (const limit of [1, 3, 7]) {
      const { ids, totals } = await walk(scope, limit);
      expect(ids, `scope ${scope} limit ${limit}`).toEqual(want);
      expect([...totals], `scope ${scope} limit ${limit}`).toEqual([want.length]);
    }
    maintained.push(await countsRow(scope));
  }
  await videos.rebuildCounts();
  for (const [i, [scope]] of scopes.entries()) expect(await countsRow(scope), `scope ${scope} after a rebuild`).toEqual(maintained[i]);
}

beforeAll(async () => {
  db = await createTestDatabase();
  videos = createVideoRepository({ db: db.kysely, clock });
  details = createVideoDetailsRepository({ db: db.kysely });
  queryId = (await createSearchQueryRepository({ db: db.kysely, clock }).follow('listed')).id;
  const followed = await createFollowedChannelRepository({ db: db.kysely, clock }).follow(
    { channelId: CHANNEL, title: 'Listed', handle: 'listed', uploadsPlaylistId: 'UUlisted0000000000000001' },
    'admin',
  );
  channelFeedScope = channelScope(followed.id);
  for (let i = 0; i < 24; i++) {
    const video = videoInput({
      videoId: fakeVideoId(700 + i),
      channelId: i % 3 === 0 ? CHANNEL : 'UCother00000000000000001',
      publishedAt: new Date(Date.UTC(2024, 4, 1) + Math.floor(i / 2) * HOUR + (i % 2) * 60_000),
    });
    stored.push(video);
    if (i % 2 === 0) queryVideos.add(video.videoId);
    await videos.upsertBatch([video], inQuery(video) ? { queryId } : {});
  }
});

afterAll(async () => {
  await db.drop();
});

describe('feeds of listed videos', () => {
  it('leave out what YouTube no longer returns, in every feed and its totals, and take back what returns', async () => {
    await expectFeedsRight();
    // Gone: one in every feed, one of the query's, one of the channel's, one in no narrower feed.
    const goneNow = [stored[0]!, stored[4]!, stored[9]!, stored[13]!].map((video) => video.videoId);
    const first = await tell(goneNow);
    expect(first.scopes).toEqual([ALL_VIDEOS_SCOPE, queryId, channelFeedScope]);
    await expectFeedsRight();
    expect(await walk(ALL_VIDEOS_SCOPE, 100)).toMatchObject({ totals: new Set([20]) });
    // Still stored, marked.
    expect(await db.kysely.selectFrom('videos').select('video_id').where('available', '=', 0).orderBy('video_id').execute()).toHaveLength(4);

    // Told again that they are gone: nothing moves.
    clock.advance(HOUR);
    await tell(goneNow);
    await expectFeedsRight();

    // Two come back (made public again).
    clock.advance(HOUR);
    await tell([], [goneNow[0]!, goneNow[2]!]);
    await expectFeedsRight();
    expect(await walk(ALL_VIDEOS_SCOPE, 100)).toMatchObject({ totals: new Set([22]) });
  });

  it('keep an unlisted video out when a search stores it again, moved to another hour, or finds it for a query anew', async () => {
    const hidden = stored[13]!;
    expect(gone.has(hidden.videoId)).toBe(true);
    const moved = { ...hidden, publishedAt: new Date(hidden.publishedAt.getTime() + 5 * HOUR) };
    const index = stored.indexOf(hidden);
    stored[index] = moved;
    // Found by the query now (index 13 was not the query's): linked, but not listed.
    expect(inQuery(moved)).toBe(false);
    await videos.upsertBatch([moved], { queryId });
    queryVideos.add(moved.videoId);
    const link = await db.kysely
      .selectFrom('video_queries')
      .select('available')
      .where('query_id', '=', queryId)
      .where('video_pk', '=', (eb) => eb.selectFrom('videos').select('id').where('video_id', '=', moved.videoId))
      .executeTakeFirst();
    expect(link).toEqual({ available: 0 });
    await expectFeedsRight();
    // Back: listed in its new hour, in the query's feed too.
    await tell([], [moved.videoId]);
    expect((await walk(queryId, 100)).ids).toContain(moved.videoId);
    await expectFeedsRight();
  });
});
