// Replicas: two API processes and three workers, as deployed behind a load balancer, on one
// Redis prefix and one database, following ten queries while the simulator publishes. Workers
// are killed with SIGKILL at random and restarted, again and again. Afterwards:
// - no query was fetched twice at once: the simulator's own record of search calls in flight
//   per query never shows two (it knows nothing of leases), nor do the run spans the workers log;
// - every search was counted exactly once: the calls the key pool recorded in Redis (per-project
//   usage and the per-key counters behind /metrics) equal the calls the simulator received,
//   except a search counted by a worker killed before its request reached the simulator (the
//   pool counts before the call, so parallel runs never overspend): never fewer, and once the
//   killing stops not one more;
// - every video the simulator published is stored exactly once, with every maintained count
//   equal to the rows;
// - after each store sampled during the kills, page 1 of both APIs shows it within 1 s, and at
//   the end both serve the same page 1.
//
// FAULT_SEED picks the kills; REPLICAS_KILL_MS how long the killing goes on (default 35 s).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupKey } from '@tubefeed/core';
import {
  auditStore,
  clearRedisPrefix,
  createTestDatabase,
  createTestRedis,
  freePort,
  maxOverlap,
  sleep,
  testRedisUrl,
  uniqueName,
  until,
  waitForHttp,
  type TestDatabase,
} from '@tubefeed/core/testing';
import type { RedisClient } from '@tubefeed/core';
import { createRandom, createYoutubeSimulator, type YoutubeSimulator } from '@tubefeed/youtube-sim';
import { pageOneServes, watchPageOne, type PageOneWatch, type Store } from './support/page-one-watch.js';
import { Services, logRecords, type ServiceProcess } from './support/services.js';

const SEED = Number(process.env.FAULT_SEED ?? 20261207);
const KILL_MS = Number(process.env.REPLICAS_KILL_MS ?? 35_000);
const QUERIES = ['cricket', 'tea', 'chess', 'jazz', 'origami', 'volcano', 'sourdough', 'bonsai', 'kayak', 'falconry'];
const WORKERS = 3;
const LIMIT = 100;
/** The workers' default: runs a kill can cut short at once. */
const FETCH_CONCURRENCY = 4;

const services = new Services();
const prefix = uniqueName('replicas');
let sim: YoutubeSimulator;
let db: TestDatabase;
let redis: RedisClient;
let watch: PageOneWatch;
let workerEnv: Record<string, string>;
const apis: Array<{ readonly base: string; readonly process: ServiceProcess }> = [];
/** Every worker process started, killed ones included: their output holds their runs. */
const workerProcesses: ServiceProcess[] = [];
/** The workers running now, one per slot. */
const live: ServiceProcess[] = [];

// The simulator's side: search calls in flight, per query and in all.
const calls = { inFlight: new Map<string, number>(), open: new Set<object>(), mostPerQuery: new Map<string, number>(), mostAll: 0 };

beforeAll(async () => {
  // Each query's stream uploads every 4 s (2.5 a second in all), every upload searchable at
  // once; each call takes 150 ms, so a run spans a few hundred ms and kills land inside runs.
  sim = createYoutubeSimulator({ seed: SEED, searchCallsPerDay: 1_000_000, unitsPerDay: 100_000_000, publishIntervalMs: 4000, maxIndexDelayMs: 0, historyMs: 5 * 60_000 });
  sim.setFaults({ latencyMs: 150 });
  const queryOf = (request: { url: string; query: unknown }) => (request.url.includes('/search') ? String((request.query as { q?: string }).q) : undefined);
  const ended = (request: object & { url: string; query: unknown }) => {
    const q = queryOf(request);
    if (q === undefined || !calls.open.delete(request)) return;
    calls.inFlight.set(q, calls.inFlight.get(q)! - 1);
  };
  sim.app.addHook('onRequest', (request, _reply, done) => {
    const q = queryOf(request);
    if (q !== undefined) {
      calls.open.add(request);
      const now = (calls.inFlight.get(q) ?? 0) + 1;
      calls.inFlight.set(q, now);
      calls.mostPerQuery.set(q, Math.max(calls.mostPerQuery.get(q) ?? 0, now));
      calls.mostAll = Math.max(calls.mostAll, calls.open.size);
    }
    done();
  });
  // A killed worker's call ends when the simulator sees its connection close.
  sim.app.addHook('onResponse', (request, _reply, done) => {
    ended(request);
    done();
  });
  sim.app.addHook('onRequestAbort', (request, done) => {
    ended(request);
    done();
  });
  const simUrl = await sim.listen();
  db = await createTestDatabase();
  redis = createTestRedis();
  const common = {
    MYSQL_URL: db.url,
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: prefix,
    YOUTUBE_API_KEYS: sim.apiKeys().join(','),
    YOUTUBE_API_ROOT: `${simUrl}/`,
    YOUTUBE_SEARCH_CALLS_PER_DAY: '1000000',
    SEARCH_QUERIES: QUERIES.join(','),
    RATE_LIMIT_MAX: '0',
  };
  workerEnv = {
    ...common,
    FETCH_INTERVAL_MS: '1000',
    QUOTA_PACING: 'off',
    // A killed worker's job and lease free its query after 2 s.
    FETCH_JOB_LOCK_MS: '2000',
    // The span of every run ('fetch lease released') is a debug line.
    LOG_LEVEL: 'debug',
  };
  watch = await watchPageOne(testRedisUrl(), prefix);
  for (let i = 0; i < WORKERS; i++) live.push(startWorker());
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    apis.push({ base: `http://127.0.0.1:${port}`, process: services.start('api', { ...common, HOST: '127.0.0.1', PORT: String(port) }) });
  }
  for (const { base, process } of apis) await waitForHttp(`${base}/health`, process);
});

afterAll(async () => {
  watch?.close();
  await services.stopAll();
  await sim?.close();
  if (redis !== undefined) {
    await clearRedisPrefix(redis, prefix);
    redis.disconnect();
  }
  await db?.drop();
});

function startWorker(): ServiceProcess {
  const worker = services.start('worker', workerEnv);
  workerProcesses.push(worker);
  return worker;
}

/** SIGTERM to the running workers once each has booted (a restart may be moments old); each exits 0. */
async function stopLive(): Promise<void> {
  for (const worker of live) {
    await until('the worker to have run a job', () => (logRecords(worker).some((r) => r.msg === 'fetch lease released') ? true : undefined), 20_000, 100);
  }
  for (const worker of live) worker.signal('SIGTERM');
  for (const worker of live) expect(await worker.exited).toBe(0);
}

const searchCallsSeen = () => sim.calls().filter((call) => call.endpoint === 'search.list').length;


const median = (list: readonly number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? NaN;

/** Search calls the key pool recorded: per-project usage of the day(s), and the per-key counters. */
async function recordedSearches(): Promise<{ usage: number; counters: number }> {
  let usage = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${groupKey(prefix, null, 'yt', 'usage')}:*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) usage += Number((await redis.hget(key, 'search')) ?? 0);
  } while (cursor !== '0');
  const counters = Object.entries(await redis.hgetall(groupKey(prefix, null, 'metrics')))
    .filter(([field]) => field.startsWith('quota:search:'))
    .reduce((sum, [, n]) => sum + Number(n), 0);
  return { usage, counters };
}

describe(`2 APIs and ${WORKERS} workers on one prefix and database, ${QUERIES.length} queries, workers killed at random`, () => {
  it('never fetches a query twice at once, counts every search once, stores every video once, and both APIs show each store within 1 s', async () => {
    const random = createRandom(SEED);
    const started = performance.now();
    let killing = true;

    // Workers killed at random points (one of the three, every 1.5-4.5 s) and restarted at once.
    let kills = 0;
    const killer = (async () => {
      while (performance.now() - started < KILL_MS) {
        await sleep(1500 + random() * 3000);
        const slot = Math.floor(random() * WORKERS);
        await live[slot]!.kill();
        kills++;
        live[slot] = startWorker();
      }
      killing = false;
    })();

    // Meanwhile: stores that put a new video on page 1, each looked for on both APIs.
    const delays: number[][] = apis.map(() => []);
    const sampler = (async () => {
      let after = watch.stores.at(-1)?.seq ?? 0;
      while (killing) {
        const store: Store = await watch.nextStore(after, 20_000);
        const served = await Promise.all(apis.map(({ base }) => pageOneServes(base, watch, store, LIMIT)));
        served.forEach((s, i) => delays[i]!.push(Math.round(s.ms)));
        // The next sample is a store made after both APIs served this one.
        after = watch.stores.at(-1)!.seq;
      }
    })();
    await Promise.all([killer, sampler]);

    // The killing is over: the workers stop gracefully (their runs finish), and the count of
    // the kill phase is settled. A kill between the key pool's count of a search (made before
    // the call, so that parallel runs never overspend) and its request reaching YouTube leaves
    // one search counted that YouTube never charged: the only difference allowed, at most one
    // per run cut short.
    await stopLive();
    const afterKills = { seen: searchCallsSeen(), recorded: await recordedSearches() };

    // Three fresh workers, never killed, catch up with everything published up to now; from
    // here every search is counted exactly once.
    const cut = sim.now();
    const ids = new Map<string, number>();
    for (const q of QUERIES) ids.set(q, (await db.kysely.selectFrom('search_queries').select('id').where('text', '=', q).executeTakeFirstOrThrow()).id);
    const expected = new Map(QUERIES.map((q) => [q, sim.groundTruth(q, { publishedBefore: cut }).map((v) => v.videoId)]));
    for (let slot = 0; slot < WORKERS; slot++) live[slot] = startWorker();
    await until(
      'the workers to store every video published before the kills ended',
      async () => {
        for (const q of QUERIES) {
          const stored = new Set((await auditStore(db.kysely, ids.get(q)!)).ids);
          if (!expected.get(q)!.every((id) => stored.has(id))) return undefined;
        }
        return true;
      },
      40_000,
      500,
    );
    await stopLive();
    const elapsedS = Math.round((performance.now() - started) / 1000);

    // No query fetched twice at once: the simulator's view, then the workers' own.
    const spans = workerProcesses.flatMap((worker) =>
      logRecords(worker)
        .filter((r) => r.msg === 'fetch lease released')
        .map((r) => ({ queryId: r.queryId as number, start: r.leasedAt as number, end: r.releasedAt as number })),
    );
    const runs = workerProcesses.flatMap((worker) => logRecords(worker).filter((r) => r.msg === 'fetch run finished')).length;
    const skippedBusy = workerProcesses.flatMap((worker) => logRecords(worker).filter((r) => r.msg === 'query is being fetched by another job; this one is skipped')).length;
    const perQuery = QUERIES.map((q) => maxOverlap(spans.filter((s) => s.queryId === ids.get(q))));
    const parallel = maxOverlap(spans);

    // Every search counted once.
    const seen = searchCallsSeen();
    const recorded = await recordedSearches();
    const countedUnsent = afterKills.recorded.usage - afterKills.seen;

    // Both APIs serve the same page 1 once the last store is out.
    const pages = await until('both APIs to serve the same page 1', async () => {
      const both = await Promise.all(
        apis.map(async ({ base }) => {
          const response = await fetch(`${base}/getData?pageNo=1&limit=${LIMIT}`);
          return { etag: response.headers.get('etag'), body: await response.text() };
        }),
      );
      return both[0]!.etag === both[1]!.etag && both[0]!.body === both[1]!.body ? both : undefined;
    });

    // eslint-disable-next-line no-console -- the scenario's figures, for the record
    console.info(
      `replicas (seed ${SEED}, ${elapsedS} s): ${kills} worker kills, ${runs} runs (${skippedBusy} ticks skipped while their query was being fetched), ` +
        `at most ${parallel} runs at once (${calls.mostAll} search calls in flight), at most ${Math.max(...perQuery)} per query; ` +
        `search calls: simulator ${seen}, recorded ${recorded.usage} (usage) / ${recorded.counters} (counters), ` +
        `of which ${countedUnsent} counted by workers killed before the call reached the simulator; ` +
        `store to page 1 over ${delays[0]!.length} stores: ` +
        delays.map((list, i) => `API ${i + 1} median ${median(list)} ms, worst ${Math.max(...list)} ms`).join('; '),
    );

    expect(watch.problems).toEqual([]);
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(Object.fromEntries(calls.mostPerQuery)).toEqual(Object.fromEntries(QUERIES.map((q) => [q, 1])));
    expect(perQuery).toEqual(QUERIES.map(() => 1));
    expect(parallel).toBeGreaterThan(1);
    expect(afterKills.recorded.counters).toBe(afterKills.recorded.usage);
    expect(countedUnsent).toBeGreaterThanOrEqual(0);
    expect(countedUnsent).toBeLessThanOrEqual(kills * FETCH_CONCURRENCY);
    // Without kills, exactly one count per call: nothing counted after the kills went unanswered.
    expect(recorded).toEqual({ usage: seen + countedUnsent, counters: seen + countedUnsent });
    for (const list of delays) {
      expect(list.length).toBeGreaterThanOrEqual(5);
      expect(Math.max(...list)).toBeLessThan(1000);
    }
    expect(pages[0]!.etag).not.toBeNull();

    // Every published video stored exactly once, every count equal to the rows.
    for (const q of QUERIES) {
      const audit = await auditStore(db.kysely, ids.get(q)!);
      expect(audit.problems, q).toEqual([]);
      const published = new Set(sim.groundTruth(q).map((video) => video.videoId));
      expect(audit.ids.filter((id) => !published.has(id)), q).toEqual([]);
      expect(expected.get(q)!.filter((id) => !audit.ids.includes(id)), q).toEqual([]);
    }
    const { rows, distinct } = await db.kysely
      .selectFrom('videos')
      .select((eb) => [eb.fn.countAll<number>().as('rows'), eb.fn.count<number>('video_id').distinct().as('distinct')])
      .executeTakeFirstOrThrow();
    expect(Number(rows)).toBe(Number(distinct));
    const everyPublished = new Set(QUERIES.flatMap((q) => expected.get(q)!));
    expect(Number(rows)).toBeGreaterThanOrEqual(everyPublished.size);
  });
});
