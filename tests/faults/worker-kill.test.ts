// Fault: the worker process is killed (SIGKILL: no shutdown code runs) at random points of its
// fetches, again and again, and restarted each time. Afterwards every video the simulator
// published is stored exactly once, the counts the service maintains agree with the rows, the
// query's Job Scheduler still exists and no job is left holding a lock.
//
// FAULT_KILLS sets the number of kills (default 20). Each restart waits out the killed
// worker's job lock (FETCH_JOB_LOCK_MS, short here) before fetching resumes: that wait is the
// price of a crash, and the scenario shows it is the only one.
import { Queue } from 'bullmq';
import type { RedisClient } from '@tubefeed/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FETCH_QUEUE, bullPrefix, fetchSchedulerId } from '@tubefeed/core';
import {
  auditStore,
  clearRedisPrefix,
  createTestDatabase,
  createTestRedis,
  sleep,
  testRedisUrl,
  uniqueName,
  until,
  type TestDatabase,
} from '@tubefeed/core/testing';
import { createRandom, createYoutubeSimulator, type YoutubeSimulator } from '@tubefeed/youtube-sim';
import { Services, logRecords } from './support/services.js';

const KILLS = Number(process.env.FAULT_KILLS ?? 20);
const SEED = Number(process.env.FAULT_SEED ?? 20261121);
const QUERY = 'tea';

let sim: YoutubeSimulator;
let db: TestDatabase;
let redis: RedisClient;
let queue: Queue;
const prefix = uniqueName('kill');
const services = new Services();
let env: Record<string, string>;

beforeAll(async () => {
  // Four uploads a second over eight minutes of history: a first run cannot take it all
  // (FETCH_MAX_PAGES × 50), so kills land in head pages, in backfill of pending ranges and in
  // the writes between them. Each call takes 80 ms, so a run spans several hundred ms.
  sim = createYoutubeSimulator({ seed: SEED, searchCallsPerDay: 1_000_000, unitsPerDay: 100_000_000, publishIntervalMs: 250, maxIndexDelayMs: 0, historyMs: 8 * 60_000 });
  sim.setFaults({ latencyMs: 80 });
  const url = await sim.listen();
  db = await createTestDatabase();
  redis = createTestRedis();
  queue = new Queue(FETCH_QUEUE, { connection: createTestRedis(), prefix: bullPrefix(prefix) });
  env = {
    MYSQL_URL: db.url,
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: prefix,
    YOUTUBE_API_KEYS: sim.apiKeys().join(','),
    YOUTUBE_API_ROOT: `${url}/`,
    YOUTUBE_SEARCH_CALLS_PER_DAY: '1000000',
    SEARCH_QUERIES: QUERY,
    FETCH_INTERVAL_MS: '1000',
    FETCH_MAX_PAGES: '4',
    QUOTA_PACING: 'off',
    FETCH_JOB_LOCK_MS: '1500',
  };
});

afterAll(async () => {
  await services.stopAll();
  await queue?.close();
  await sim?.close();
  if (redis !== undefined) {
    await clearRedisPrefix(redis, prefix);
    redis.disconnect();
  }
  await db?.drop();
});

const searchCalls = () => sim.calls().filter((call) => call.endpoint === 'search.list').length;

async function queryId(): Promise<number> {
  const row = await db.kysely.selectFrom('search_queries').select('id').where('text', '=', QUERY).executeTakeFirstOrThrow();
  return row.id;
}

describe(`the worker killed with SIGKILL ${KILLS} times at random points of its fetches`, () => {
  it('loses nothing, duplicates nothing, keeps its scheduler and leaves no stuck lock', async () => {
    const random = createRandom(SEED);
    const where = { booting: 0, inCall: 0, betweenCalls: 0 };
    for (let i = 0; i < KILLS; i++) {
      const callsBefore = searchCalls();
      const worker = services.start('worker', env);
      if (random() < 0.2) {
        // While it boots: migrations, key import, scheduling.
        await sleep(random() * 1500);
      } else {
        await until(`kill ${i + 1}: a fetch to start`, () => (searchCalls() > callsBefore ? true : undefined), 30_000);
        await sleep(random() * 1000);
      }
      if (searchCalls() === callsBefore) where.booting++;
      else if (sim.hangingCalls() > 0) where.inCall++;
      else where.betweenCalls++;
      await worker.kill();
    }
    // How the kills fell, for the record (kills after a call answered land in the run's writes,
    // its snapshot refresh or between runs).
    // eslint-disable-next-line no-console -- the scenario's figures, for the record
    console.info(`worker-kill: ${KILLS} kills (seed ${SEED}):`, where, `${searchCalls()} search calls`);

    // One last worker, left alone, catches up with everything published up to now.
    const cut = sim.now();
    const expected = sim.groundTruth(QUERY, { publishedBefore: cut }).map((video) => video.videoId).sort();
    const id = await queryId();
    const survivor = services.start('worker', env);
    await until(
      'the last worker to store every video published before the last kill',
      async () => {
        if (!logRecords(survivor).some((record) => record.msg === 'fetch run finished')) return undefined;
        const { ids } = await auditStore(db.kysely, id);
        const stored = new Set(ids);
        return expected.every((videoId) => stored.has(videoId)) ? true : undefined;
      },
      120_000,
      500,
    );
    // A job the last killed worker held stays active until the survivor's stalled check (every
    // FETCH_JOB_LOCK_MS) hands it back and runs it; meanwhile the survivor takes the ticks that
    // follow (there is no queue-wide limit), so that can come after everything is stored.
    await until('no job left active by a killed worker', async () => ((await queue.getActiveCount()) === 0 ? true : undefined), 30_000, 50);
    survivor.signal('SIGTERM');
    expect(await survivor.exited).toBe(0);

    // Exactly once: nothing missing, nothing foreign, every maintained count equal to the rows.
    const audit = await auditStore(db.kysely, id);
    expect(audit.problems).toEqual([]);
    const published = new Set(sim.groundTruth(QUERY).map((video) => video.videoId));
    expect(audit.ids.filter((videoId) => !published.has(videoId))).toEqual([]);
    expect(audit.ids.length).toBeGreaterThanOrEqual(expected.length);
    expect(expected.length).toBeGreaterThan(1900);

    // The query's scheduler survived every crash, and no job holds a lock or sits active.
    const schedulers = await queue.getJobSchedulers(0, -1);
    expect(schedulers.map((scheduler) => scheduler.key)).toContain(fetchSchedulerId(id));
    expect(await queue.getActiveCount()).toBe(0);
    expect(await redis.keys(`${bullPrefix(prefix)}:${FETCH_QUEUE}:*:lock`)).toEqual([]);
    // Nothing was left pending for the query either.
    const row = await db.kysely.selectFrom('search_queries').select('pending_ranges').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.pending_ranges).toBeNull();
  });
});
