// Pacing planned once for the cluster: two planners (two workers) on one Redis prefix, one
// database and one fetch queue, each told of different runs. Both go by the same cost per run
// and the same published pacing, and their plans never run at the same time, even when a plan
// outlasts the lock's lifetime; a plan that lost its lock writes nothing more.
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { clearRedisPrefix, createTestDatabase, createTestRedis, silentLogger, uniqueName, type TestDatabase } from '../testing/index.js';
import { LockLostError } from '../platform/redis/redis-lock.js';
import { createFetchPlanner, pacingKeys } from './fetch-planner.js';
import { bullmqFetchSchedule, createFetchQueue, type FetchJobData } from './fetch-queue.js';
import { createFetchStack } from './fetch-stack.js';
import { staticKeySource } from './youtube/key-pool.js';

const redis = createTestRedis();
const prefix = uniqueName('plan');
// Noon PT on a PDT day: 12 h to the reset.
const clock = new ManualClock('2024-05-14T19:00:00Z');
let db: TestDatabase;
let queue: Queue<FetchJobData>;
const planning = { now: 0, most: 0, plans: 0 };

beforeAll(async () => {
  db = await createTestDatabase();
  queue = createFetchQueue(createTestRedis(), prefix, silentLogger);
});

afterAll(async () => {
  await queue.close();
  await clearRedisPrefix(redis, prefix);
  redis.disconnect();
  await db.drop();
});

function worker(options: { listDelayMs?: number; planLockMs?: number; afterList?: () => Promise<void> } = {}) {
  const { queries, pool } = createFetchStack({
    db: db.kysely,
    redis,
    redisPrefix: prefix,
    clock,
    log: silentLogger,
    keys: staticKeySource(['AIzaPlannerKey0001']),
    quota: { searchCallsPerDay: 100, unitsPerDay: 10_000 },
    youtube: { rootUrl: 'http://127.0.0.1:9/', timeoutMs: 100 },
    settings: { overlapMs: 600_000, lookbackMs: 3_600_000, maxPages: 5, pageSize: 50 },
    retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 },
  });
  // Plans in progress across the workers, from a plan's first read (held up a little, so plans
  // that could overlap would) to its read of the schedule.
  const timedQueries = {
    async list(...args: Parameters<typeof queries.list>) {
      planning.plans++;
      planning.most = Math.max(planning.most, ++planning.now);
      await new Promise((resolve) => setTimeout(resolve, options.listDelayMs ?? 30));
      const listed = await queries.list(...args);
      await options.afterList?.();
      return listed;
    },
  };
  const schedule = bullmqFetchSchedule(queue);
  const timedSchedule = {
    ...schedule,
    async current() {
      const found = await schedule.current();
      planning.now--;
      return found;
    },
  };
  const planner = createFetchPlanner({
    schedule: timedSchedule,
    queries: timedQueries,
    pool,
    redis,
    prefix,
    clock,
    log: silentLogger,
    minIntervalMs: 10_000,
    pacing: true,
    ...(options.planLockMs === undefined ? {} : { planLockMs: options.planLockMs }),
  });
  return { queries, planner };
}

describe('the fetch planner, with several workers', () => {
  it('paces every worker by the runs any of them made, from one published plan', async () => {
    const a = worker();
    const b = worker();
    await a.queries.follow('cricket');
    await a.queries.follow('tea');
    const first = await a.planner.replan('boot');
    // 100 searches, 2 queries, 12 h: 50 runs each at one search a run.
    expect(first.pacing.intervalMs).toBe(Math.ceil(43_200_000 / 51));
    expect(await b.planner.current()).toMatchObject({ intervalMs: first.pacing.intervalMs, queries: 2 });

    // Runs on both workers cost 4 searches each (paging, sweeps); the largest is left out.
    for (const cost of [4, 4, 9]) await a.planner.observe(cost);
    for (const cost of [4, 4]) await b.planner.observe(cost);
    await b.planner.observe(0); // a run that made no call is no cost
    const replanned = await b.planner.replan('run');
    // 100 searches at 4 a run: 25 runs, 12 each, every 12 h / 13.
    expect(replanned.pacing.intervalMs).toBe(Math.ceil(43_200_000 / 13));
    expect(replanned.updated).toHaveLength(2);
    // The other worker plans the same: nothing to move.
    expect((await a.planner.replan('run')).updated).toEqual([]);
    expect(await redis.lrange(pacingKeys(prefix).costs, 0, -1)).toEqual(['4', '4', '9', '4', '4'].reverse());

    // While the budget binds, both workers' runs get the same sweep budget: a fifth of what is
    // left, per hour to the reset, per query.
    expect(await a.planner.sweepSearchesPerHour()).toBeCloseTo((0.2 * 100) / 12 / 2, 6);
    expect(await b.planner.sweepSearchesPerHour()).toBe(await a.planner.sweepSearchesPerHour());
  });

  it('makes one plan at a time across workers', async () => {
    const workers = [worker(), worker(), worker()];
    planning.most = 0;
    planning.plans = 0;
    await Promise.all(workers.flatMap(({ planner }) => [1, 2, 3].map((n) => planner.replan(`burst ${n}`))));
    expect(planning.most).toBe(1);
    // Each worker served its burst with at most two plans (one running, one waiting).
    expect(planning.plans).toBeGreaterThanOrEqual(3);
    expect(planning.plans).toBeLessThanOrEqual(6);
  });

  it('keeps one plan at a time when a plan outlasts the lock lifetime (the lock is renewed)', async () => {
    const workers = [worker({ listDelayMs: 700, planLockMs: 150 }), worker({ listDelayMs: 700, planLockMs: 150 })];
    planning.now = 0;
    planning.most = 0;
    planning.plans = 0;
    await Promise.all(workers.map(({ planner }) => planner.replan('slow')));
    expect(planning.plans).toBe(2);
    expect(planning.most).toBe(1);
  });

  it('writes neither schedules nor pacing once its lock was taken over', async () => {
    const lockKey = pacingKeys(prefix).lock;
    let takeOver = true;
    const slow = worker({
      afterList: async () => {
        // The lock expired under this plan and another worker took it.
        if (takeOver) await redis.set(lockKey, 'another worker');
      },
    });
    await slow.queries.follow('coffee');
    const pacingBefore = await redis.get(pacingKeys(prefix).current);
    const schedulesBefore = await bullmqFetchSchedule(queue).current();
    planning.now = 0;
    await expect(slow.planner.replan('run')).rejects.toBeInstanceOf(LockLostError);
    expect(await redis.get(pacingKeys(prefix).current)).toBe(pacingBefore);
    expect(await bullmqFetchSchedule(queue).current()).toEqual(schedulesBefore);
    // The other holder's lock is left to it; once free, the next plan does the work.
    expect(await redis.get(lockKey)).toBe('another worker');
    await redis.del(lockKey);
    takeOver = false;
    planning.now = 0;
    const next = await slow.planner.replan('run');
    expect(next.created).toHaveLength(1);
    expect(await redis.get(pacingKeys(prefix).current)).not.toBe(pacingBefore);
  });
});
