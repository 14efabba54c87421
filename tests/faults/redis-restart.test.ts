// Fault: Redis is restarted and comes back empty (like the deployment's, it keeps nothing on
// disk), on a private redis-server so the machine's shared one is never touched. While it is
// down the API keeps answering from MySQL; when it is back the worker re-creates its Job
// Scheduler (and no global concurrency limit: runs are kept apart per query), the page-1
// snapshot is rebuilt, fetching resumes with nothing lost or duplicated, and a key that was out
// of quota is not called again: its state is rebuilt from MySQL, not rediscovered by spending
// calls.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FETCH_QUEUE, bullPrefix, fetchSchedulerId, snapshotKey } from '@tubefeed/core';
import { auditStore, sleep, until } from '@tubefeed/core/testing';
import { startStack, type Stack } from '../e2e/stack.js';
import { startPrivateRedis, type PrivateRedis } from '@tubefeed/core/testing';

const QUERY = 'cricket';
const QUOTA = 100_000_000;

let redisServer: PrivateRedis;
let stack: Stack;

beforeAll(async () => {
  redisServer = await startPrivateRedis();
  stack = await startStack({
    sim: { seed: 50, publishIntervalMs: 1000, historyMs: 5 * 60_000, searchCallsPerDay: QUOTA, unitsPerDay: QUOTA },
    env: {
      REDIS_URL: redisServer.url,
      SEARCH_QUERIES: QUERY,
      FETCH_INTERVAL_MS: '1000',
      QUOTA_PACING: 'off',
      YOUTUBE_SEARCH_CALLS_PER_DAY: String(QUOTA),
      YOUTUBE_UNITS_PER_DAY: String(QUOTA),
    },
  });
  // The first key is out of quota for the day before the service ever uses it.
  stack.sim.setQuotaUsed(0, { searchCalls: QUOTA });
});

afterAll(async () => {
  await stack?.close();
  await redisServer?.stop();
});

async function queryId(): Promise<number> {
  const row = await stack.api.db.kysely.selectFrom('search_queries').select('id').where('text', '=', QUERY).executeTakeFirstOrThrow();
  return row.id;
}

async function caughtUp(id: number, what: string): Promise<void> {
  const expected = stack.sim.groundTruth(QUERY, { publishedBefore: stack.sim.now() }).map((video) => video.videoId);
  await until(
    what,
    async () => {
      const stored = new Set((await auditStore(stack.api.db.kysely, id)).ids);
      return expected.every((videoId) => stored.has(videoId)) ? true : undefined;
    },
    30_000,
    200,
  );
}

const get = async (url: string) => stack.api.app.inject({ method: 'GET', url });

describe('Redis restarted empty', () => {
  it('keeps the API answering, and the worker rebuilds its schedule, snapshot and key state', async () => {
    const id = await queryId();
    await caughtUp(id, 'the first fetches');
    await until('the exhausted key to be found out', () =>
      stack.sim.calls().some((call) => call.keyIndex === 0 && call.reason === 'quotaExceeded') ? true : undefined,
    );

    await redisServer.crash();
    const crashedAt = stack.sim.calls().at(-1)?.seq ?? 0;
    // Five seconds without Redis: every data endpoint still answers, from MySQL.
    const statuses: Record<string, number[]> = { page1: [], page2: [], videos: [], health: [] };
    const outageEnds = Date.now() + 5000;
    while (Date.now() < outageEnds) {
      const [page1, page2, videos, health] = await Promise.all([get('/getData?limit=10'), get('/getData?limit=10&pageNo=2'), get('/videos?limit=5'), get('/health')]);
      statuses.page1!.push(page1.statusCode);
      statuses.page2!.push(page2.statusCode);
      statuses.videos!.push(videos.statusCode);
      statuses.health!.push(health.statusCode);
      if (health.statusCode !== 200) expect(health.json()).toMatchObject({ checks: { redis: 'down', mysql: 'up' } });
      await sleep(100);
    }
    expect(new Set(statuses.page1)).toEqual(new Set([200]));
    expect(new Set(statuses.page2)).toEqual(new Set([200]));
    expect(new Set(statuses.videos)).toEqual(new Set([200]));
    expect(statuses.health).toContain(503);

    await redisServer.restart();
    const restartedAt = Date.now();
    const resultsBefore = stack.results.length;
    const inspector = new Redis(redisServer.url);
    const queue = new Queue(FETCH_QUEUE, { connection: inspector, prefix: bullPrefix(stack.config.redis.prefix) });
    try {
      // The worker put its scheduler back (with no queue-wide limit: a query's runs are kept
      // apart by its fetch lease), and fetches again.
      await until('the scheduler to be re-created', async () =>
        (await queue.getJobSchedulers(0, -1)).some((scheduler) => scheduler.key === fetchSchedulerId(id)) ? true : undefined,
      );
      expect(await queue.getGlobalConcurrency()).toBeNull();
      await until('a fetch run after the restart', () => (stack.results.length > resultsBefore ? true : undefined), 20_000);
      // eslint-disable-next-line no-console -- the scenario's figures, for the record
      console.info(`redis-restart: first run ${Date.now() - restartedAt} ms after Redis came back`);
      await caughtUp(id, 'fetching to catch up after the restart');

      // The snapshot is back in Redis and page 1 shows the newest video again.
      await until('the page-1 snapshot to be rebuilt', async () => ((await inspector.exists(snapshotKey(stack.config.redis.prefix, 0))) === 1 ? true : undefined));
      const newest = stack.sim.groundTruth(QUERY, { publishedBefore: stack.sim.now() })[0]!;
      await until('page 1 to show the newest video', async () => {
        const page = (await get('/getData?limit=10')).json<{ videos: Array<{ video_id: string }> }>();
        return page.videos.some((video) => video.video_id === newest.videoId) ? true : undefined;
      });
    } finally {
      await queue.close();
      inspector.disconnect();
    }

    // The exhausted key was not called again: its state came back from MySQL.
    const afterCrash = stack.sim.calls().filter((call) => call.seq > crashedAt && call.endpoint === 'search.list');
    expect(afterCrash.length).toBeGreaterThan(0);
    expect(afterCrash.filter((call) => call.keyIndex === 0)).toEqual([]);
    const audit = await auditStore(stack.api.db.kysely, id);
    expect(audit.problems).toEqual([]);
  });
});
