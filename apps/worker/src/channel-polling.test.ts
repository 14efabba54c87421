// Followed channels against the YouTube simulator, real MySQL and Redis, with one fake clock
// shared by the service and the simulator: channels found by id and by @handle (channels.list, 1
// unit, nothing for a channel already known), a channel's whole uploads playlist stored once at
// 1 unit per page of 50, new uploads picked up by the next poll for 1 unit with no old page read
// or stored again, a poll that dies half way read again without duplicates, no call without a
// key, all polls of a day within CHANNEL_UNITS_SHARE of the units, and never a project's reserve
// (ENRICH_UNITS_RESERVE), which stays for calls that take no reserve, such as key checks.
import {
  InvalidRequestError,
  ManualClock,
  channelFeed,
  createChannelAdmin,
  createChannelClient,
  createChannelPacingReader,
  createChannelPollService,
  createChannelResolver,
  createFollowedChannelRepository,
  createKeyPool,
  createVideoRepository,
  staticKeySource,
  type ChannelClient,
  type VideoInput,
} from '@tubefeed/core';
import { clearRedisPrefix, createTestDatabase, createTestRedis, silentLogger, uniqueName, type TestDatabase } from '@tubefeed/core/testing';
import { createYoutubeSimulator, type GroundTruthChannel, type YoutubeSimulator } from '@tubefeed/youtube-sim';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const START = '2024-06-01T20:00:00.000Z'; // 13:00 PDT: 11 hours to the quota reset
const MIN = 60_000;
const HOUR = 60 * MIN;
const INTERVAL = 90_000;
const RETRY = { retries: 0, minDelayMs: 5, maxDelayMs: 10 };

let db: TestDatabase;
const redis = createTestRedis();
let prefix: string;
let sim: YoutubeSimulator;
let url: string;
let clock: ManualClock;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
  redis.disconnect();
});
afterEach(async () => {
  await sim.close();
  await clearRedisPrefix(redis, prefix);
});

async function startWorld(options: { unitsPerDay?: number } = {}): Promise<void> {
  clock = new ManualClock(START);
  prefix = uniqueName('channels');
  sim = createYoutubeSimulator({
    seed: 5,
    clock: { mode: 'manual', now: START },
    maxIndexDelayMs: 0,
    historyMs: 6 * HOUR,
    unitsPerDay: options.unitsPerDay ?? 10_000,
    queries: [{ q: 'tea', publishIntervalMs: MIN }],
  });
  url = await sim.listen();
  for (const table of ['followed_channels', 'video_queries', 'feed_buckets', 'feed_events', 'video_search', 'videos']) await sql`DELETE FROM ${sql.table(table)}`.execute(db.kysely);
}

const advance = (ms: number) => {
  clock.advance(ms);
  sim.setTime(clock.now());
};
const calls = (endpoint: 'channels.list' | 'playlistItems.list') => sim.calls().filter((c) => c.endpoint === endpoint);
/** A channel's public uploads now, as the simulator's ground truth has them (not through the code under test). */
const uploadsOf = (channelId: string) => sim.groundTruth('tea').filter((v) => v.channelId === channelId);
const storedOf = async (channelId: string) =>
  db.kysely.selectFrom('videos').select(['video_id', 'published_at', 'title']).where('channel_id', '=', channelId).orderBy('video_id').execute();
const eventsOf = async (channelId: string) =>
  Number((await db.kysely.selectFrom('feed_events').select((eb) => eb.fn.countAll<number>().as('n')).where('feed', '=', channelFeed(channelId)).executeTakeFirstOrThrow()).n);
/** The simulator's channels, most uploads first. */
const channelsByUploads = (): GroundTruthChannel[] => sim.channels().sort((a, b) => uploadsOf(b.channelId).length - uploadsOf(a.channelId).length);

function services(
  options: { keys?: readonly string[]; share?: number; unitsPerDay?: number; reserveUnits?: number; youtube?: (client: ChannelClient) => ChannelClient } = {},
) {
  const pool = createKeyPool({
    redis,
    prefix,
    source: staticKeySource(options.keys ?? sim.apiKeys().slice(0, 1)),
    clock,
    quota: { searchCallsPerDay: 100, unitsPerDay: options.unitsPerDay ?? 10_000 },
    log: silentLogger,
  });
  const client = createChannelClient({ rootUrl: url, timeoutMs: 2000 });
  const youtube = options.youtube?.(client) ?? client;
  const channels = createFollowedChannelRepository({ db: db.kysely, clock });
  const repository = createVideoRepository({ db: db.kysely, clock });
  /** Every batch handed to upsertBatch, to see what was stored again. */
  const batches: VideoInput[][] = [];
  const videos = {
    upsertBatch: (batch: readonly VideoInput[], opts?: { queryId?: number }) => {
      batches.push([...batch]);
      return repository.upsertBatch(batch, opts);
    },
  };
  const admin = createChannelAdmin({
    channels,
    resolve: createChannelResolver({ pool, youtube, retry: RETRY, log: silentLogger }),
    pacing: createChannelPacingReader({
      pool,
      channels,
      redis,
      prefix,
      clock,
      settings: { pollIntervalMs: INTERVAL, unitsShare: options.share ?? 0.5 },
      ...(options.reserveUnits === undefined ? {} : { reserveUnits: options.reserveUnits }),
    }),
    log: silentLogger,
  });
  const polling = createChannelPollService({
    channels,
    videos,
    pool,
    youtube,
    redis,
    prefix,
    clock,
    log: silentLogger,
    settings: { pollIntervalMs: INTERVAL, unitsShare: options.share ?? 0.5 },
    retry: RETRY,
    ...(options.reserveUnits === undefined ? {} : { reserveUnits: options.reserveUnits }),
  });
  return { admin, polling, channels, batches, pool, youtube };
}

describe('followed channels against the simulator', () => {
  it('finds a channel by id and by @handle with one channels.list unit each, and refuses one YouTube does not know', async () => {
    await startWorld();
    const { admin } = services();
    const [first, second] = channelsByUploads();
    const byId = await admin.follow(first!.channelId);
    expect(byId).toMatchObject({ created: true, channel: { channelId: first!.channelId, title: first!.title, handle: first!.handle, uploadsPlaylistId: first!.uploadsPlaylistId, followed: true, origin: 'admin' } });
    // Handles are matched in any case, as YouTube matches them.
    const byHandle = await admin.follow(second!.handle.toUpperCase());
    expect(byHandle).toMatchObject({ created: true, channel: { channelId: second!.channelId, uploadsPlaylistId: second!.uploadsPlaylistId } });
    const lookups = calls('channels.list');
    expect(lookups).toHaveLength(2);
    expect(lookups.map((c) => [c.params.id, c.params.forHandle])).toEqual([
      [first!.channelId, undefined],
      [undefined, second!.handle.toUpperCase().slice(1)],
    ]);
    expect(lookups.every((c) => c.status === 200 && c.bucket === 'units' && c.units === 1)).toBe(true);

    // Known channels are followed again without asking YouTube.
    expect(await admin.follow(second!.handle)).toMatchObject({ created: false, channel: { id: byHandle.channel.id } });
    expect(await admin.follow(first!.channelId)).toMatchObject({ created: false });
    expect(calls('channels.list')).toHaveLength(2);

    for (const unknown of ['@no-such-channel-here', 'UCaaaaaaaaaaaaaaaaaaaaaa']) {
      const error = await admin.follow(unknown).catch((e: unknown) => e);
      expect(error, unknown).toBeInstanceOf(InvalidRequestError);
      expect((error as InvalidRequestError).param).toBe('channel');
      expect((error as Error).message).toContain(unknown);
    }
    const malformed = await admin.follow('not a channel').catch((e: unknown) => e);
    expect(malformed).toBeInstanceOf(InvalidRequestError);
    expect(calls('channels.list')).toHaveLength(4);
    expect(sim.quota()[0]).toMatchObject({ units: { used: 4 } });
    expect((await admin.list()).channels.map((c) => c.channelId)).toEqual([first!.channelId, second!.channelId]);
  });

  it("stores a channel's whole uploads playlist once (1 unit a page), then only new uploads for 1 unit a poll", async () => {
    await startWorld();
    const { admin, polling, batches } = services();
    const channel = channelsByUploads()[0]!;
    const n = uploadsOf(channel.channelId).length;
    expect(n).toBeGreaterThan(50);
    await admin.follow(channel.channelId);
    sim.resetCalls();

    const first = await polling.run();
    const pages = Math.ceil(n / 50);
    expect(first).toMatchObject({ outcome: 'polled', polled: 1, units: pages, inserted: n });
    const pageCalls = calls('playlistItems.list');
    expect(pageCalls).toHaveLength(pages);
    expect(pageCalls.every((c) => c.status === 200 && c.bucket === 'units' && c.units === 1 && c.params.playlistId === channel.uploadsPlaylistId)).toBe(true);
    const stored = await storedOf(channel.channelId);
    expect(stored.map((v) => v.video_id)).toEqual(uploadsOf(channel.channelId).map((v) => v.videoId).sort());
    expect(stored.map((v) => v.published_at.getTime()).sort()).toEqual(uploadsOf(channel.channelId).map((v) => Date.parse(v.publishedAt)).sort());
    // Each video entered its channel's feed once (and `all`): the outbox rows of upsertBatch.
    expect(await eventsOf(channel.channelId)).toBe(n);
    expect(await polling.spentToday()).toBe(pages);

    // Not due again before the interval: no call.
    sim.resetCalls();
    advance(INTERVAL / 2);
    expect(await polling.run()).toMatchObject({ outcome: 'nothing-due', units: 0 });
    expect(calls('playlistItems.list')).toHaveLength(0);

    // New uploads: one page, only the new ones stored.
    const before = new Set(stored.map((v) => v.video_id));
    advance(30 * MIN);
    const fresh = uploadsOf(channel.channelId).filter((v) => !before.has(v.videoId));
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.length).toBeLessThan(50);
    batches.length = 0;
    expect(await polling.run()).toMatchObject({ outcome: 'polled', units: 1, inserted: fresh.length });
    expect(calls('playlistItems.list')).toHaveLength(1);
    expect(batches.flat().map((v) => v.videoId).sort()).toEqual(fresh.map((v) => v.videoId).sort());
    expect(await storedOf(channel.channelId)).toHaveLength(n + fresh.length);
    expect(await eventsOf(channel.channelId)).toBe(n + fresh.length);

    // Nothing new: one page read, nothing stored.
    sim.resetCalls();
    batches.length = 0;
    const quiet = uploadsOf(channel.channelId).length;
    advance(INTERVAL);
    const result = await polling.run();
    expect(result.units).toBe(1);
    expect(result.inserted).toBe(uploadsOf(channel.channelId).length - quiet);
    expect(batches.flat().length).toBe(result.inserted);
    const row = (await admin.list()).channels[0]!;
    expect(row).toMatchObject({ lastOutcome: result.inserted > 0 ? 'new-videos' : 'no-change', lastError: null });
    expect(row.newestPublishedAt?.getTime()).toBe(Math.max(...uploadsOf(channel.channelId).map((v) => Date.parse(v.publishedAt))));
  });

  it('a poll that fails half way is read again from the newest page, with every video stored once', async () => {
    await startWorld();
    const channel = channelsByUploads()[0]!;
    const n = uploadsOf(channel.channelId).length;
    let pagesAnswered = 0;
    let failSecond = true;
    const { admin, polling } = services({
      youtube: (client) => ({
        ...client,
        uploadsPage: async (key, playlistId, pageToken) => {
          if (pageToken !== undefined && failSecond) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
          pagesAnswered += 1;
          return client.uploadsPage(key, playlistId, pageToken);
        },
      }),
    });
    await admin.follow(channel.channelId);
    const broken = await polling.run();
    expect(broken).toMatchObject({ outcome: 'polled', inserted: 50 });
    expect((await admin.list()).channels[0]).toMatchObject({ lastOutcome: 'failed', newestPublishedAt: null });
    expect(await storedOf(channel.channelId)).toHaveLength(50);

    failSecond = false;
    advance(INTERVAL);
    const again = await polling.run();
    expect(again).toMatchObject({ outcome: 'polled', inserted: n - 50 });
    expect(pagesAnswered).toBe(1 + Math.ceil(n / 50));
    expect(await storedOf(channel.channelId)).toHaveLength(n);
    expect(await eventsOf(channel.channelId)).toBe(n);
    expect((await admin.list()).channels[0]).toMatchObject({ lastOutcome: 'new-videos', lastError: null });
  });

  it('leaves a video a search stored as the search stored it (a playlist item does not say whether it is live)', async () => {
    await startWorld();
    const { admin, polling, batches } = services();
    const channel = channelsByUploads()[0]!;
    const n = uploadsOf(channel.channelId).length;
    const searched = uploadsOf(channel.channelId)[3]!;
    await createVideoRepository({ db: db.kysely, clock }).upsertBatch([
      {
        videoId: searched.videoId,
        title: 'as the search had it',
        description: '',
        channelId: channel.channelId,
        channelTitle: channel.title,
        publishedAt: new Date(searched.publishedAt),
        thumbnails: { default: null, medium: null, high: null },
        liveBroadcastContent: 'upcoming',
      },
    ]);
    await admin.follow(channel.channelId);
    expect(await polling.run()).toMatchObject({ outcome: 'polled', inserted: n - 1 });
    expect(batches.flat().map((v) => v.videoId)).not.toContain(searched.videoId);
    const row = await db.kysely.selectFrom('videos').select(['title', 'live_broadcast_content']).where('video_id', '=', searched.videoId).executeTakeFirstOrThrow();
    expect(row).toEqual({ title: 'as the search had it', live_broadcast_content: 'upcoming' });
    expect(await storedOf(channel.channelId)).toHaveLength(n);
    expect(await eventsOf(channel.channelId)).toBe(n);
  });

  it('a video listed with a future publish time (a scheduled premiere) does not hide the uploads published before it', async () => {
    await startWorld();
    const channel = channelsByUploads()[0]!;
    const premiere: VideoInput = {
      videoId: 'premiere001',
      title: 'premiere',
      description: '',
      channelId: channel.channelId,
      channelTitle: channel.title,
      publishedAt: new Date(clock.now().getTime() + 2 * HOUR),
      thumbnails: { default: null, medium: null, high: null },
      liveBroadcastContent: 'none',
    };
    const { admin, polling } = services({
      youtube: (client) => ({
        ...client,
        uploadsPage: async (key, playlistId, pageToken) => {
          const page = await client.uploadsPage(key, playlistId, pageToken);
          return pageToken === undefined ? { ...page, videos: [premiere, ...page.videos] } : page;
        },
      }),
    });
    await admin.follow(channel.channelId);
    await polling.run();
    const before = new Set((await storedOf(channel.channelId)).map((v) => v.video_id));
    expect(before.has(premiere.videoId)).toBe(true);
    expect((await admin.list()).channels[0]!.newestPublishedAt).toEqual(clock.now());
    advance(30 * MIN);
    const fresh = uploadsOf(channel.channelId).filter((v) => !before.has(v.videoId));
    expect(fresh.length).toBeGreaterThan(0);
    expect(await polling.run()).toMatchObject({ outcome: 'polled', units: 1, inserted: fresh.length });
  });

  it('follows YOUTUBE_CHANNELS, keeps for later what cannot be looked up yet, and stops polling configured channels no longer listed', async () => {
    await startWorld();
    const [a, b, c] = channelsByUploads();
    // No key yet: nothing can be looked up, nothing is stored, everything is tried again later.
    expect(await services({ keys: [] }).admin.syncConfigured([a!.channelId, b!.handle])).toEqual({ followed: [], retry: [a!.channelId, b!.handle] });
    const { admin, polling } = services();
    await admin.follow(c!.channelId); // an operator's
    const synced = await admin.syncConfigured([a!.channelId, b!.handle, '@no-such-channel-here']);
    expect(synced.retry).toEqual([]);
    expect(synced.followed.map((x) => [x.channelId, x.origin])).toEqual([
      [a!.channelId, 'config'],
      [b!.channelId, 'config'],
    ]);
    // Dropped from the list: no longer polled, kept with its videos; the operator's stays.
    await admin.syncConfigured([a!.channelId]);
    const listed = (await admin.list()).channels;
    expect(listed.map((x) => [x.channelId, x.followed])).toEqual([
      [c!.channelId, true],
      [a!.channelId, true],
      [b!.channelId, false],
    ]);
    sim.resetCalls();
    expect(await polling.run()).toMatchObject({ outcome: 'polled', polled: 2 });
    expect(new Set(calls('playlistItems.list').map((x) => x.params.playlistId))).toEqual(new Set([a!.uploadsPlaylistId, c!.uploadsPlaylistId]));
  });

  it('makes no call without a key', async () => {
    await startWorld();
    const channel = channelsByUploads()[0]!;
    // Followed while a key existed; polled with none.
    await services().admin.follow(channel.channelId);
    sim.resetCalls();
    const { polling } = services({ keys: [] });
    expect(await polling.run()).toMatchObject({ outcome: 'no-usable-key', units: 0 });
    expect(sim.calls()).toHaveLength(0);
  });

  it("keeps all channels' polls within their share of the day's units, then makes no call until the reset", async () => {
    // 40 units a day, a share of 0.1: 4 units for channels, less than their first reads need.
    await startWorld({ unitsPerDay: 40 });
    const { admin, polling } = services({ share: 0.1, unitsPerDay: 40 });
    const followed = channelsByUploads().slice(0, 3);
    for (const channel of followed) await admin.follow(channel.channelId);
    const needed = followed.reduce((sum, c) => sum + Math.ceil(uploadsOf(c.channelId).length / 50), 0);
    expect(needed).toBeGreaterThan(4);
    sim.resetCalls();

    const outcomes: string[] = [];
    // A tick every 5 minutes for 10 hours (the reset is 11 hours away).
    for (let tick = 0; tick < 120; tick++) {
      outcomes.push((await polling.run()).outcome);
      advance(5 * MIN);
    }
    expect(await polling.spentToday()).toBe(4);
    expect(calls('playlistItems.list')).toHaveLength(4);
    expect(sim.quota()[0]).toMatchObject({ units: { used: 3 + 4 } });
    expect(outcomes.at(-1)).toBe('no-budget');
    expect((await admin.list()).pacing).toMatchObject({ limit: 'share-spent', dayCapUnits: 4, spentToday: 4, unitsLeftToday: 0 });
  });

  it("spends a project's units down to the reserve and no further, leaving the reserve to a call made without one", async () => {
    // A project of 506 units a day (on both sides: the simulator's bucket and the pool's count)
    // with the default reserve of 500: once the three channels are looked up (3 units), 3 units
    // are left above the reserve, fewer than the channels' first reads need. The share (all of
    // the day's units) is no limit here: the reserve is.
    const RESERVE = 500;
    const LIMIT = RESERVE + 6;
    await startWorld({ unitsPerDay: LIMIT });
    const { admin, polling, pool, youtube } = services({ share: 1, unitsPerDay: LIMIT, reserveUnits: RESERVE });
    const followed = channelsByUploads().slice(0, 3);
    for (const channel of followed) await admin.follow(channel.channelId);
    const needed = followed.reduce((sum, c) => sum + Math.ceil(uploadsOf(c.channelId).length / 50), 0);
    expect(needed).toBeGreaterThan(3);
    expect(sim.quota()[0]).toMatchObject({ units: { limit: LIMIT, used: 3 } });
    sim.resetCalls();

    // The pacing gives the tick the 3 units above the reserve: three pages read, all counted.
    const firstTick = await polling.run();
    expect(firstTick).toMatchObject({ outcome: "polled", units: 3 });
    expect(await polling.spentToday()).toBe(3);
    expect(calls('playlistItems.list')).toHaveLength(3);
    expect(calls('playlistItems.list').every((c) => c.status === 200)).toBe(true);
    expect(sim.quota()[0]).toMatchObject({ units: { used: LIMIT - RESERVE, remaining: RESERVE } });

    // Later ticks send nothing more, and say why: the reserve stays whole all day.
    advance(INTERVAL);
    const later = await polling.run();
    expect(later).toMatchObject({ outcome: 'no-budget', units: 0 });
    expect(later.reason).toMatch(/down to the reserve of 500/);
    expect((await admin.list()).pacing).toMatchObject({ limit: 'units-spent', unitsLeftToday: 0 });
    expect(await polling.spentToday()).toBe(3);
    expect(calls('playlistItems.list')).toHaveLength(3);
    // Not taken for spent: the project stays usable for callers without a reserve.
    expect((await pool.status()).projects[0]).toMatchObject({ usable: true, buckets: { units: { used: LIMIT - RESERVE, exhaustedUntil: null } } });

    // A key check (a plain pool call, no reserve) still finds its unit, and YouTube answers it.
    const lease = await pool.acquire('units');
    const page = await youtube.uploadsPage(lease.key.secret, followed[0]!.uploadsPlaylistId, undefined);
    expect(page.videos.length).toBeGreaterThan(0);
    expect(sim.quota()[0]).toMatchObject({ units: { used: LIMIT - RESERVE + 1, remaining: RESERVE - 1 } });
  });
});
