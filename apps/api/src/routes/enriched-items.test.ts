// The listing items once videos.list has told of their videos: /getData (page 1 from the
// worker's snapshot, deeper pages from MySQL), /videos and /videos/search serve the details
// stored with each video (its JSON rendered again with them), page 1 as soon as the worker
// rebuilds the snapshots of the scopes the store named (what the enrichment job does after a
// run, apps/worker/src/jobs/enrich-videos.job.ts), and a video YouTube no longer returns is
// left out of /videos unless asked for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ManualClock,
  createSearchQueryRepository,
  createSnapshotWriter,
  createVideoDetailsRepository,
  createVideoRepository,
  type VideoDetails,
  type VideoInput,
} from '@tubefeed/core';
import type { VideoJson } from '@tubefeed/core/response-schemas';
import { clearRedisPrefix, createTestDatabase, createTestRedis, fakeVideoId, until, videoInput, type TestDatabase } from '@tubefeed/core/testing';
import { buildTestApi, type TestApi } from '../testing/test-api.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
const redis = createTestRedis();
let db: TestDatabase;
let api: TestApi;
const stored: VideoInput[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  api = await buildTestApi({ databaseUrl: db.url, clock });
  const videos = createVideoRepository({ db: db.kysely, clock });
  const tea = await createSearchQueryRepository({ db: db.kysely, clock }).follow('tea');
  for (let i = 0; i < 12; i++) {
    const video = videoInput({ videoId: fakeVideoId(700 + i), title: `tea video ${i}`, description: 'a snippet, cut…', publishedAt: new Date(Date.UTC(2024, 4, 1, i)) });
    stored.push(video);
    await videos.upsertBatch([video], i % 2 === 0 ? { queryId: tea.id } : {});
  }
});
afterAll(async () => {
  await api.close();
  await clearRedisPrefix(redis, api.config.redis.prefix);
  redis.disconnect();
  await db.drop();
});

const get = async <T>(url: string): Promise<T> => {
  const response = await api.app.inject({ method: 'GET', url });
  expect(response.statusCode, url).toBe(200);
  return response.json<T>();
};
const feed = (url: string) => get<{ videos: VideoJson[] }>(url).then((body) => body.videos);
const list = (url: string) => get<{ items: VideoJson[] }>(url).then((body) => body.items);

function details(videoId: string, overrides: Partial<VideoDetails> = {}): VideoDetails {
  return {
    videoId,
    descriptionFull: 'The whole description, "quoted", with 🍵 and a\nsecond line.',
    tags: ['tea "quoted"', '🍵'],
    categoryId: '26',
    defaultLanguage: 'en',
    durationS: 754,
    definition: 'hd',
    hasCaptions: true,
    madeForKids: false,
    viewCount: 1_234_567,
    likeCount: null,
    commentCount: 12,
    liveState: 'none',
    scheduledStartAt: null,
    actualStartAt: null,
    actualEndAt: null,
    ...overrides,
  };
}

describe('listing items after enrichment', () => {
  it('serve the details on /videos, /videos/search and page 1 of /getData once the snapshots are rebuilt', async () => {
    const newest = stored[11]!; // not linked to the query
    const teaNewest = stored[10]!; // linked
    const gone = stored[9]!;
    // Page 1 read and cached by the API (from MySQL: no snapshot yet), and a snapshot written.
    const writer = createSnapshotWriter({ redis, prefix: api.config.redis.prefix, videos: createVideoRepository({ db: db.kysely, clock }), now: () => clock.now() });
    await writer.refresh([0]);
    expect((await feed('/getData?limit=5'))[0]).toMatchObject({ video_id: newest.videoId, view_count: null, details_updated_at: null, available: true });
    expect((await feed('/getData?limit=5&query=tea'))[0]).toMatchObject({ video_id: teaNewest.videoId, view_count: null });

    const at = new Date('2024-06-01T00:05:00.000Z');
    const result = await createVideoDetailsRepository({ db: db.kysely }).store({
      at,
      found: [
        { details: details(newest.videoId), dueAt: new Date('2024-06-02T00:00:00Z') },
        {
          details: details(teaNewest.videoId, { liveState: 'live', durationS: 0, scheduledStartAt: new Date('2024-05-31T23:00:00Z'), actualStartAt: new Date('2024-05-31T23:00:05Z') }),
          dueAt: new Date('2024-06-01T00:10:00Z'),
        },
      ],
      missing: [{ videoId: gone.videoId, dueAt: new Date('2024-06-02T00:00:00Z') }],
    });
    const teaId = (await createSearchQueryRepository({ db: db.kysely, clock }).findByText('tea'))!.id;
    expect(result).toMatchObject({ rendered: 3, scopes: [0, teaId] });
    // What the enrichment job does after its run.
    await writer.refresh(result.scopes);

    const enriched = {
      video_id: newest.videoId,
      title: newest.title,
      description: 'The whole description, "quoted", with 🍵 and a\nsecond line.',
      duration_seconds: 754,
      view_count: 1_234_567,
      like_count: null,
      comment_count: 12,
      live_state: 'none',
      scheduled_start_at: null,
      actual_start_at: null,
      actual_end_at: null,
      tags: ['tea "quoted"', '🍵'],
      category_id: '26',
      default_language: 'en',
      definition: 'hd',
      has_captions: true,
      made_for_kids: false,
      available: true,
      unavailable_since: null,
      details_updated_at: at.toISOString(),
    };
    // Page 1 comes from the rebuilt snapshot, announced to the API (pub/sub).
    const pageOne = await until('page 1 with the details', async () => {
      const videos = await feed('/getData?limit=5');
      return videos[0]?.details_updated_at === null ? undefined : videos;
    });
    expect(pageOne[0]).toMatchObject(enriched);
    const teaPage = await until('the query page 1 with the details', async () => {
      const videos = await feed('/getData?limit=5&query=tea');
      return videos[0]?.details_updated_at === null ? undefined : videos;
    });
    expect(teaPage[0]).toMatchObject({ video_id: teaNewest.videoId, live_state: 'live', duration_seconds: 0, actual_start_at: '2024-05-31T23:00:05.000Z', actual_end_at: null });
    // The unavailable video has left the feed and its totals, on page 1 (the snapshot) and on
    // deeper pages (MySQL) alike; it is still stored, marked, and /videos shows it when asked.
    const listedIds = [newest, teaNewest, ...stored.slice(6, 9).reverse()].map((v) => v.videoId);
    expect(pageOne.map((v) => v.video_id)).toEqual(listedIds);
    expect(await get<{ totalCount: number }>('/getData?limit=5')).toMatchObject({ totalCount: stored.length - 1 });
    expect(await feed('/getData?limit=2&pageNo=2')).toEqual(pageOne.slice(2, 4));
    expect(await get<{ totalCount: number }>('/getData?limit=2&pageNo=2')).toMatchObject({ totalCount: stored.length - 1 });

    // /videos and /videos/search: the same items, the unavailable one only when asked for.
    const listed = await list('/videos?limit=5');
    expect(listed.map((v) => v.video_id)).toEqual(listedIds);
    expect(listed).toEqual(pageOne);
    expect(listed[1]).toEqual(teaPage[0]);
    const withUnavailable = await list('/videos?limit=6&includeUnavailable=true');
    expect(withUnavailable[2]).toMatchObject({ video_id: gone.videoId, available: false, unavailable_since: at.toISOString(), view_count: null });
    expect(withUnavailable.filter((v) => v.video_id !== gone.videoId)).toEqual(pageOne);
    const found = await list('/videos/search?q=tea&limit=3&sort=published');
    expect(found.slice(0, 2)).toEqual(listed.slice(0, 2));
  });
});
