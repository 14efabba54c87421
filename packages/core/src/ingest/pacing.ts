// Quota pacing: spend what is left of today's search quota evenly until the next Pacific
// midnight, shared equally between the followed queries.
//
// Searches have a bucket of their own: 100 calls a day per Google Cloud project by default (1
// per call, every page), shared by the project's keys. Polling every 10 s, as the reference
// implementations do, spends a project's day in about 17 minutes and leaves the feed frozen for
// the rest of it. Instead each query is fetched every
//     max(FETCH_INTERVAL_MS, time left until 00:00 PT / (runs left per query + 1))
// where "runs left" counts the searches left in every usable project at what a run has recently
// cost (a run that pages or sweeps spends several searches). The +1 keeps the last run of the
// day before the reset instead of at it: with N runs spaced T/(N+1), all N fall inside the day.
// The figure is recomputed after every run and whenever keys or queries change, so spending
// converges on the budget: costly runs lengthen the intervals, a project added mid-day shortens
// them. With pacing off every query runs every FETCH_INTERVAL_MS until the searches run out.
//
// The units bucket (10,000 a day for videos.list and the other read methods) is reported here
// too; no search ever draws from it.
import { nextPacificMidnight } from '../platform/time/pacific-time.js';
import type { ProjectStatus } from './youtube/key-pool.js';

export interface PacingInput {
  readonly now: Date;
  /** Each project once, whatever its number of keys. */
  readonly projects: ReadonlyArray<Pick<ProjectStatus, 'usable' | 'buckets'>>;
  readonly queries: number;
  /** FETCH_INTERVAL_MS: never fetch a query more often. */
  readonly minIntervalMs: number;
  readonly enabled: boolean;
  /** What a run costs on average, in searches (a run that pages or sweeps costs more than one). */
  readonly searchesPerRun?: number;
}

export interface Pacing {
  /** How often each query should be fetched now. */
  readonly intervalMs: number;
  /** Searches left today across usable projects. */
  readonly budgetSearches: number;
  /** Units left today across usable projects (videos.list and the other read methods). */
  readonly budgetUnits: number;
  readonly usableProjects: number;
  /** The next quota reset. */
  readonly resetAt: Date;
  /** True when the budget, not FETCH_INTERVAL_MS, sets the interval. */
  readonly budgetBound: boolean;
  /** One line for the log: "3 projects, 2 queries: one run per query every 288 s until 00:00 PT". */
  readonly summary: string;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

export function computePacing(input: PacingInput): Pacing {
  const { now, projects, queries, minIntervalMs, enabled } = input;
  const resetAt = nextPacificMidnight(now);
  const msLeft = resetAt.getTime() - now.getTime();
  const usable = projects.filter((p) => p.usable);
  const left = (bucket: 'search' | 'units') => usable.reduce((sum, p) => sum + p.buckets[bucket].remaining, 0);
  const budgetSearches = left('search');
  const budgetUnits = left('units');
  const searchesPerRun = Math.max(1, input.searchesPerRun ?? 1);
  // Runs cost `searchesPerRun` on average, but one more search left is one more run.
  const runsLeft = budgetSearches >= queries ? Math.max(queries, Math.floor(budgetSearches / searchesPerRun)) : 0;
  const who = `${plural(usable.length, 'project')}, ${plural(queries, 'query', 'queries')}`;
  const common = { budgetSearches, budgetUnits, usableProjects: usable.length, resetAt };

  if (!enabled || queries === 0) {
    return {
      ...common,
      intervalMs: minIntervalMs,
      budgetBound: false,
      summary: `${who}: pacing off, one run per query every ${Math.round(minIntervalMs / 1000)} s while searches last`,
    };
  }
  if (budgetSearches < queries || runsLeft === 0) {
    // Not even one more search per query today: wait for the reset (a key added or enabled
    // meanwhile triggers a new computation).
    const why = usable.length === 0 ? 'no usable key' : 'searches spent for today';
    return {
      ...common,
      intervalMs: Math.max(minIntervalMs, msLeft),
      budgetBound: true,
      summary: `${who}: ${why}, next searches after 00:00 PT (${resetAt.toISOString()})`,
    };
  }
  const perQuery = Math.max(1, Math.floor(runsLeft / queries));
  const budgetInterval = Math.ceil(msLeft / (perQuery + 1));
  const intervalMs = Math.max(minIntervalMs, budgetInterval);
  return {
    ...common,
    intervalMs,
    budgetBound: budgetInterval > minIntervalMs,
    summary: `${who}: one run per query every ${Math.round(intervalMs / 1000)} s until 00:00 PT (${budgetSearches} searches left)`,
  };
}

/** True when a new interval differs from the current one by more than `tolerance` (5%). */
export function intervalChanged(current: number | undefined, next: number, tolerance = 0.05): boolean {
  return current === undefined || Math.abs(next - current) > current * tolerance;
}
