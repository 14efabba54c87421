// Quota pacing: spend what is left of today's YouTube quota evenly until the next Pacific
// midnight, shared equally between the followed queries.
//
// One key allows 100 searches a day. Polling every 10 s, as the reference implementations do,
// spends a key in about 17 minutes and leaves the feed frozen for the rest of the day. Instead
// each query is fetched every
//     max(FETCH_INTERVAL_MS, time left until 00:00 PT / (searches left / queries))
// where "searches left" counts the remaining units of every usable key. The figure is
// recomputed after every run and whenever keys or queries change, and "searches" are counted
// in runs at what a run has recently cost (a run that pages spends several searches), so
// spending converges on the budget: costly runs lengthen the intervals, a key added mid-day
// shortens them, and nothing is earned back by a run that found nothing new (it was still a
// call). With pacing off every query runs every FETCH_INTERVAL_MS until the keys run out.
import { nextPacificMidnight } from '../time/pacific-time.js';
import type { KeyStatus } from '../youtube/key-pool.js';
import { SEARCH_COST_UNITS } from '../youtube/youtube-client.js';

export interface PacingInput {
  readonly now: Date;
  readonly keys: ReadonlyArray<Pick<KeyStatus, 'state' | 'unitsToday'>>;
  /** Units each key may spend per Pacific day. */
  readonly dailyQuota: number;
  readonly queries: number;
  /** FETCH_INTERVAL_MS: never fetch a query more often. */
  readonly minIntervalMs: number;
  readonly enabled: boolean;
  /** What a run costs on average (a run that pages costs more than one search). */
  readonly unitsPerRun?: number;
}

export interface Pacing {
  /** How often each query should be fetched now. */
  readonly intervalMs: number;
  /** Units left today across usable keys. */
  readonly budgetUnits: number;
  readonly usableKeys: number;
  /** The next quota reset. */
  readonly resetAt: Date;
  /** True when the budget, not FETCH_INTERVAL_MS, sets the interval. */
  readonly budgetBound: boolean;
  /** One line for the log: "3 keys, 2 queries: one search per query every 288 s until 00:00 PT". */
  readonly summary: string;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function computePacing(input: PacingInput): Pacing {
  const { now, keys, dailyQuota, queries, minIntervalMs, enabled } = input;
  const resetAt = nextPacificMidnight(now);
  const msLeft = resetAt.getTime() - now.getTime();
  const usable = keys.filter((k) => k.state === 'ok');
  const budgetUnits = usable.reduce((sum, k) => sum + Math.max(0, dailyQuota - k.unitsToday), 0);
  const unitsPerRun = Math.max(SEARCH_COST_UNITS, input.unitsPerRun ?? SEARCH_COST_UNITS);
  const searchesLeft = Math.floor(budgetUnits / SEARCH_COST_UNITS);
  const runsLeft = Math.floor(budgetUnits / unitsPerRun);
  const who = `${plural(usable.length, 'key')}, ${plural(queries, 'query').replace('querys', 'queries')}`;

  if (!enabled || queries === 0) {
    return {
      intervalMs: minIntervalMs,
      budgetUnits,
      usableKeys: usable.length,
      resetAt,
      budgetBound: false,
      summary: `${who}: pacing off, one search per query every ${Math.round(minIntervalMs / 1000)} s while quota lasts`,
    };
  }
  if (searchesLeft < queries || runsLeft === 0) {
    // Not even one more search per query today: wait for the reset (a key added or enabled
    // meanwhile triggers a new computation).
    const why = usable.length === 0 ? 'no usable key' : 'quota spent for today';
    return {
      intervalMs: Math.max(minIntervalMs, msLeft),
      budgetUnits,
      usableKeys: usable.length,
      resetAt,
      budgetBound: true,
      summary: `${who}: ${why}, next searches after 00:00 PT (${resetAt.toISOString()})`,
    };
  }
  const perQuery = Math.max(1, Math.floor(runsLeft / queries));
  const budgetInterval = Math.ceil(msLeft / perQuery);
  const intervalMs = Math.max(minIntervalMs, budgetInterval);
  return {
    intervalMs,
    budgetUnits,
    usableKeys: usable.length,
    resetAt,
    budgetBound: budgetInterval > minIntervalMs,
    summary: `${who}: one search per query every ${Math.round(intervalMs / 1000)} s until 00:00 PT`,
  };
}

/** True when a new interval differs from the current one by more than `tolerance` (5%). */
export function intervalChanged(current: number | undefined, next: number, tolerance = 0.05): boolean {
  return current === undefined || Math.abs(next - current) > current * tolerance;
}
