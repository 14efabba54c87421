import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { createChannelSubscriber, type ChannelState, type ChannelSubscriber } from '../platform/redis/channel-subscriber.js';
import { createRedis, type RedisClient } from '../platform/redis/create-redis.js';
import { createSearchQueryRepository } from '../catalog/search-query-repository.js';
import {
  clearRedisPrefix,
  createTestDatabase,
  createTestRedis,
  silentLogger,
  testRedisUrl,
  uniqueName,
  until,
  videoInput,
  type TestDatabase,
} from '../testing/index.js';
import { ALL_VIDEOS_SCOPE } from '../catalog/feed-buckets.js';
import type { FeedLayout } from '../catalog/feed-layout.js';
import { createFeedService } from './feed-service.js';
import { createVideoRepository } from '../catalog/video-repository.js';
import { buildSnapshot, createSnapshotWriter, encodeSnapshot, snapshotChannel, snapshotKey, type FeedSnapshot } from './feed-snapshot.js';
import { MAX_BODIES_PER_SCOPE, createSnapshotCache } from './snapshot-cache.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
const prefix = uniqueName('snap');
let db: TestDatabase;
const redis = createTestRedis();
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
  await db.drop();
});

const videosRepo = () => createVideoRepository({ db: db.kysely, clock });
const writer = () => createSnapshotWriter({ redis, prefix, videos: videosRepo(), now: () => clock.now() });

type Channels = Pick<ChannelSubscriber, 'on' | 'onState' | 'state'>;

/** A started cache on a pub/sub connection of its own (subscribed), or on the channels given. */
async function cacheWith(
  fromDatabase: (scope: number) => Promise<FeedSnapshot>,
  options: {
    redis?: RedisClient;
    channels?: Channels;
    layoutFromDatabase?: (scope: number) => Promise<FeedLayout | null>;
    /** Sees each notice on the real subscriber's connection, after the cache has. */
    onNotice?: (message: string) => void;
  } = {},
) {
  let channels = options.channels;
  let subscriber: ChannelSubscriber | undefined;
  if (channels === undefined) {
    subscriber = createChannelSubscriber({ redis: { url: testRedisUrl(), prefix }, log: silentLogger });
    if (options.onNotice !== undefined) subscriber.on(snapshotChannel(prefix), options.onNotice);
    channels = subscriber;
    closers.push(() => subscriber?.close());
  }
  const cache = createSnapshotCache({
    redis: options.redis ?? redis,
    channels,
    prefix,
    clock,
    log: silentLogger,
    fromDatabase,
    ...(options.layoutFromDatabase === undefined ? {} : { layoutFromDatabase: options.layoutFromDatabase }),
  });
  closers.push(() => cache.stop());
  cache.start();
  if (subscriber !== undefined) {
    subscriber.start();
    expect(await subscriber.settledState(5000)).toBe('up');
  }
  return cache;
}

/** Channels whose state the test sets, for what the cache does on each transition. */
function manualChannels(initial: ChannelState): Channels & { set(state: ChannelState): void } {
  let state = initial;
  const listeners = new Set<(state: ChannelState) => void>();
  return {
    on: () => () => undefined,
    onState: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    state: () => state,
    set(next) {
      state = next;
      for (const listener of listeners) listener(next);
    },
  };
}

describe('page-1 snapshot', () => {
  it('serves every limit from the snapshot, byte for byte what the database path answers', async () => {
    await writer().refresh([ALL_VIDEOS_SCOPE]);
    const cache = await cacheWith(() => Promise.reject(new Error('the database must not be used')));
    const dbPath = createFeedService({ videos: videosRepo(), queries: createSearchQueryRepository({ db: db.kysely, clock }), clock });
    for (const limit of [1, 7, 10, 50, 100]) {
      const served = await cache.pageOne(ALL_VIDEOS_SCOPE, limit);
      expect(served.source).toBe('snapshot');
      expect(served.body.toString()).toBe((await dbPath.pageBody(ALL_VIDEOS_SCOPE, 1, limit)).toString());
    }
    const body = JSON.parse((await cache.pageOne(ALL_VIDEOS_SCOPE, 100)).body.toString()) as { totalCount: number; videos: unknown[] };
    expect(body.totalCount).toBe(130);
    expect(body.videos).toHaveLength(100);
  });

  it('reuses the same body and ETag while nothing changes, and picks up a new snapshot at once', async () => {
    await writer().refresh([ALL_VIDEOS_SCOPE]);
    const cache = await cacheWith(() => Promise.reject(new Error('unexpected')));
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
    const cache = await cacheWith(() => Promise.reject(new Error('unexpected')));
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
    expect(await redis.del(snapshotKey(prefix, ALL_VIDEOS_SCOPE))).toBe(1);
    let loads = 0;
    const cache = await cacheWith(async (scope) => {
      loads++;
      return buildSnapshot(videosRepo(), scope, clock.now());
    });
    const served = await Promise.all(Array.from({ length: 25 }, () => cache.pageOne(ALL_VIDEOS_SCOPE, 10)));
    expect(loads).toBe(1);
    expect(new Set(served.map((s) => s.source))).toEqual(new Set(['database']));
  });

  it('falls back to the database when Redis cannot be reached', async () => {
    const deadRedis = createRedis({ url: 'redis://127.0.0.1:1', prefix }, 'command', silentLogger);
    closers.push(() => deadRedis.disconnect());
    const cache = await cacheWith((scope) => buildSnapshot(videosRepo(), scope, clock.now()), { redis: deadRedis, channels: manualChannels('down') });
    const served = await cache.pageOne(ALL_VIDEOS_SCOPE, 5);
    expect(served.source).toBe('database');
    expect((JSON.parse(served.body.toString()) as { videos: unknown[] }).videos).toHaveLength(5);
  });
});

describe('page-1 snapshot while the change channel is down', () => {
  /** Stores a newer video and its snapshot without announcing it: a notice this process misses. */
  async function changeUnannounced(title: string): Promise<void> {
    await videosRepo().upsertBatch([videoInput({ title, publishedAt: clock.now() })]);
    await redis.set(snapshotKey(prefix, ALL_VIDEOS_SCOPE), encodeSnapshot(await buildSnapshot(videosRepo(), ALL_VIDEOS_SCOPE, clock.now())));
  }
  const newestTitle = (served: { body: Buffer }) => (JSON.parse(served.body.toString()) as { videos: Array<{ title: string }> }).videos[0]!.title;

  it('lets no entry outlive the untrusted time to live, also one loaded while the channel was up', async () => {
    await writer().refresh([ALL_VIDEOS_SCOPE]);
    const channels = manualChannels('up');
    const cache = await cacheWith(() => Promise.reject(new Error('unexpected')), { channels });
    const before = await cache.pageOne(ALL_VIDEOS_SCOPE, 10);
    channels.set('down');
    clock.advance(1);
    await changeUnannounced('Missed while down');
    expect(await cache.pageOne(ALL_VIDEOS_SCOPE, 10)).toBe(before);
    // Loaded while up it was meant to live 30 s; with the channel down, one second at most.
    clock.advance(1000);
    expect(newestTitle(await cache.pageOne(ALL_VIDEOS_SCOPE, 10))).toBe('Missed while down');
  });

  it('drops every entry when the channel is up again: a notice may have been missed meanwhile', async () => {
    await writer().refresh([ALL_VIDEOS_SCOPE]);
    const channels = manualChannels('down');
    const cache = await cacheWith(() => Promise.reject(new Error('unexpected')), { channels });
    const before = await cache.pageOne(ALL_VIDEOS_SCOPE, 10);
    clock.advance(1);
    await changeUnannounced('Missed before the channel came back');
    expect(await cache.pageOne(ALL_VIDEOS_SCOPE, 10)).toBe(before);
    channels.set('up');
    expect(newestTitle(await cache.pageOne(ALL_VIDEOS_SCOPE, 10))).toBe('Missed before the channel came back');
  });
});

describe('the layout of deeper pages', () => {
  it('is read once per change of the scope; located pages are byte for byte what the two-statement path answers', async () => {
    let loads = 0;
    const notices: string[] = [];
    const cache = await cacheWith(() => Promise.reject(new Error('unexpected')), {
      layoutFromDatabase: (scope) => {
        loads++;
        return videosRepo().layout(scope);
      },
      onNotice: (message) => notices.push(message),
    });
    // The snapshot is written once the cache listens, and its notice received before anything is
    // counted: on a Redis Cluster a notice published just before a subscription can still reach
    // it afterwards (the cluster bus carries it late), and would drop the layout mid-count.
    await writer().refresh([ALL_VIDEOS_SCOPE]);
    await until('the refresh notice', () => (notices.length > 0 ? true : undefined));
    const queries = createSearchQueryRepository({ db: db.kysely, clock });
    const located = createFeedService({ videos: videosRepo(), queries, clock, snapshots: cache });
    const dbPath = createFeedService({ videos: videosRepo(), queries, clock });
    const pages = async () => {
      const total = (JSON.parse((await dbPath.pageBody(ALL_VIDEOS_SCOPE, 1, 1)).toString()) as { totalCount: number }).totalCount;
      for (const limit of [1, 9, 50]) {
        for (let pageNo = 2; (pageNo - 2) * limit <= total; pageNo++) {
          const [ours, theirs] = await Promise.all([located.getPage({ pageNo, limit }), dbPath.getPage({ pageNo, limit })]);
          expect(ours.body.toString(), `limit ${limit} page ${pageNo}`).toBe(theirs.body.toString());
          expect(ours.etag).toBe(theirs.etag);
        }
      }
      return total;
    };
    const total = await pages();
    expect(loads).toBe(1);

    // A change the worker announces: the layout is read again once, and the pages follow.
    await videosRepo().upsertBatch([videoInput({ title: 'Deep change', publishedAt: new Date(Date.UTC(2024, 4, 1) + 30 * 60_000 + 1) })]);
    await writer().refresh([ALL_VIDEOS_SCOPE]);
    const changed = await until('the announced change to reach the layout', async () => {
      const page = JSON.parse((await located.getPage({ pageNo: 2, limit: 1 })).body.toString()) as { totalCount: number };
      return page.totalCount === total + 1 ? page : undefined;
    });
    expect(changed.totalCount).toBe(total + 1);
    expect(await pages()).toBe(total + 1);
    expect(loads).toBe(2);
  });
});
