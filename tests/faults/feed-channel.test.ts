// Page 1 as deployed behind a load balancer: two API replicas and a worker, separate processes
// on one database and Redis prefix, the worker storing a new video every second or two. After
// every store, page 1 of each replica shows it within 1 s: each replica gets the worker's
// notice on its own subscription and reloads the snapshot. Then Redis (a private
// redis-server) is killed and restarted empty: both replicas say the live-update channel is
// down (still serving), subscribe every channel again when Redis is back (/health up, the loss
// counted in /metrics; the worker's control channel too), and again every store is on page 1
// of every replica within 1 s.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, sleep, uniqueName, until, type TestDatabase } from '@tubefeed/core/testing';
import { createYoutubeSimulator, type YoutubeSimulator } from '@tubefeed/youtube-sim';
import { freePort, waitForHttp } from '@tubefeed/core/testing';
import { pageOneServes, settledSubscriberCounts, watchPageOne, type PageOneWatch, type Store } from './support/page-one-watch.js';
import { startPrivateRedis, type PrivateRedis } from '@tubefeed/core/testing';
import { Services, logRecords, type ServiceProcess } from './support/services.js';

const STORES = 8;
const SUBSCRIBED = { feedChanged: 2, control: 3 };
const LIMIT = 100;
const auth = { authorization: `Basic ${Buffer.from('admin:replicas-pw').toString('base64')}` };

const services = new Services();
const prefix = uniqueName('replicas');
let redisServer: PrivateRedis;
let inspector: Redis;
let db: TestDatabase;
let sim: YoutubeSimulator;
let watch: PageOneWatch;
let worker: ServiceProcess;
const replicas: Array<{ readonly base: string; readonly process: ServiceProcess }> = [];

beforeAll(async () => {
  redisServer = await startPrivateRedis();
  inspector = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
  inspector.on('error', () => undefined); // the scenario takes Redis away; the checks say what failed
  db = await createTestDatabase();
  // Every upload searchable at once, one every 1.5 s: the worker (every second) stores each soon.
  sim = createYoutubeSimulator({ seed: 31, publishIntervalMs: 1500, maxIndexDelayMs: 0, historyMs: 10 * 60_000 });
  const simUrl = await sim.listen();
  const env = {
    MYSQL_URL: db.url,
    REDIS_URL: redisServer.url,
    REDIS_PREFIX: prefix,
    YOUTUBE_API_KEYS: sim.apiKeys().join(','),
    YOUTUBE_API_ROOT: `${simUrl}/`,
    SEARCH_QUERIES: 'cricket',
    FETCH_INTERVAL_MS: '1000',
    QUOTA_PACING: 'off',
    RATE_LIMIT_MAX: '0',
    ADMIN_PASSWORD: 'replicas-pw',
  };
  watch = await watchPageOne(redisServer.url, prefix);
  worker = services.start('worker', env);
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const api = services.start('api', { ...env, HOST: '127.0.0.1', PORT: String(port) });
    replicas.push({ base, process: api });
  }
  for (const { base, process } of replicas) await waitForHttp(`${base}/health`, process);
});

afterAll(async () => {
  watch?.close();
  await services.stopAll();
  inspector?.disconnect();
  await sim?.close();
  await redisServer?.stop();
  await db?.drop();
});

async function health(base: string): Promise<{ status: number; body: { message: string; checks: Record<string, string> } }> {
  const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(3000) });
  return { status: response.status, body: (await response.json()) as { message: string; checks: Record<string, string> } };
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { headers: auth })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ').at(-1));
}

/** The next `count` stores, each on page 1 of every replica within 1 s; the delays, per replica. */
async function everyStoreOnEveryReplica(count: number): Promise<number[][]> {
  const delays: number[][] = replicas.map(() => []);
  let after = watch.stores.at(-1)?.seq ?? 0;
  for (let n = 0; n < count; n++) {
    const store: Store = await watch.nextStore(after, 20_000);
    after = store.seq;
    const served = await Promise.all(replicas.map(({ base }) => pageOneServes(base, watch, store, LIMIT)));
    served.forEach((s, i) => {
      expect(s.ms, `replica ${i + 1}, store #${store.seq}`).toBeLessThan(1000);
      expect(s.ids, `replica ${i + 1}, store #${store.seq}`).toContain(store.newIds[0]);
      delays[i]!.push(Math.round(s.ms));
    });
  }
  expect(watch.problems).toEqual([]);
  return delays;
}

const summary = (delays: number[][]) =>
  delays.map((list, i) => `replica ${i + 1}: median ${[...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]} ms, worst ${Math.max(...list)} ms`).join('; ');

describe('two API replicas and a worker, as separate processes', () => {
  it('puts every store on page 1 of both replicas within 1 s', async () => {
    for (const { base } of replicas) expect((await health(base)).body.checks.feedChannel).toBe('up');
    // Each replica on both channels, the worker on the control channel.
    expect(await settledSubscriberCounts(inspector, prefix, SUBSCRIBED)).toEqual(SUBSCRIBED);

    const delays = await everyStoreOnEveryReplica(STORES);
    // eslint-disable-next-line no-console -- the scenario's figures, for the record
    console.info(`feed-channel: store to page 1 over ${STORES} stores: ${summary(delays)}`);
    // Both replicas agree with each other, and page 1 with page 2, on the total (between stores).
    await until(
      'page 1 and page 2 of both replicas to agree on totalCount',
      async () => {
        const { total } = watch.stores.at(-1)!;
        const totals = await Promise.all(
          replicas.flatMap(({ base }) =>
            [1, 2].map(async (pageNo) => ((await (await fetch(`${base}/getData?pageNo=${pageNo}&limit=${LIMIT}`)).json()) as { totalCount: number }).totalCount),
          ),
        );
        return totals.every((t) => t === total) ? true : undefined;
      },
      3000,
    );
  });

  it('re-subscribes both replicas and the worker after Redis restarts empty, and page 1 is live again', async () => {
    const lossesBefore = await Promise.all(replicas.map(({ base }) => metric(base, 'tubefeed_feed_channel_losses_total')));
    expect(lossesBefore).toEqual([0, 0]);

    await redisServer.crash();
    // Down: /health names Redis (503) and the channel; page 1 is still served.
    for (const { base } of replicas) {
      const report = await until('the replica to notice', async () => {
        const h = await health(base);
        return h.body.checks.feedChannel === 'down' ? h : undefined;
      });
      expect(report.status).toBe(503);
      expect(report.body.checks).toMatchObject({ redis: 'down', feedChannel: 'down' });
      expect((await fetch(`${base}/getData?pageNo=1&limit=10`)).status).toBe(200);
    }
    await sleep(1000);

    await redisServer.restart();
    const restartedAt = performance.now();
    const upAfter = await Promise.all(
      replicas.map(async ({ base }) => {
        await until('the replica to subscribe again', async () => ((await health(base)).body.checks.feedChannel === 'up' ? true : undefined), 20_000);
        return Math.round(performance.now() - restartedAt);
      }),
    );
    for (const { base } of replicas) {
      const { status, body } = await health(base);
      expect(status).toBe(200);
      expect(body.message).toBe('Server is Up and Running');
      expect(await metric(base, 'tubefeed_feed_channel_losses_total')).toBe(1);
      expect(await metric(base, 'tubefeed_feed_channel_up')).toBe(1);
    }
    expect(await settledSubscriberCounts(inspector, prefix, SUBSCRIBED)).toEqual(SUBSCRIBED);
    for (const service of [worker, ...replicas.map((r) => r.process)]) {
      const again = logRecords(service).filter((record) => record.msg === 'channels subscribed again');
      expect(again, service.label).toHaveLength(1);
    }

    const delays = await everyStoreOnEveryReplica(STORES);
    // eslint-disable-next-line no-console -- the scenario's figures, for the record
    console.info(`feed-channel after a Redis restart: subscribed again ${upAfter.join(' / ')} ms after Redis was back; store to page 1: ${summary(delays)}`);
  });
});
