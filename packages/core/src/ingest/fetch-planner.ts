// Keeps each followed query's fetch schedule in line with the quota: after every run, when
// keys or queries change, and at each Pacific midnight, it recomputes the pacing
// (pacing.ts) and moves the schedules that are off by more than 5%. A changed schedule
// starts from the query's last fetch plus the new interval, so rescheduling never costs an
// extra search. Every change of interval is logged in one line.
//
// Every worker process runs a planner, and runs go on in several of them at once, so what
// needs the whole picture lives in Redis, computed once for the cluster: the cost of recent
// runs (a capped list every worker adds to), the plan itself (made under a lock, by one worker at
// a time, from what MySQL and the key pool say then), and the resulting pacing (one record every
// worker's jobs read their sweep budget from). A worker's own memory holds nothing a plan
// depends on. The lock is renewed while a plan runs, and every write of a plan is fenced by it:
// each schedule change is made only after checking the lock is still this plan's, and the
// pacing is published in one script with that check, so a plan that lost its lock (to a stall
// longer than the lock's lifetime) stops instead of undoing a newer plan's work.
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { groupKey, redisKey, type RedisClient } from '../platform/redis/create-redis.js';
import { withRedisLock, type HeldLock } from '../platform/redis/redis-lock.js';
import type { SearchQueryRepository } from '../catalog/search-query-repository.js';
import type { FetchSchedule } from './fetch-queue.js';
import type { KeyPool } from './youtube/key-pool.js';
import { computePacing, intervalChanged, type Pacing } from './pacing.js';

export interface FetchPlannerDeps {
  readonly schedule: FetchSchedule;
  readonly queries: Pick<SearchQueryRepository, 'list'>;
  readonly pool: Pick<KeyPool, 'status'>;
  /** Where the cluster's run costs, plan lock and pacing live (one key per command). */
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly minIntervalMs: number;
  readonly pacing: boolean;
  /** Lifetime of the plan lock between two renewals (default PLAN_LOCK_MS; tests shorten it). */
  readonly planLockMs?: number;
}

export interface PlanResult {
  readonly pacing: Pacing;
  readonly created: number[];
  readonly updated: number[];
  readonly removed: number[];
}

/** The pacing of the last plan, as published for every worker. */
export interface PublishedPacing extends Pacing {
  /** Queries followed when it was planned: the sweep budget is shared between them. */
  readonly queries: number;
}

export type FetchPlanner = ReturnType<typeof createFetchPlanner>;

/** How many recent runs the cost per run is averaged over. */
const RECENT_RUNS = 24;
/** Share of the search budget sweeps may take while it binds (sweepSearchesPerHour). */
const SWEEP_SHARE = 0.2;
/** Lifetime of the plan lock (renewed every third of it while a plan runs): short if its holder dies. */
const PLAN_LOCK_MS = 10_000;
/** Longest wait for another worker's plan: it is renewed while it runs, a slow MySQL included. */
const PLAN_WAIT_MS = 60_000;

export const pacingKeys = (prefix: string) => ({
  costs: redisKey(prefix, 'pacing', 'run-costs'),
  // The pacing and the lock share a hash tag: the pacing is set in one script that checks the lock.
  current: groupKey(prefix, 'pacing', 'current'),
  lock: groupKey(prefix, 'pacing', 'plan-lock'),
});

function encodePacing(pacing: PublishedPacing): string {
  return JSON.stringify({ ...pacing, resetAt: pacing.resetAt.toISOString() });
}

function decodePacing(text: string | null): PublishedPacing | undefined {
  if (text === null) return undefined;
  const parsed = JSON.parse(text) as Omit<PublishedPacing, 'resetAt'> & { resetAt: string };
  return { ...parsed, resetAt: new Date(parsed.resetAt) };
}

/**
 * What recent runs that made calls cost, in searches: the mean over the last RECENT_RUNS, so the
 * occasional sweep of a late-indexing window (a page or two every few hours) is paid for out of
 * the budget instead of eating the last runs of the day. The largest is left out, so one costly
 * catch-up run (a first look-back, a backfill after an outage) does not stretch every interval
 * after it (which would make the following runs page more).
 */
export function searchesPerRun(recentCosts: readonly number[]): number | undefined {
  if (recentCosts.length < 3) return undefined;
  const sorted = [...recentCosts].sort((a, b) => a - b).slice(0, -1);
  return sorted.reduce((sum, n) => sum + n, 0) / sorted.length;
}

export function createFetchPlanner(deps: FetchPlannerDeps) {
  const { schedule, queries, pool, redis, clock, log } = deps;
  const keys = pacingKeys(deps.prefix);
  let chain: Promise<unknown> = Promise.resolve();
  // A replan asked for while one waits its turn in this process shares it: it reads everything
  // when it starts, so it covers every request made before then.
  let waiting: Promise<PlanResult> | undefined;

  /** Tells the cluster what a run cost, in searches (runs that made no call are left out). */
  async function observe(searchCalls: number): Promise<void> {
    if (searchCalls <= 0) return;
    await redis.multi().lpush(keys.costs, searchCalls).ltrim(keys.costs, 0, RECENT_RUNS - 1).exec();
  }

  async function recentCosts(): Promise<number[]> {
    return (await redis.lrange(keys.costs, 0, RECENT_RUNS - 1)).map(Number).filter((n) => Number.isFinite(n) && n > 0);
  }

  /** The pacing every worker goes by: the last plan's, whichever worker made it. */
  async function published(): Promise<PublishedPacing | undefined> {
    return decodePacing(await redis.get(keys.current));
  }

  async function plan(reason: string, lock: HeldLock): Promise<PlanResult> {
    const followed = await queries.list({ enabledOnly: true });
    const status = await pool.status();
    const previous = await published();
    const now = clock.now();
    const perRun = searchesPerRun(await recentCosts());
    const pacing = computePacing({
      now,
      projects: status.projects,
      queries: followed.length,
      minIntervalMs: deps.minIntervalMs,
      enabled: deps.pacing,
      ...(perRun === undefined ? {} : { searchesPerRun: perRun }),
    });
    const existing = await schedule.current();
    const result: PlanResult = { pacing, created: [], updated: [], removed: [] };
    for (const query of followed) {
      const current = existing.get(query.id);
      existing.delete(query.id);
      if (current !== undefined && !intervalChanged(current.everyMs, pacing.intervalMs)) continue;
      // A new query is fetched at once; a changed one after its interval since the last fetch.
      const lastFetch = query.last_fetch_at?.getTime() ?? now.getTime();
      const startAt = current === undefined ? now.getTime() : Math.max(now.getTime(), lastFetch + pacing.intervalMs);
      await lock.assertHeld();
      await schedule.upsert(query, pacing.intervalMs, startAt);
      (current === undefined ? result.created : result.updated).push(query.id);
    }
    for (const queryId of existing.keys()) {
      await lock.assertHeld();
      await schedule.remove(queryId);
      result.removed.push(queryId);
    }
    await lock.setIfHeld(keys.current, encodePacing({ ...pacing, queries: followed.length }));
    const changed = previous === undefined || intervalChanged(previous.intervalMs, pacing.intervalMs) || result.created.length + result.removed.length > 0;
    if (changed) {
      log.info(
        {
          reason,
          intervalMs: pacing.intervalMs,
          searchesLeft: pacing.budgetSearches,
          unitsLeft: pacing.budgetUnits,
          projects: pacing.usableProjects,
          queries: followed.length,
          ...result,
          pacing: undefined,
        },
        pacing.summary,
      );
    }
    return result;
  }

  /**
   * Recomputes and applies the schedule: one plan at a time in the cluster (a Redis lock), and
   * in this process requests made while one waits are served by it. Rejects with LockLostError
   * (redis-lock.ts) if the lock was lost during the plan: what it had not written yet is left
   * to the next plan.
   */
  function replan(reason: string): Promise<PlanResult> {
    if (waiting !== undefined) return waiting;
    const next = chain.then(() => {
      waiting = undefined;
      return withRedisLock(redis, keys.lock, (lock) => plan(reason, lock), { ttlMs: deps.planLockMs ?? PLAN_LOCK_MS, waitMs: PLAN_WAIT_MS });
    });
    waiting = next;
    chain = next.catch(() => undefined);
    return next;
  }

  /** Whether the quota has room for more than the scheduled runs. */
  async function hasSlack(): Promise<boolean> {
    const last = await published();
    return last !== undefined && !last.budgetBound;
  }

  /**
   * Searches per hour each query may spend on sweeps for late-indexed videos (fetch-service.ts):
   * no limit while the quota has slack; while the budget sets the interval, SWEEP_SHARE of what
   * is left until the reset, so the head keeps most of it. The same for every worker's runs:
   * it is worked out from the cluster's last plan.
   */
  async function sweepSearchesPerHour(): Promise<number> {
    const last = await published();
    if (last === undefined || !last.budgetBound) return Number.POSITIVE_INFINITY;
    // Past the reset the last plan is stale (its budget is the spent day's) until the next one.
    if (clock.now() >= last.resetAt) return Number.POSITIVE_INFINITY;
    const hoursLeft = Math.max(1 / 60, (last.resetAt.getTime() - clock.now().getTime()) / 3_600_000);
    return (SWEEP_SHARE * last.budgetSearches) / hoursLeft / Math.max(1, last.queries);
  }

  return { replan, observe, current: published, hasSlack, sweepSearchesPerHour };
}
