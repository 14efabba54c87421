import { type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { createRedis } from '../redis/create-redis.js';
import { createSearchQueryRepository } from '../queries/search-query-repository.js';
import {
  clearRedisPrefix,
  createTestDatabase,
  createTestRedis,
  silentLogger,
  testRedisUrl,
  uniqueName,
  videoInput,
  type TestDatabase,
} from '../testing/index.js';
import { ALL_VIDEOS_SCOPE } from '../videos/feed-buckets.js';
import { createFeedService } from '../videos/feed-service.js';
import { createVideoRepository } from '../videos/video-repository.js';
import { buildSnapshot, createSnapshotWriter, type FeedSnapshot } from './feed-snapshot.js';
import { MAX_BODIES_PER_SCOPE, createSnapshotCache } from './snapshot-cache.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
const prefix = uniqueName('snap');
let db: TestDatabase;
const redis = createTestRedis();
const subscriber = createRedis({ url: testRedisUrl(), prefix }, 'subscriber', silentLogger);
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  db = await createTestDatabase();
  const videos = createVideoRepository({ db: db.kysely, clock });
  const batch = Array.from({ length: 130 }, (_, i) =>
    videoInput({ title: i === 3 ? 'Tom & Jerry <b>"quoted"</b> it\'s 🍵' : `Video ${i}`, publishedAt: new Date(Date.UTC(2024, 4, 1) + i * 60_000) }),
  );
  await videos.upsertBatch(batch);
});
afterAll(async () => {
  for (const close of closers) await close();
  await clearRedisPrefix(redis, prefix);
  redis.disconnect();
  subscriber.disconnect();
  await db.drop();
});

const videosRepo = () => createVideoRepository({ db: db.kysely, clock });
const writer = () => createSnapshotWriter({ redis, prefix, videos: videosRepo(), now: () => clock.now() });

function cacheWith(fromDatabase: (scope: number) => Promise<FeedSnapshot>, options: { redis?: Redis } = {}) {
  const cache = createSnapshotCache({ redis: options.redis ?? redis, subscriber, prefix, clock, log: silentLogger, fromDatabase });
  closers.push(() => cache.stop());
  return cache;
}

describe('page-1 snapshot', () => {
  it('serves every limit from the snapshot, byte for byte what the database path answers', async () => {
    await writer().refresh([ALL_VIDEOS_SCOPE]);
    const cache = cacheWith(() => Promise.reject(new Error('the database must not be used')));
    cache.start();
    const dbPath = createFeedService({ videos: videosRepo(), queries: createSearchQueryRepository({ db: db.kysely, clock }), clock });
    for (const limit of [1, 7, 10, 50, 100]) {
      const served = await cache.pageOne(ALL_VIDEOS_SCOPE, limit);
      expect(served.source).toBe('snapshot');
      expect(served.body.toString()).toBe(await dbPath.pageBody(ALL_VIDEOS_SCOPE, 1, limit));
    }
    const body = JSON.parse((await cache.pageOne(ALL_VIDEOS_SCOPE, 100)).body.toString()) as { totalCount: number; videos: unknown[] };
    expect(body.totalCount).toBe(130);
    expect(body.videos).toHaveLength(100);
  });

  it('reuses the same body and ETag while nothing changes, and picks up a new snapshot at once', async () => {
    await writer().refresh([ALL_VIDEOS_SCOPE]);
    const cache = cacheWith(() => Promise.reject(new Error('unexpected')));
    cache.start();
    const first = await cache.pageOne(ALL_VIDEOS_SCOPE, 10);
    expect(await cache.pageOne(ALL_VIDEOS_SCOPE, 10)).toBe(first);
    const fresh = videoInput({ title: 'Brand new', publishedAt: '2024-06-01T00:00:00Z' });
    await videosRepo().upsertBatch([fresh]);
    await writer().refresh([ALL_VIDEOS_SCOPE]);
    let next = first;
    for (let i = 0; i < 100 && next === first; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      next = await cache.pageOne(ALL_VIDEOS_SCOPE, 10);
    }
    expect(next.etag).not.toBe(first.etag);
    const body = JSON.parse(next.body.toString()) as { totalCount: number; videos: Array<{ video_id: string }> };
    expect(body.videos[0]!.video_id).toBe(fresh.videoId);
    expect(body.totalCount).toBe(131);
  });

  it('keeps a bounded number of finished bodies per scope, whatever limits clients ask for', async () => {
    await writer().refresh([ALL_VIDEOS_SCOPE]);
    const cache = cacheWith(() => Promise.reject(new Error('unexpected')));
    cache.start();
    const first = await cache.pageOne(ALL_VIDEOS_SCOPE, 10);
    for (let limit = 1; limit < MAX_BODIES_PER_SCOPE; limit++) await cache.pageOne(ALL_VIDEOS_SCOPE, limit);
    // Within the bound the finished body is reused as it is...
    expect(await cache.pageOne(ALL_VIDEOS_SCOPE, 10)).toBe(first);
    for (let limit = 11; limit <= 100; limit++) await cache.pageOne(ALL_VIDEOS_SCOPE, limit);
    // ...past it the oldest went, and is built again: the same bytes and ETag, a new buffer.
    const again = await cache.pageOne(ALL_VIDEOS_SCOPE, 10);
    expect(again).not.toBe(first);
    expect(again.body.equals(first.body)).toBe(true);
    expect(again.etag).toBe(first.etag);
  });

  it('falls back to the database when there is no snapshot, with one query for many concurrent requests', async () => {
    await redis.del(`${prefix}:feed:snapshot:${ALL_VIDEOS_SCOPE}`);
    let loads = 0;
    const cache = cacheWith(async (scope) => {
      loads++;
      return buildSnapshot(videosRepo(), scope, clock.now());
    });
    cache.start();
    const served = await Promise.all(Array.from({ length: 25 }, () => cache.pageOne(ALL_VIDEOS_SCOPE, 10)));
    expect(loads).toBe(1);
    expect(new Set(served.map((s) => s.source))).toEqual(new Set(['database']));
  });

  it('falls back to the database when Redis cannot be reached', async () => {
    const deadRedis = createRedis({ url: 'redis://127.0.0.1:1', prefix }, 'command', silentLogger);
    closers.push(() => deadRedis.disconnect());
    const cache = cacheWith((scope) => buildSnapshot(videosRepo(), scope, clock.now()), { redis: deadRedis });
    const served = await cache.pageOne(ALL_VIDEOS_SCOPE, 5);
    expect(served.source).toBe('database');
    expect((JSON.parse(served.body.toString()) as { videos: unknown[] }).videos).toHaveLength(5);
  });
});
