// Fault: SSE clients through API crashes. Two API processes (as deployed, from their built entry
// points) serve `/videos/stream`; the worker stores new videos from the simulator the whole
// time. Each client is on one API; the API is killed with SIGKILL (no shutdown code runs), the
// client reconnects to the other one with the Last-Event-ID it got last (as EventSource behind
// a load balancer does), the killed API is started again, and later the other one is killed
// too. In the end each client holds every video stored since it connected, each exactly once,
// the feed's log holds them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSearchQueryRepository, systemClock, type RedisClient } from '@tubefeed/core';
import {
  clearRedisPrefix,
  connectSse,
  createTestDatabase,
  createTestRedis,
  freePort,
  sleep,
  testRedisUrl,
  uniqueName,
  until,
  waitForHttp,
  type SseClient,
  type TestDatabase,
} from '@tubefeed/core/testing';
import { createYoutubeSimulator, type YoutubeSimulator } from '@tubefeed/youtube-sim';
import { Services, type ServiceProcess } from './support/services.js';

const QUERY = 'tea';
let sim: YoutubeSimulator;
let db: TestDatabase;
let redis: RedisClient;
const prefix = uniqueName('sse');
const services = new Services();
let common: Record<string, string>;

interface Api {
  readonly base: string;
  readonly port: number;
  process: ServiceProcess;
}
const apis: Api[] = [];

async function startApi(api: Pick<Api, 'port'>): Promise<ServiceProcess> {
  const process = services.start('api', { ...common, HOST: '127.0.0.1', PORT: String(api.port) });
  await waitForHttp(`http://127.0.0.1:${api.port}/health/live`, process);
  return process;
}

beforeAll(async () => {
  // A new upload every 150 ms, found at once (no index lag): videos keep arriving throughout.
  sim = createYoutubeSimulator({ seed: 20261207, searchCallsPerDay: 1_000_000, unitsPerDay: 100_000_000, publishIntervalMs: 150, maxIndexDelayMs: 0, historyMs: 60_000 });
  const url = await sim.listen();
  db = await createTestDatabase();
  // Followed before the worker first runs, so the query's clients connect before any video.
  await createSearchQueryRepository({ db: db.kysely, clock: systemClock }).follow(QUERY);
  redis = createTestRedis();
  common = {
    MYSQL_URL: db.url,
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: prefix,
    YOUTUBE_API_KEYS: sim.apiKeys().join(','),
    YOUTUBE_API_ROOT: `${url}/`,
    YOUTUBE_SEARCH_CALLS_PER_DAY: '1000000',
    SEARCH_QUERIES: QUERY,
    FETCH_INTERVAL_MS: '1000',
    QUOTA_PACING: 'off',
    FEED_RELAY_INTERVAL_MS: '300',
    SSE_POLL_MS: '1000',
    SSE_HEARTBEAT_MS: '1000',
    RATE_LIMIT_MAX: '0',
  };
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    apis.push({ base: `http://127.0.0.1:${port}`, port, process: await startApi({ port }) });
  }
});

afterAll(async () => {
  await services.stopAll();
  await sim?.close();
  if (redis !== undefined) {
    await clearRedisPrefix(redis, prefix);
    redis.disconnect();
  }
  await db?.drop();
});

/** The ids of the videos a client got, in the order it got them. */
const videoIds = (client: SseClient): string[] =>
  client
    .events()
    .filter((event) => event.event === 'video')
    .map((event) => (JSON.parse(event.data) as { video_id: string }).video_id);

/** What the worker stored in a feed, in outbox order (the order the relay appended it). */
async function storedIn(feed: string): Promise<string[]> {
  const rows = await db.kysely
    .selectFrom('feed_events as e')
    .innerJoin('videos as v', 'v.id', 'e.video_pk')
    .select('v.video_id')
    .where('e.feed', '=', feed)
    .orderBy('e.seq')
    .execute();
  return rows.map((row) => row.video_id);
}

describe('SSE clients through API kills and restarts', () => {
  it('end with every video stored meanwhile, each once, after reconnecting with Last-Event-ID', async () => {
    const live = () => apis.filter((api) => !api.process.hasExited()).map((api) => api.base);
    // Two clients on each feed, starting on different APIs (the first base each tries).
    const clients = [
      { feed: 'all', client: connectSse({ path: '/videos/stream', bases: () => rotate(live(), 0) }) },
      { feed: 'all', client: connectSse({ path: '/videos/stream', bases: () => rotate(live(), 1) }) },
      { feed: 'query', client: connectSse({ path: `/videos/stream?query=${QUERY}`, bases: () => rotate(live(), 0) }) },
      { feed: 'query', client: connectSse({ path: `/videos/stream?query=${QUERY}`, bases: () => rotate(live(), 1) }) },
    ];
    // Every client is connected (it got `ready`) before anything is stored.
    await until('every client ready', () => (clients.every(({ client }) => client.events().some((e) => e.event === 'ready')) ? true : undefined), 20_000);

    const worker = services.start('worker', common);
    const waitForMore = async (what: string, count: number) =>
      until(what, () => (clients.every(({ client }) => videoIds(client).length >= count) ? true : undefined), 60_000, 50);
    await waitForMore('first videos streamed', 20);

    // Kill each API in turn (SIGKILL), while videos keep coming; restart it before the next.
    for (const [round, api] of [apis[0]!, apis[1]!, apis[0]!].entries()) {
      await api.process.kill();
      await sleep(800 + round * 400); // videos stored while the clients of the killed API are away
      api.process = await startApi(api);
      const got = Math.min(...clients.map(({ client }) => videoIds(client).length));
      await waitForMore(`round ${round}: more videos after the kill`, got + 10);
    }
    const reconnected = clients.filter(({ client }) => client.connections() > 1).length;
    expect(reconnected).toBeGreaterThanOrEqual(2);

    // Stop fetching; wait until everything stored is relayed and every client has it.
    worker.signal('SIGTERM');
    expect(await worker.exited).toBe(0);
    const queryRow = await db.kysely.selectFrom('search_queries').select('id').where('text', '=', QUERY).executeTakeFirstOrThrow();
    await until('the outbox relayed', async () => {
      const pending = await db.kysely.selectFrom('feed_events').select('seq').where('relayed_at', 'is', null).limit(1).execute();
      return pending.length === 0 ? true : undefined;
    });
    // The worker is gone, so the last relayed rows were relayed by it before it exited.
    const expected = { all: await storedIn('all'), query: await storedIn(`q:${queryRow.id}`) };
    expect(expected.all.length).toBeGreaterThan(60);
    for (const [i, { feed, client }] of clients.entries()) {
      const want = expected[feed as 'all' | 'query'];
      await until(`client ${i} (${feed}) has every stored video`, () => (videoIds(client).length >= want.length ? true : undefined), 30_000);
      const got = videoIds(client);
      // Each once, nothing missing, nothing foreign (the log's order may differ from the
      // outbox's where two store transactions committed out of order).
      expect(new Set(got).size, `client ${i} duplicates`).toBe(got.length);
      expect([...got].sort(), `client ${i}`).toEqual([...want].sort());
      expect(client.events().filter((event) => event.event === 'reset'), `client ${i} resets`).toEqual([]);
    }
    for (const { client } of clients) client.close();
  });
});

function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
