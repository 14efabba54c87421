// Fault: SIGTERM to the API and to the worker (real processes, started as deployed) while they
// work. The API finishes every request it had received, answering 200, and exits 0 within
// 10 s. The worker finishes its running fetch and exits 0 within 10 s; when the fetch cannot
// finish within the grace period (a YouTube call that never answers) it is abandoned, the
// worker still exits 0 in time, and the next worker runs the job again with nothing lost or
// duplicated.
import { Queue } from 'bullmq';
import type { RedisClient } from '@tubefeed/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FETCH_QUEUE, bullPrefix, createVideoRepository, systemClock } from '@tubefeed/core';
import {
  auditStore,
  clearRedisPrefix,
  createTestDatabase,
  createTestRedis,
  sleep,
  testRedisUrl,
  uniqueName,
  until,
  videoInput,
  type TestDatabase,
} from '@tubefeed/core/testing';
import { createYoutubeSimulator, type YoutubeSimulator } from '@tubefeed/youtube-sim';
import { freePort, waitForHttp } from '@tubefeed/core/testing';
import { Services, logRecords, type ServiceProcess } from './support/services.js';
import { startTcpProxy, type TcpProxy } from '@tubefeed/core/testing';

const EXIT_WITHIN_MS = 10_000;

const services = new Services();
let redis: RedisClient;

beforeAll(() => {
  redis = createTestRedis();
});

afterEach(async () => {
  await services.stopAll();
});

afterAll(() => {
  redis?.disconnect();
});

/** SIGTERM, then how the process ended and how long it took. */
async function terminate(service: ServiceProcess): Promise<{ code: number | null; ms: number }> {
  const started = performance.now();
  service.signal('SIGTERM');
  const code = await service.exited;
  return { code, ms: performance.now() - started };
}

interface Outcome {
  readonly startedAt: number;
  readonly status: number | 'error';
  readonly videos: number;
}

describe('SIGTERM to the API under load', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  const prefix = uniqueName('term');

  beforeAll(async () => {
    db = await createTestDatabase();
    const videos = createVideoRepository({ db: db.kysely, clock: systemClock });
    const start = Date.parse('2026-11-01T00:00:00Z');
    await videos.upsertBatch(Array.from({ length: 600 }, (_, i) => videoInput({ publishedAt: new Date(start + i * 60_000) })));
    // MySQL through a proxy the test can stall: requests that reach the database then stay in
    // flight for as long as the test wants, across the SIGTERM.
    proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(db.url).port || 3306) });
  });

  afterAll(async () => {
    await proxy?.close();
    await clearRedisPrefix(redis, prefix);
    await db?.drop();
  });

  it('answers every request it received and exits 0 within 10 s', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const url = new URL(db.url);
    url.port = String(proxy.port);
    const api = services.start('api', {
      HOST: '127.0.0.1',
      PORT: String(port),
      MYSQL_URL: url.toString(),
      MYSQL_POOL_SIZE: '10',
      // Longer than the stall below, so requests held in it are slow rather than failed.
      MYSQL_QUERY_TIMEOUT_MS: '5000',
      MYSQL_ACQUIRE_TIMEOUT_MS: '5000',
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: prefix,
      RATE_LIMIT_MAX: '0',
    });
    await waitForHttp(`${base}/health`, api);

    // Six clients, each asking for deep pages (always a database read) back to back.
    const outcomes: Outcome[] = [];
    let running = true;
    const client = async (n: number) => {
      for (let i = 0; running; i++) {
        const startedAt = performance.now();
        try {
          const response = await fetch(`${base}/getData?limit=50&pageNo=${2 + ((n + i) % 10)}`, { signal: AbortSignal.timeout(15_000) });
          const body = (await response.json()) as { videos?: unknown[] };
          outcomes.push({ startedAt, status: response.status, videos: body.videos?.length ?? 0 });
        } catch {
          outcomes.push({ startedAt, status: 'error', videos: 0 });
          await sleep(50);
        }
      }
    };
    const clients = Array.from({ length: 6 }, (_, n) => client(n));
    await until('requests to flow', () => (outcomes.filter((o) => o.status === 200).length >= 60 ? true : undefined), 15_000);

    // Stall MySQL: every client's current request is now in flight inside the API.
    await proxy.down('blackhole', 'stall');
    await sleep(300);
    const inFlight = outcomes.length;
    const signalledAt = performance.now();
    const exit = terminate(api);
    await sleep(700);
    await proxy.pass();
    const { code, ms } = await exit;
    running = false;
    await Promise.all(clients);

    expect(code).toBe(0);
    expect(ms).toBeLessThan(EXIT_WITHIN_MS);
    const before = outcomes.filter((o) => o.startedAt < signalledAt);
    // The six requests held in flight by the stall are among them, and completed after it.
    expect(before.length).toBeGreaterThanOrEqual(inFlight + 6);
    expect(before.filter((o) => o.status !== 200 || o.videos !== 50)).toEqual([]);
    expect(logRecords(api).some((record) => record.msg === 'api stopped')).toBe(true);
  });
});

describe('SIGTERM to the worker during a fetch', () => {
  let sim: YoutubeSimulator;
  let db: TestDatabase;
  let queue: Queue;
  let env: Record<string, string>;
  const prefix = uniqueName('term');
  const QUERY = 'tea';

  beforeAll(async () => {
    // Ten uploads a second: a first run has three full pages to fetch, and each call takes 1.5 s,
    // so a run lasts about five seconds.
    sim = createYoutubeSimulator({ seed: 60, searchCallsPerDay: 1_000_000, unitsPerDay: 100_000_000, publishIntervalMs: 100, maxIndexDelayMs: 0, historyMs: 40_000 });
    const simUrl = await sim.listen();
    db = await createTestDatabase();
    queue = new Queue(FETCH_QUEUE, { connection: createTestRedis(), prefix: bullPrefix(prefix) });
    env = {
      MYSQL_URL: db.url,
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: prefix,
      YOUTUBE_API_KEYS: sim.apiKeys().join(','),
      YOUTUBE_API_ROOT: `${simUrl}/`,
      YOUTUBE_SEARCH_CALLS_PER_DAY: '1000000',
      YOUTUBE_TIMEOUT_MS: '30000',
      SEARCH_QUERIES: QUERY,
      FETCH_INTERVAL_MS: '1000',
      FETCH_MAX_PAGES: '3',
      QUOTA_PACING: 'off',
      FETCH_JOB_LOCK_MS: '2000',
    };
  });

  afterAll(async () => {
    await queue?.close();
    await sim?.close();
    await clearRedisPrefix(redis, prefix);
    await db?.drop();
  });


  it('lets the running fetch finish, then exits 0 within 10 s', async () => {
    sim.setFaults({ latencyMs: 1500 });
    const worker = services.start('worker', env);
    await until('a fetch to be waiting on YouTube', () => (sim.hangingCalls() > 0 ? true : undefined), 30_000);
    const completedBefore = await queue.getCompletedCount();
    const { code, ms } = await terminate(worker);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(EXIT_WITHIN_MS);
    const records = logRecords(worker);
    const stopAt = records.findIndex((record) => record.msg === 'shutting down');
    // The run in progress when the signal came finished (and was stored) before the exit.
    expect(records.slice(stopAt).some((record) => record.msg === 'fetch run finished')).toBe(true);
    expect(records.some((record) => String(record.msg).includes('abandoning'))).toBe(false);
    expect(await queue.getCompletedCount()).toBe(completedBefore + 1);
    expect(await queue.getActiveCount()).toBe(0);
  });

  it('ignores a second signal while it stops (npm start sends one more): the fetch still finishes, exit 0', async () => {
    sim.setFaults({ latencyMs: 1500 });
    const worker = services.start('worker', env);
    await until('a fetch to be waiting on YouTube', () => (sim.hangingCalls() > 0 ? true : undefined), 30_000);
    const exit = terminate(worker);
    await sleep(200);
    worker.signal('SIGTERM');
    await sleep(200);
    worker.signal('SIGINT');
    const { code, ms } = await exit;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(EXIT_WITHIN_MS);
    const records = logRecords(worker);
    const stopAt = records.findIndex((record) => record.msg === 'shutting down');
    expect(records.slice(stopAt).some((record) => record.msg === 'fetch run finished')).toBe(true);
    expect(records.filter((record) => record.msg === 'shutting down')).toHaveLength(1);
    expect(records.at(-1)?.msg).toBe('worker stopped');
    sim.clearFaults();
  });

  it('abandons a fetch that cannot finish in time, exits 0 within 10 s, and the job runs again', async () => {
    sim.setFaults({ failNext: [{ hang: true }] });
    const worker = services.start('worker', env);
    await until('a YouTube call to hang', () => (sim.hangingCalls() > 0 ? true : undefined), 30_000);
    const { code, ms } = await terminate(worker);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(EXIT_WITHIN_MS);
    expect(logRecords(worker).some((record) => String(record.msg).includes('abandoning'))).toBe(true);

    // The next worker picks the abandoned job up once its lock has expired and catches up.
    sim.clearFaults();
    const cut = sim.now();
    const expected = sim.groundTruth(QUERY, { publishedBefore: cut }).map((video) => video.videoId);
    const next = services.start('worker', env);
    const row = await until('the query row', () => db.kysely.selectFrom('search_queries').select('id').where('text', '=', QUERY).executeTakeFirst());
    await until(
      'the next worker to store everything published before the restart',
      async () => {
        const stored = new Set((await auditStore(db.kysely, row.id)).ids);
        return expected.every((videoId) => stored.has(videoId)) ? true : undefined;
      },
      60_000,
      250,
    );
    const stopped = await terminate(next);
    expect(stopped.code).toBe(0);
    const audit = await auditStore(db.kysely, row.id);
    expect(audit.problems).toEqual([]);
    expect(await queue.getActiveCount()).toBe(0);
    expect(await redis.keys(`${bullPrefix(prefix)}:${FETCH_QUEUE}:*:lock`)).toEqual([]);
  });
});
