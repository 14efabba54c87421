// The worker as deployed (BullMQ Job Schedulers, per-query fetch leases, graceful shutdown) against
// the simulator on the real clock.
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { VIDEO_JSON_VERSION, createDb, createFetchQueue, dropDatabase, systemClock, type Config, type FetchRunResult } from '@tubefeed/core';
import { clearRedisPrefix, createTestRedis, silentLogger, sleep, testConfig, until } from '@tubefeed/core/testing';
import { createYoutubeSimulator, type YoutubeSimulator } from '@tubefeed/youtube-sim';
import { startWorkerRuntime, type WorkerRuntime } from './worker-runtime.js';

const FAST_RETRY = { retries: 1, minDelayMs: 10, maxDelayMs: 20 };
const cleanups: Array<() => Promise<unknown>> = [];
const environments = new Map<Config, Record<string, string>>();

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

async function simulator(options: Parameters<typeof createYoutubeSimulator>[0]): Promise<{ sim: YoutubeSimulator; url: string }> {
  const sim = createYoutubeSimulator({ seed: 11, maxIndexDelayMs: 0, historyMs: 10 * 60_000, ...options });
  const url = await sim.listen();
  cleanups.push(() => sim.close());
  return { sim, url };
}

function configFor(url: string, sim: YoutubeSimulator, env: Record<string, string> = {}): Config {
  const config = testConfig({
    YOUTUBE_API_KEYS: sim.apiKeys().join(','),
    YOUTUBE_API_ROOT: `${url}/`,
    FETCH_INTERVAL_MS: '1000',
    SEARCH_QUERIES: 'cricket',
    // These tests are about scheduling itself; pacing has tests of its own.
    QUOTA_PACING: 'off',
    ...env,
  });
  environments.set(config, {
    MYSQL_URL: config.mysql.url,
    REDIS_PREFIX: config.redis.prefix,
    YOUTUBE_API_KEYS: sim.apiKeys().join(','),
    YOUTUBE_API_ROOT: `${url}/`,
    FETCH_INTERVAL_MS: '1000',
    QUOTA_PACING: 'off',
    ...env,
  });
  cleanups.push(async () => {
    const redis = createTestRedis();
    await clearRedisPrefix(redis, config.redis.prefix);
    redis.disconnect();
    await dropDatabase(config.mysql.url);
  });
  return config;
}

async function worker(config: Config, onResult?: (result: FetchRunResult) => void): Promise<WorkerRuntime> {
  const runtime = await startWorkerRuntime({ config, log: silentLogger, clock: systemClock, retry: FAST_RETRY, ...(onResult ? { onResult } : {}) });
  cleanups.push(() => runtime.close(5000));
  return runtime;
}

describe('worker runtime', () => {
  it('with two workers, still one search per query per interval', async () => {
    const { sim, url } = await simulator({ publishIntervalMs: 60_000 });
    const config = configFor(url, sim);
    await worker(config);
    await worker(config);
    await sleep(1500); // both running; the first (look-back) run is done
    sim.resetCalls();
    const windowStart = Date.now();
    await sleep(6000);
    const calls = sim.calls().filter((c) => c.endpoint === 'search.list').length;
    const ticks = (Date.now() - windowStart) / config.fetch.intervalMs;
    expect(calls).toBeGreaterThanOrEqual(Math.floor(ticks) - 1);
    expect(calls).toBeLessThanOrEqual(Math.ceil(ticks) + 1);
  });

  it('with two workers and YouTube slower than the interval, runs still never overlap', async () => {
    // Each call takes 1.5 s against a 1 s interval: without the query's fetch lease the second
    // worker (or a second slot of the first) would start the next run while the first is still
    // in its call.
    const { sim, url } = await simulator({ publishIntervalMs: 60_000 });
    const config = configFor(url, sim);
    const spans: Array<{ start: number; end: number }> = [];
    // Each run's own span (not when its result arrived: the snapshot refresh and bookkeeping
    // after a run are outside its query's lease).
    const record = (result: FetchRunResult) => {
      const start = Date.parse(result.startedAt);
      spans.push({ start, end: start + result.durationMs });
    };
    await worker(config, record);
    await worker(config, record);
    await until('the first run', () => (spans.length > 0 ? true : undefined));
    sim.setFaults({ latencyMs: 1500 });
    await until('three slow runs', () => (spans.filter((s) => s.end - s.start >= 1400).length >= 3 ? true : undefined), 15_000);
    const sorted = [...spans].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.end);
  });

  it('keeps one scheduler per followed query and removes those of dropped queries on boot', async () => {
    const { sim, url } = await simulator({});
    const config = configFor(url, sim, { SEARCH_QUERIES: 'cricket,tea' });
    const first = await worker(config);
    await first.close(5000);
    const schedulers = async () => {
      const connection = createTestRedis();
      const queue = createFetchQueue(connection, config.redis.prefix, silentLogger);
      const list = await queue.getJobSchedulers(0, -1);
      await queue.close();
      connection.disconnect();
      return list.map((s) => [s.key, s.every, (s.template?.data as { query?: string } | undefined)?.query]).sort();
    };
    expect(await schedulers()).toEqual([
      ['fetch-query-1', 1000, 'cricket'],
      ['fetch-query-2', 1000, 'tea'],
    ]);
    await worker(testConfig({ ...environments.get(config), SEARCH_QUERIES: 'tea', FETCH_INTERVAL_MS: '2000' }));
    expect(await schedulers()).toEqual([['fetch-query-2', 2000, 'tea']]);
  });

  it('on shutdown finishes the running job before closing', async () => {
    const { sim, url } = await simulator({});
    const config = configFor(url, sim, { FETCH_INTERVAL_MS: '60000' });
    const results: FetchRunResult[] = [];
    const runtime = await worker(config, (r) => void results.push(r));
    await until('the first run', () => Promise.resolve(results.length > 0 ? true : undefined));
    sim.setFaults({ latencyMs: 1500 });
    const connection = createTestRedis();
    const queue = createFetchQueue(connection, config.redis.prefix, silentLogger);
    await queue.add('fetch', { queryId: 1, query: 'cricket' });
    await until('the job to start', async () => ((await queue.getActiveCount()) > 0 ? true : undefined));
    const started = Date.now();
    await runtime.close(10_000);
    expect(Date.now() - started).toBeGreaterThan(500); // it waited for the slow call
    expect(results).toHaveLength(2);
    expect(results[1]!.outcome).toBe('ok');
    expect(await queue.getFailedCount()).toBe(0);
    await queue.close();
    connection.disconnect();
  });

  it('renders at boot the stored video JSON an older version left missing or stale', async () => {
    const { sim, url } = await simulator({ publishIntervalMs: 5000 });
    const config = configFor(url, sim, { FETCH_INTERVAL_MS: '60000' });
    const results: FetchRunResult[] = [];
    const first = await worker(config, (r) => void results.push(r));
    await until('the first run', () => Promise.resolve(results.some((r) => r.inserted > 0) ? true : undefined));
    await first.close(5000);
    const db = createDb({ url: config.mysql.url, poolSize: 1 });
    cleanups.push(() => db.close());
    // As an older version left them: some rows never rendered, some by another renderer.
    await sql`UPDATE videos SET json = NULL, json_version = NULL WHERE id % 2 = 0`.execute(db.kysely);
    await sql`UPDATE videos SET json = ${'{}'}, json_version = ${VIDEO_JSON_VERSION - 1} WHERE id % 2 = 1`.execute(db.kysely);
    const before = await db.kysely.selectFrom('videos').select(['video_id', 'title']).execute();
    expect(before.length).toBeGreaterThan(1);

    await worker(config);
    const rows = await until('every row rendered for this version', async () => {
      const all = await db.kysely.selectFrom('videos').select(['video_id', 'title', 'json', 'json_version']).execute();
      return all.every((row) => row.json_version === VIDEO_JSON_VERSION) ? all : undefined;
    });
    for (const row of rows) expect(JSON.parse(row.json!.toString('utf8'))).toMatchObject({ video_id: row.video_id, title: row.title });
  });
});
