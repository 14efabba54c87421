// The admin API's followed channels against the YouTube simulator: behind admin credentials, a
// channel followed by id or @handle (channels.list, 1 unit, charged to the key's project), one
// YouTube does not know or that is neither an id nor a handle refused with 400 naming channel,
// a known channel followed again without a call, listed, and dropped with its videos kept. The
// key appears in no answer and no log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSharedCounters, createVideoRepository, systemClock } from '@tubefeed/core';
import { createYoutubeSimulator, type GroundTruthChannel, type YoutubeSimulator } from '@tubefeed/youtube-sim';
import { captureLog, type CapturedLog } from '../testing/log-capture.js';
import { useTestApis, type TestApi } from '../testing/test-api.js';

const AUTH = { authorization: `Basic ${Buffer.from('ops:channel-admin-pw').toString('base64')}` };
const apis = useTestApis({ clock: systemClock });
const METRICS = ['tubefeed_channel_units_total', 'tubefeed_channel_videos_inserted_total', 'tubefeed_channel_ticks_total{outcome="polled"}', 'tubefeed_channel_ticks_total{outcome="no-budget"}'];
let api: TestApi;
let sim: YoutubeSimulator;
let key: string;
let captured: CapturedLog;
const bodies: string[] = [];

beforeAll(async () => {
  sim = createYoutubeSimulator({ seed: 3, maxIndexDelayMs: 0, historyMs: 3_600_000, queries: [{ q: 'tea', publishIntervalMs: 60_000 }] });
  const url = await sim.listen();
  key = sim.apiKeys()[0]!;
  captured = captureLog('debug');
  api = await apis.start({ ADMIN_USER: 'ops', ADMIN_PASSWORD: 'channel-admin-pw', YOUTUBE_API_KEYS: key, YOUTUBE_API_ROOT: url, LOG_LEVEL: 'debug' }, captured.log);
});
afterAll(async () => {
  await sim.close();
  for (const body of bodies) expect(body).not.toContain(key);
  expect(captured.text()).not.toContain(key);
});

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = AUTH) {
  const response = await api.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  bodies.push(response.body);
  return { status: response.statusCode, body: response.body === '' ? null : response.json<Record<string, unknown>>() };
}
const lookups = () => sim.calls().filter((c) => c.endpoint === 'channels.list');

describe('/admin/channels', () => {
  it('answers 401 without credentials, on every route, and asks YouTube nothing', async () => {
    for (const [method, url] of [
      ['GET', '/admin/channels'],
      ['POST', '/admin/channels'],
      ['DELETE', '/admin/channels/1'],
    ] as const) {
      const { status } = await call(method, url, method === 'POST' ? { channel: '@someone' } : undefined, {});
      expect(status, `${method} ${url}`).toBe(401);
    }
    expect(lookups()).toHaveLength(0);
  });

  it('refuses what is not a channel, and a channel YouTube does not know, with 400 naming channel', async () => {
    for (const channel of ['', 'not a channel', 'UCshort', '@a', 'https://www.youtube.com/@x']) {
      const { status, body } = await call('POST', '/admin/channels', { channel });
      expect(status, channel).toBe(400);
      expect(body!.message as string, channel).toMatch(/channel/);
    }
    expect(await call('POST', '/admin/channels', { channel: '@x', extra: 1 })).toMatchObject({ status: 400 });
    expect(lookups()).toHaveLength(0);
    for (const channel of ['@nobody-here-at-all', 'UCzzzzzzzzzzzzzzzzzzzzzz']) {
      const { status, body } = await call('POST', '/admin/channels', { channel });
      expect(status, channel).toBe(400);
      expect(body!.message).toBe(`channel: YouTube knows no channel with the ${channel.startsWith('@') ? 'handle' : 'id'} ${channel}`);
    }
    expect(lookups()).toHaveLength(2);
  });

  it('follows by id and by @handle (1 unit each), again without a call, lists and drops them; videos stay', async () => {
    sim.resetCalls();
    const unitsBefore = sim.quota()[0]!.units.used;
    const [a, b] = sim.channels() as [GroundTruthChannel, GroundTruthChannel];
    const byId = await call('POST', '/admin/channels', { channel: a.channelId });
    expect(byId.status).toBe(201);
    expect(byId.body).toEqual({
      id: expect.any(Number) as number,
      channelId: a.channelId,
      handle: a.handle,
      title: a.title,
      uploadsPlaylistId: a.uploadsPlaylistId,
      followed: true,
      origin: 'admin',
      createdAt: expect.any(String) as string,
      lastPollAt: null,
      lastOutcome: null,
      lastError: null,
      lastNewVideos: null,
      newestPublishedAt: null,
    });
    const byHandle = await call('POST', '/admin/channels', { channel: b.handle });
    expect(byHandle).toMatchObject({ status: 201, body: { channelId: b.channelId, uploadsPlaylistId: b.uploadsPlaylistId } });
    expect(lookups().map((c) => c.units)).toEqual([1, 1]);
    expect(sim.quota()[0]!.units.used - unitsBefore).toBe(2);

    expect(await call('POST', '/admin/channels', { channel: b.handle.toUpperCase() })).toMatchObject({ status: 200, body: { id: byHandle.body!.id } });
    expect(await call('POST', '/admin/channels', { channel: a.channelId })).toMatchObject({ status: 200, body: { id: byId.body!.id } });
    expect(lookups()).toHaveLength(2);

    const listed = await call('GET', '/admin/channels');
    expect(listed.status).toBe(200);
    // One project of 10,000 units a day, half of it for channels, none spent by polling yet.
    expect(listed.body!.pacing).toMatchObject({ dayCapUnits: 5000, spentToday: 0, unitsLeftToday: 5000, intervalMs: 90_000, limit: 'min-interval' });
    expect((listed.body!.channels as Array<{ channelId: string }>).map((c) => c.channelId)).toEqual([a.channelId, b.channelId]);

    // A stored video of the channel stays when it is dropped.
    await createVideoRepository({ db: api.db.kysely, clock: systemClock }).upsertBatch([
      {
        videoId: 'chanvideo01',
        title: 'kept',
        description: '',
        channelId: a.channelId,
        channelTitle: a.title,
        publishedAt: new Date(),
        thumbnails: { default: null, medium: null, high: null },
        liveBroadcastContent: 'none',
      },
    ]);
    expect(await call('DELETE', `/admin/channels/${String(byId.body!.id)}`)).toMatchObject({ status: 204 });
    expect(await call('DELETE', `/admin/channels/${String(byId.body!.id)}`)).toMatchObject({ status: 404 });
    expect(await call('DELETE', '/admin/channels/0')).toMatchObject({ status: 400 });
    expect(((await call('GET', '/admin/channels')).body!.channels as Array<{ channelId: string }>).map((c) => c.channelId)).toEqual([b.channelId]);
    const kept = await api.db.kysely.selectFrom('videos').select('video_id').where('channel_id', '=', a.channelId).execute();
    expect(kept.map((v) => v.video_id)).toEqual(['chanvideo01']);
  });

  it("shows the workers' channel polling counters in /metrics", async () => {
    const metric = async (name: string) => {
      const text = (await api.app.inject({ method: 'GET', url: '/metrics', headers: AUTH })).body;
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line === undefined ? undefined : Number(line.slice(name.length + 1));
    };
    const before = await Promise.all(METRICS.map(metric));
    expect(before.every((value) => typeof value === 'number')).toBe(true);
    // As the worker's channel runtime counts each tick.
    await createSharedCounters({ redis: apis.redis, prefix: api.config.redis.prefix }).add({ 'channel_runs:polled': 2, 'channel_runs:no-budget': 1, channel_units: 5, channel_videos_inserted: 120 });
    const after = await Promise.all(METRICS.map(metric));
    expect(after.map((value, i) => value! - before[i]!)).toEqual([5, 120, 2, 1]);
  });
});
