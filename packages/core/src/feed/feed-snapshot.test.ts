import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { createChannelSubscriber, type ChannelSubscriber } from '../platform/redis/channel-subscriber.js';
import { ALL_VIDEOS_SCOPE } from '../catalog/feed-buckets.js';
import { createVideoRepository, type VideoRepository } from '../catalog/video-repository.js';
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
import { createSnapshotWriter, decodeSnapshot, encodeSnapshot, snapshotChannel, snapshotKey } from './feed-snapshot.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
const prefix = uniqueName('snapseq');
let db: TestDatabase;
let subscriber: ChannelSubscriber;
const redis = createTestRedis();
const published: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await createVideoRepository({ db: db.kysely, clock }).upsertBatch([videoInput({ title: 'first', publishedAt: new Date('2024-05-01T00:00:00Z') })]);
  subscriber = createChannelSubscriber({ redis: { url: testRedisUrl(), prefix }, log: silentLogger });
  subscriber.on(snapshotChannel(prefix), (message) => published.push(message));
  subscriber.start();
  expect(await subscriber.settledState(5000)).toBe('up');
});
afterAll(async () => {
  await subscriber.close();
  await clearRedisPrefix(redis, prefix);
  redis.disconnect();
  await db.drop();
});

/** Resolves once `count` announcements arrived (or after a grace period, to prove none came). */
async function announcements(count: number, graceMs = 300): Promise<string[]> {
  const deadline = Date.now() + 1500;
  while (published.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, graceMs));
  return [...published];
}

describe('page-1 snapshot writes', () => {
  it('keeps the snapshot of the later read when an earlier read finishes last, and does not announce the older one', async () => {
    const real = createVideoRepository({ db: db.kysely, clock });
    // Rebuild A reads at once but hands its rows over only when released: a slow MySQL answer.
    let releaseA!: () => void;
    const aHeld = new Promise<void>((resolve) => (releaseA = resolve));
    let aRead!: () => void;
    const aHasRead = new Promise<void>((resolve) => (aRead = resolve));
    const slowVideos: Pick<VideoRepository, 'newest'> = {
      newest: async (scope, limit) => {
        const slice = await real.newest(scope, limit);
        aRead();
        await aHeld;
        return slice;
      },
    };
    const writerA = createSnapshotWriter({ redis, prefix, videos: slowVideos, now: () => clock.now() });
    const writerB = createSnapshotWriter({ redis, prefix, videos: real, now: () => clock.now() });

    const a = writerA.refresh([ALL_VIDEOS_SCOPE]);
    await aHasRead;
    // A video arrives after A read; B starts later, sees it, and stores first.
    await real.upsertBatch([videoInput({ title: 'second', publishedAt: new Date('2024-05-02T00:00:00Z') })]);
    const [fromB] = await writerB.refresh([ALL_VIDEOS_SCOPE]);
    expect(fromB?.total).toBe(2);
    expect(await announcements(1)).toHaveLength(1);

    releaseA();
    const [fromA] = await a;
    expect(fromA?.total).toBe(1);
    expect(fromA?.seq).toBeLessThan(fromB?.seq ?? 0);

    const stored = decodeSnapshot((await redis.get(snapshotKey(prefix, ALL_VIDEOS_SCOPE))) ?? '');
    expect(stored.total).toBe(2);
    expect(stored.version).toBe(fromB?.version);
    expect(stored.seq).toBe(fromB?.seq);
    // Only B's write was announced: A's late one changed nothing.
    expect(await announcements(2)).toEqual([JSON.stringify({ scopes: [ALL_VIDEOS_SCOPE] })]);

    // A rebuild that starts afterwards replaces it as before.
    await real.upsertBatch([videoInput({ title: 'third', publishedAt: new Date('2024-05-03T00:00:00Z') })]);
    await writerA.refresh([ALL_VIDEOS_SCOPE]).catch(() => undefined);
    expect(decodeSnapshot((await redis.get(snapshotKey(prefix, ALL_VIDEOS_SCOPE))) ?? '').total).toBe(3);
    expect(await announcements(2)).toHaveLength(2);
  });

  it('replaces a snapshot written before snapshots carried a seq', async () => {
    const scope = 987_654;
    const legacy = encodeSnapshot({ scope, total: 0, videos: [], version: 'old', generatedAt: clock.now().toISOString() });
    expect(legacy).not.toContain('seq');
    await redis.set(snapshotKey(prefix, scope), legacy);
    const writer = createSnapshotWriter({ redis, prefix, videos: createVideoRepository({ db: db.kysely, clock }), now: () => clock.now() });
    const [built] = await writer.refresh([scope]);
    const stored = decodeSnapshot((await redis.get(snapshotKey(prefix, scope))) ?? '');
    expect(stored.seq).toBe(built?.seq);
    expect(stored.version).toBe(built?.version);
  });
});
