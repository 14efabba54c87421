// Keeps each followed query's fetch schedule in line with the quota: after every run, when
// keys or queries change, and at each Pacific midnight, it recomputes the pacing
// (pacing.ts) and moves the schedules that are off by more than 5%. A changed schedule
// starts from the query's last fetch plus the new interval, so rescheduling never costs an
// extra search. Every change of interval is logged in one line.
import type { Clock } from '../clock.js';
import type { Logger } from '../logging/logger.js';
import type { SearchQueryRepository } from '../queries/search-query-repository.js';
import type { FetchSchedule } from '../queue/fetch-queue.js';
import type { KeyPool } from '../youtube/key-pool.js';
import { computePacing, intervalChanged, type Pacing } from './pacing.js';

export interface FetchPlannerDeps {
  readonly schedule: FetchSchedule;
  readonly queries: Pick<SearchQueryRepository, 'list'>;
  readonly pool: Pick<KeyPool, 'status'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly dailyQuota: number;
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

export function createFetchPlanner(deps: FetchPlannerDeps) {
  const { schedule, queries, pool, clock, log } = deps;
  let last: Pacing | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  // What recent runs that made calls cost. The median, not a mean: one costly catch-up run
  // (a first look-back, a backfill after an outage) must not stretch every interval after it,
  // which would make the following runs page more and keep it stretched.
  const recentCosts: number[] = [];
  const unitsPerRun = (): number | undefined => {
    if (recentCosts.length < 3) return undefined;
    const sorted = [...recentCosts].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };

  /** Tells the planner what a run cost. */
  function observe(unitsSpent: number): void {
    if (unitsSpent <= 0) return;
    recentCosts.push(unitsSpent);
    if (recentCosts.length > 7) recentCosts.shift();
  }

  async function plan(reason: string): Promise<PlanResult> {
    const followed = await queries.list({ enabledOnly: true });
    const status = await pool.status();
    const now = clock.now();
    const pacing = computePacing({
      now,
      keys: status.keys,
      dailyQuota: deps.dailyQuota,
      queries: followed.length,
      minIntervalMs: deps.minIntervalMs,
      enabled: deps.pacing,
      ...(unitsPerRun() === undefined ? {} : { unitsPerRun: unitsPerRun()! }),
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
        { reason, intervalMs: pacing.intervalMs, budgetUnits: pacing.budgetUnits, keys: pacing.usableKeys, queries: followed.length, ...result, pacing: undefined },
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

  /** Whether the quota has room for more than the scheduled runs (see fetch-service.ts). */
  const hasSlack = (): boolean => last !== undefined && !last.budgetBound;

  return { replan, observe, current: () => last, hasSlack };
}
