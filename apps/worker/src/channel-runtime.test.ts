// The worker as deployed with YOUTUBE_CHANNELS, against the simulator on the real clock: the
// configured channels (an @handle and an id) are resolved at boot and their uploads stored by
// the poll-channels queue's scheduler; after a restart there is still one scheduler, nothing is
// stored twice, and no job holds a key.
import { afterEach, describe, expect, it } from 'vitest';
import {
  CHANNEL_QUEUE,
  bullPrefix,
  channelFeed,
  channelScope,
  createChannelQueue,
  createDb,
  decodeSnapshot,
  dropDatabase,
  snapshotKey,
  systemClock,
  type Config,
} from '@tubefeed/core';
import { clearRedisPrefix, createTestRedis, silentLogger, testConfig, until } from '@tubefeed/core/testing';
import { createYoutubeSimulator } from '@tubefeed/youtube-sim';
import { startWorkerRuntime } from './worker-runtime.js';

const FAST_RETRY = { retries: 1, minDelayMs: 10, maxDelayMs: 20 };
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

describe('followed channels in the worker', () => {
  it('follows YOUTUBE_CHANNELS at boot and stores their uploads once, across a restart, with one scheduler', async () => {
    // The simulator keeps publishing on the real clock: a channel may upload while the test runs.
    const sim = createYoutubeSimulator({ seed: 9, maxIndexDelayMs: 0, historyMs: 3 * 3_600_000, queries: [{ q: 'tea', publishIntervalMs: 60_000 }] });
    const url = await sim.listen();
    cleanups.push(() => sim.close());
    const [a, b] = sim.channels();
    const config: Config = testConfig({
      YOUTUBE_API_KEYS: sim.apiKeys().join(','),
      YOUTUBE_API_ROOT: `${url}/`,
      SEARCH_QUERIES: 'cricket',
      YOUTUBE_CHANNELS: `${b!.handle},${a!.channelId}`,
      CHANNEL_POLL_INTERVAL_MS: '10000',
    });
    const redis = createTestRedis();
    cleanups.push(async () => {
      await clearRedisPrefix(redis, config.redis.prefix);
      redis.disconnect();
      await dropDatabase(config.mysql.url);
    });
    const start = async () => {
      const runtime = await startWorkerRuntime({ config, log: silentLogger, clock: systemClock, retry: FAST_RETRY });
      cleanups.push(() => runtime.close(5000));
      return runtime;
    };
    const db = createDb(config.mysql);
    cleanups.push(() => db.close());
    const uploads = (channelId: string) => sim.groundTruth('tea').filter((v) => v.channelId === channelId);
    const stored = async (channelId: string) => (await db.kysely.selectFrom('videos').select('video_id').where('channel_id', '=', channelId).orderBy('video_id').execute()).map((v) => v.video_id);
    const events = async (channelId: string) =>
      Number((await db.kysely.selectFrom('feed_events').select((eb) => eb.fn.countAll<number>().as('n')).where('feed', '=', channelFeed(channelId)).executeTakeFirstOrThrow()).n);

    const first = await start();
    const followed = await db.kysely.selectFrom('followed_channels').select(['channel_id', 'origin', 'handle']).orderBy('channel_id').execute();
    expect(followed).toEqual(
      [
        { channel_id: a!.channelId, origin: 'config', handle: a!.handle.slice(1) },
        { channel_id: b!.channelId, origin: 'config', handle: b!.handle.slice(1) },
      ].sort((x, y) => x.channel_id.localeCompare(y.channel_id)),
    );
    for (const channel of [a!, b!]) {
      const expected = uploads(channel.channelId).map((v) => v.videoId);
      expect(expected.length).toBeGreaterThan(0);
      await until(`the uploads of ${channel.channelId}`, async () => {
        const have = new Set(await stored(channel.channelId));
        return expected.every((id) => have.has(id)) ? true : undefined;
      }, 20_000);
    }
    const lookups = sim.calls().filter((c) => c.endpoint === 'channels.list');
    expect(lookups).toHaveLength(2);

    // Page 1 of each channel's own feed (/getData?channel=) is rebuilt by the worker from what
    // it stored: the snapshot in Redis lists the channel's newest videos with its true total.
    for (const channel of [a!, b!]) {
      const { id } = await db.kysely.selectFrom('followed_channels').select('id').where('channel_id', '=', channel.channelId).executeTakeFirstOrThrow();
      await until(`page 1 of ${channel.channelId}'s feed`, async () => {
        const raw = await redis.get(snapshotKey(config.redis.prefix, channelScope(id)));
        if (raw === null) return undefined;
        const snapshot = decodeSnapshot(raw);
        const have = await stored(channel.channelId);
        const listed = snapshot.videos.map((line) => (JSON.parse(line) as { video_id: string }).video_id);
        return snapshot.total === have.length && listed.length === Math.min(have.length, 100) && listed.every((videoId) => have.includes(videoId)) ? true : undefined;
      }, 20_000);
    }

    // A restart: the table says what is followed, nothing is looked up or stored again.
    await first.close(5000);
    await start();
    const queue = createChannelQueue(redis, bullPrefix(config.redis.prefix), silentLogger);
    cleanups.push(() => queue.close());
    await until('a tick after the restart', async () => ((await queue.getCompleted()).length >= 3 ? true : undefined), 20_000);
    expect(await queue.getJobSchedulersCount()).toBe(1);
    expect(sim.calls().filter((c) => c.endpoint === 'channels.list')).toHaveLength(2);
    for (const channel of [a!, b!]) {
      const now = new Set(uploads(channel.channelId).map((v) => v.videoId));
      const have = await stored(channel.channelId);
      expect(have.every((id) => now.has(id))).toBe(true);
      // Each stored once: one event per video in the channel's feed.
      expect(await events(channel.channelId)).toBe(have.length);
    }
    for (const job of await queue.getJobs(['completed', 'failed', 'delayed', 'waiting'])) {
      expect(job.queueName).toBe(CHANNEL_QUEUE);
      for (const key of sim.apiKeys()) expect(JSON.stringify({ data: job.data, result: job.returnvalue as unknown })).not.toContain(key);
    }
  }, 60_000);
});
