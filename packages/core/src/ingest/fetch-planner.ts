// Keeps each followed query's fetch schedule in line with the quota: after every run, when
// keys or queries change, and at each Pacific midnight, it recomputes the pacing
// (pacing.ts) and moves the schedules that are off by more than 5%. A changed schedule
// starts from the query's last fetch plus the new interval, so rescheduling never costs an
// extra search. Every change of interval is logged in one line.
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { SearchQueryRepository } from '../catalog/search-query-repository.js';
import type { FetchSchedule } from './fetch-queue.js';
import type { KeyPool } from './youtube/key-pool.js';
import { computePacing, intervalChanged, type Pacing } from './pacing.js';

export interface FetchPlannerDeps {
  readonly schedule: FetchSchedule;
  readonly queries: Pick<SearchQueryRepository, 'list'>;
  readonly pool: Pick<KeyPool, 'status'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly minIntervalMs: number;
  readonly pacing: boolean;
}

export interface PlanResult {
  readonly pacing: Pacing;
  readonly created: number[];
  readonly updated: number[];
  readonly removed: number[];
}

export type FetchPlanner = ReturnType<typeof createFetchPlanner>;

/** How many recent runs the cost per run is averaged over. */
const RECENT_RUNS = 24;
/** Share of the search budget sweeps may take while it binds (sweepSearchesPerHour). */
const SWEEP_SHARE = 0.2;

export function createFetchPlanner(deps: FetchPlannerDeps) {
  const { schedule, queries, pool, clock, log } = deps;
  let last: Pacing | undefined;
  let queriesFollowed = 0;
  let chain: Promise<unknown> = Promise.resolve();
  // What recent runs that made calls cost, in searches: the mean over the last RECENT_RUNS, so
  // the occasional sweep of a late-indexing window (a page or two every few hours) is paid for
  // out of the budget instead of eating the last runs of the day. The largest is left out, so
  // one costly catch-up run (a first look-back, a backfill after an outage) does not stretch
  // every interval after it (which would make the following runs page more).
  const recentCosts: number[] = [];
  const searchesPerRun = (): number | undefined => {
    if (recentCosts.length < 3) return undefined;
    const sorted = [...recentCosts].sort((a, b) => a - b).slice(0, -1);
    return sorted.reduce((sum, n) => sum + n, 0) / sorted.length;
  };

  /** Tells the planner what a run cost, in searches. */
  function observe(searchCalls: number): void {
    if (searchCalls <= 0) return;
    recentCosts.push(searchCalls);
    if (recentCosts.length > RECENT_RUNS) recentCosts.shift();
  }

  async function plan(reason: string): Promise<PlanResult> {
    const followed = await queries.list({ enabledOnly: true });
    queriesFollowed = followed.length;
    const status = await pool.status();
    const now = clock.now();
    const perRun = searchesPerRun();
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
      await schedule.upsert(query, pacing.intervalMs, startAt);
      (current === undefined ? result.created : result.updated).push(query.id);
    }
    for (const queryId of existing.keys()) {
      await schedule.remove(queryId);
      result.removed.push(queryId);
    }
    const changed = last === undefined || intervalChanged(last.intervalMs, pacing.intervalMs) || result.created.length + result.removed.length > 0;
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
    last = pacing;
    return result;
  }

  /** Recomputes and applies the schedule; calls are serialised. */
  function replan(reason: string): Promise<PlanResult> {
    const next = chain.then(() => plan(reason));
    chain = next.catch(() => undefined);
    return next;
  }

  /** Whether the quota has room for more than the scheduled runs. */
  const hasSlack = (): boolean => last !== undefined && !last.budgetBound;

  /**
   * Searches per hour each query may spend on sweeps for late-indexed videos (fetch-service.ts):
   * no limit while the quota has slack; while the budget sets the interval, SWEEP_SHARE of what
   * is left until the reset, so the head keeps most of it.
   */
  function sweepSearchesPerHour(): number {
    if (last === undefined || !last.budgetBound) return Number.POSITIVE_INFINITY;
    // Past the reset the last plan is stale (its budget is the spent day's) until the next one.
    if (clock.now() >= last.resetAt) return Number.POSITIVE_INFINITY;
    const hoursLeft = Math.max(1 / 60, (last.resetAt.getTime() - clock.now().getTime()) / 3_600_000);
    return (SWEEP_SHARE * last.budgetSearches) / hoursLeft / Math.max(1, queriesFollowed);
  }

  return { replan, observe, current: () => last, hasSlack, sweepSearchesPerHour };
}
