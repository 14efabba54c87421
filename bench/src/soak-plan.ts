// The soak of issue 7 as data: what load it runs, for how long, and the targets it must meet
// ("zero errors, p99 stable, memory flat"). Pure, like plan.ts, and tied to it: the load is the
// benchmark's own page-1 scenario (same path and connection count) and the worker runs at the
// benchmark's fetch interval and the freshness scenario's publish rate.
import { SOAK_DEFAULT_SECONDS, SOAK_WINDOW_S, benchSettings, planScenarios, type BenchOptions, type TargetPlan } from './plan.js';

/** The page-1 scenario whose load the soak keeps up (the largest page-1 body). */
export const SOAK_LOAD_SCENARIO = 'getData page 1 limit=100';

export interface SoakSettings {
  readonly mode: 'full' | 'quick';
  readonly rows: number;
  /** Measured length, in windows of windowS. */
  readonly seconds: number;
  readonly windowS: number;
  /**
   * The same load before the first window, not counted: JIT, pools, and both processes' heaps
   * growing to their working size, which took about a minute of load (bench/README.md, "Soak").
   * Memory's start figures are read at its end.
   */
  readonly warmupS: number;
  readonly path: string;
  readonly connections: number;
  readonly fetchIntervalMs: number;
  readonly publishIntervalMs: number;
  /** Page 1 and the simulator's ground truth are polled this often to time freshness. */
  readonly freshnessPollMs: number;
  /** No newly published video is timed in the last this many seconds, so each has time to reach page 1 under load. */
  readonly freshnessTailS: number;
  /**
   * RATE_LIMIT_MAX of the soak's API: per-client rate limiting is on by default and the load
   * comes from one client; the soak measures the service with the limiter in its path, not throttled.
   */
  readonly rateLimitMax: number;
}

export function soakSettings(options: BenchOptions): SoakSettings {
  if (options.soakSeconds === null) throw new Error('not a soak run');
  const bench = benchSettings(options);
  const pageOne = planScenarios(bench).find((plan) => plan.name === SOAK_LOAD_SCENARIO);
  if (pageOne?.kind !== 'http' || pageOne.request.kind !== 'getData') throw new Error(`the plan has no ${SOAK_LOAD_SCENARIO} scenario`);
  return {
    mode: bench.mode,
    rows: bench.rows,
    seconds: options.soakSeconds,
    windowS: SOAK_WINDOW_S,
    warmupS: 60,
    path: `/getData?pageNo=1&limit=${pageOne.request.limit}`,
    connections: pageOne.connections,
    fetchIntervalMs: bench.fetchIntervalMs,
    publishIntervalMs: bench.freshness.publishIntervalMs,
    freshnessPollMs: bench.freshness.pollMs,
    freshnessTailS: 5,
    rateLimitMax: 1_000_000_000,
  };
}

/** Limits of the soak's targets; why each is what it is: bench/README.md, "Soak". */
export const SOAK_LIMITS = {
  minSeconds: SOAK_DEFAULT_SECONDS,
  p99LastOverFirst: 1.5,
  apiRssGrowthMb: 32,
  workerRssGrowthMb: 16,
  fetchRunsPerSecond: 0.9,
} as const;

const soak = (field: string) => ({ scenario: 'soak', field });

export function planSoakTargets(): TargetPlan[] {
  return [
    {
      id: 'soak-duration',
      target: `soak of at least ${SOAK_LIMITS.minSeconds} s (after the warm-up)`,
      value: { kind: 'figure', of: soak('soakS') },
      comparison: '>=',
      limit: SOAK_LIMITS.minSeconds,
      unit: 's',
    },
    {
      id: 'soak-errors',
      target: 'zero errors: non-2xx, socket errors and timeouts, warm-up and page-1 polls included',
      value: { kind: 'figure', of: soak('errors') },
      comparison: '==',
      limit: 0,
      unit: 'errors',
      alsoShow: [soak('requests')],
    },
    {
      id: 'soak-p99-stable',
      target: `p99 stable: last window's p99 <= ${SOAK_LIMITS.p99LastOverFirst} x the first's`,
      value: { kind: 'ratio', of: soak('lastWindowP99Ms'), over: soak('firstWindowP99Ms') },
      comparison: '<=',
      limit: SOAK_LIMITS.p99LastOverFirst,
      unit: 'x first window',
      alsoShow: [soak('minWindowP99Ms'), soak('maxWindowP99Ms')],
    },
    {
      id: 'soak-api-rss',
      target: `API memory flat: RSS growth, first half to second (lowest and highest both) <= ${SOAK_LIMITS.apiRssGrowthMb} MB`,
      value: { kind: 'figure', of: soak('apiRssGrowthMb') },
      comparison: '<=',
      limit: SOAK_LIMITS.apiRssGrowthMb,
      unit: 'MB',
      alsoShow: [soak('apiRssStartMb'), soak('apiRssEndMb')],
    },
    {
      id: 'soak-worker-rss',
      target: `worker memory flat: RSS growth, first half to second (lowest and highest both) <= ${SOAK_LIMITS.workerRssGrowthMb} MB`,
      value: { kind: 'figure', of: soak('workerRssGrowthMb') },
      comparison: '<=',
      limit: SOAK_LIMITS.workerRssGrowthMb,
      unit: 'MB',
      alsoShow: [soak('workerRssStartMb'), soak('workerRssEndMb')],
    },
    {
      id: 'soak-fetch-every-second',
      target: `the worker fetched every second: fetch runs per second >= ${SOAK_LIMITS.fetchRunsPerSecond}`,
      value: { kind: 'figure', of: soak('fetchRunsPerS') },
      comparison: '>=',
      limit: SOAK_LIMITS.fetchRunsPerSecond,
      unit: 'runs/s',
      alsoShow: [soak('fetchRuns')],
    },
  ];
}
