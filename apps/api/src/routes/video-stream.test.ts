// GET /videos/stream on a listening API against real MySQL and Redis: parameter errors answered
// as JSON before any stream starts, the event-stream headers, live `video` events per feed
// (all, query, channel) as a relay appends them, resume with `lastEventId`, and closing the API
// ending its streams instead of hanging.
import { get as httpGet, type IncomingMessage } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ManualClock,
  createFeedEventRepository,
  createFeedLog,
  createFeedRelay,
  createSearchQueryRepository,
  createVideoRepository,
  feedLogSink,
  type FeedRelay,
  type VideoRepository,
} from '@tubefeed/core';
import { connectSse, createTestRedis, silentLogger, until, videoInput, type SseClient } from '@tubefeed/core/testing';
import { useTestApis, type TestApi } from '../testing/test-api.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
const apis = useTestApis({ clock, env: { SSE_POLL_MS: '60000', SSE_HEARTBEAT_MS: '1000', RATE_LIMIT_MAX: '0' } });

let api: TestApi;
let base: string;
let videos: VideoRepository;
let relay: FeedRelay;
let queryId: number;

beforeAll(async () => {
  api = await apis.start();
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const address = api.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  videos = createVideoRepository({ db: api.db.kysely, clock });
  queryId = (await createSearchQueryRepository({ db: api.db.kysely, clock }).follow('football')).id;
  // The worker's relay, here in the test: the API reads what it appends.
  const redis = createTestRedis();
  relay = createFeedRelay({
    events: createFeedEventRepository({ db: api.db.kysely }),
    sinks: [feedLogSink(createFeedLog({ redis, prefix: api.config.redis.prefix, maxLength: 1000, maxAgeMs: 3_600_000 }))],
    clock,
    log: silentLogger,
    intervalMs: 60_000,
    retentionMs: 3_600_000,
  });
  return async () => {
    await relay.stop();
    redis.disconnect();
  };
});

const ids = (client: SseClient) =>
  client
    .events()
    .filter((event) => event.event === 'video')
    .map((event) => (JSON.parse(event.data) as { video_id: string }).video_id);
/** A stream's response, its body unread (node:http: destroying it closes the socket at once). */
const streamResponse = (url: string) =>
  new Promise<IncomingMessage>((resolve, reject) => httpGet(url, { agent: false }, resolve).on('error', reject));
const ready = (client: SseClient) => until('ready', () => (client.events().some((event) => event.event === 'ready') ? true : undefined));

describe('GET /videos/stream', () => {
  it('answers bad parameters with a JSON error naming them, before any stream starts', async () => {
    for (const [url, name] of [
      ['/videos/stream?query=football&channel=UCx', 'query'],
      ['/videos/stream?query=not-followed', 'query'],
      ['/videos/stream?channel=bad%20id', 'channel'],
      ['/videos/stream?nope=1', 'nope'],
      [`/videos/stream?lastEventId=${'x'.repeat(101)}`, 'lastEventId'],
    ] as const) {
      const response = await fetch(`${base}${url}`);
      expect(response.status, url).toBe(400);
      expect(response.headers.get('content-type'), url).toMatch(/^application\/json/);
      const body = (await response.json()) as { isError: boolean; message: string };
      expect(body.isError).toBe(true);
      expect(body.message, url).toContain(name);
    }
  });

  it('streams each feed’s new videos as they are relayed, with event-stream headers and heartbeats', async () => {
    const response = await streamResponse(`${base}/videos/stream`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache, no-transform');
    // The security headers every route sends are kept.
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    response.destroy();

    const all = connectSse({ path: '/videos/stream', bases: () => [base] });
    const football = connectSse({ path: '/videos/stream?query=football', bases: () => [base] });
    const channel = connectSse({ path: '/videos/stream?channel=UCstream0000000000000001', bases: () => [base] });
    try {
      await Promise.all([ready(all), ready(football), ready(channel)]);
      const onChannel = videoInput({ channelId: 'UCstream0000000000000001' });
      const found = videoInput();
      await videos.upsertBatch([onChannel]);
      await videos.upsertBatch([found], { queryId });
      await relay.drain();
      await until('every client has its videos', () => (ids(all).length === 2 && ids(football).length === 1 && ids(channel).length === 1 ? true : undefined));
      expect(ids(all).sort()).toEqual([onChannel.videoId, found.videoId].sort());
      expect(ids(football)).toEqual([found.videoId]);
      expect(ids(channel)).toEqual([onChannel.videoId]);
      // The data is the video as /videos lists it.
      const listed = (await (await fetch(`${base}/videos?query=football&limit=1`)).json()) as { items: unknown[] };
      const event = football.events().find((e) => e.event === 'video')!;
      expect(JSON.parse(event.data)).toEqual(listed.items[0]);
    } finally {
      for (const client of [all, football, channel]) client.close();
    }
  });

  it('resumes after the id given as lastEventId (for clients that cannot send the header)', async () => {
    const first = connectSse({ path: '/videos/stream?query=football', bases: () => [base] });
    await ready(first);
    const batch = [videoInput(), videoInput(), videoInput()];
    for (const video of batch) {
      await videos.upsertBatch([video], { queryId });
      await relay.drain();
    }
    await until('three', () => (ids(first).length === 3 ? true : undefined));
    const afterFirst = first.events().find((e) => e.event === 'video')!.id!;
    first.close();
    const resumed = connectSse({ path: `/videos/stream?query=football&lastEventId=${encodeURIComponent(afterFirst)}`, bases: () => [base] });
    try {
      await until('the two after it', () => (ids(resumed).length === 2 ? true : undefined));
      expect(ids(resumed)).toEqual(batch.slice(1).map((v) => v.videoId));
    } finally {
      resumed.close();
    }
  });

  it('ends open streams when the API closes, so shutdown does not wait on them', async () => {
    const second = await apis.start();
    await second.app.listen({ host: '127.0.0.1', port: 0 });
    const address = second.app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    const response = await streamResponse(`${url}/videos/stream`);
    const reading = (async () => {
      for await (const chunk of response) void chunk;
      return 'ended';
    })();
    // Fastify's close (what the server's signal handling calls first) ends the stream.
    await second.app.close();
    expect(await reading).toBe('ended');
  });
});
