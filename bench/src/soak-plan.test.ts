// The soak's pure parts (nothing started): its options, its settings tied to the benchmark's
// page-1 scenario, the window aggregation, and the targets it is judged by.
import { describe, expect, it } from 'vitest';
import { GaugeWindows, LatencyWindows, p99Stability } from './latency-windows.js';
import { BenchUsageError, DEFAULT_ROWS, QUICK_ROWS, benchSettings, parseBenchOptions, planScenarios } from './plan.js';
import type { ScenarioResult } from './scenario-result.js';
import { SOAK_LIMITS, SOAK_LOAD_SCENARIO, planSoakTargets, soakSettings } from './soak-plan.js';
import { evaluateTargets } from './targets.js';

describe('soak options', () => {
  it('--soak runs 60 s on the full data set, --quick on the small one', () => {
    expect(parseBenchOptions(['--soak'])).toEqual({ quick: false, count: DEFAULT_ROWS, only: [], soakSeconds: 60, rateLimitOff: false });
    expect(parseBenchOptions(['--soak', '--quick'])).toMatchObject({ quick: true, count: QUICK_ROWS, soakSeconds: 60 });
    expect(parseBenchOptions(['--soak', '--count', '250000'])).toMatchObject({ count: 250_000, soakSeconds: 60 });
  });

  it('--soak-seconds sets the length and implies --soak', () => {
    expect(parseBenchOptions(['--soak', '--soak-seconds', '300']).soakSeconds).toBe(300);
    expect(parseBenchOptions(['--soak-seconds=120']).soakSeconds).toBe(120);
    expect(parseBenchOptions(['--soak-seconds', '20']).soakSeconds).toBe(20);
  });

  it('rejects lengths that are not whole windows, too short or too long, and --only', () => {
    for (const argv of [
      ['--soak-seconds', '65'],
      ['--soak-seconds', '10'],
      ['--soak-seconds', '0'],
      ['--soak-seconds', '-60'],
      ['--soak-seconds', '1e2'],
      ['--soak-seconds', 'long'],
      ['--soak-seconds', '86410'],
      ['--soak', '--only', 'page-one'],
      ['--soak-seconds', '60', '--only', 'search'],
    ]) {
      expect(() => parseBenchOptions(argv), argv.join(' ')).toThrow(BenchUsageError);
    }
  });

  it('has no soak settings outside soak mode', () => {
    expect(() => soakSettings(parseBenchOptions([]))).toThrow();
  });
});

describe('soak settings', () => {
  it("keeps up the benchmark's page-1 load while the worker fetches every second", () => {
    const options = parseBenchOptions(['--soak']);
    const settings = soakSettings(options);
    const bench = benchSettings(options);
    const pageOne = planScenarios(bench).find((plan) => plan.name === SOAK_LOAD_SCENARIO);
    expect(pageOne).toMatchObject({ kind: 'http', request: { kind: 'getData', limit: 100, page: { pageNo: 1 } } });
    expect(settings).toMatchObject({
      mode: 'full',
      rows: DEFAULT_ROWS,
      seconds: 60,
      windowS: 10,
      path: '/getData?pageNo=1&limit=100',
      connections: pageOne?.kind === 'http' ? pageOne.connections : -1,
      fetchIntervalMs: 1000,
      publishIntervalMs: bench.freshness.publishIntervalMs,
    });
    expect(settings.connections).toBe(bench.throughputConnections);
    // "Unthrottled": far above what one client can send in any rate-limit window.
    expect(settings.rateLimitMax).toBeGreaterThanOrEqual(1_000_000);
  });

  it('--quick changes only the data set', () => {
    const full = soakSettings(parseBenchOptions(['--soak']));
    const quick = soakSettings(parseBenchOptions(['--soak', '--quick']));
    expect(quick).toEqual({ ...full, mode: 'quick', rows: QUICK_ROWS });
  });
});

describe('soak windows', () => {
  it('files each request by when it completed, warm-up and overrun apart', () => {
    const windows = new LatencyWindows(10_000, 3);
    windows.record(-5, 1); // warm-up
    windows.record(-1, null); // an error in the warm-up
    for (let i = 1; i <= 100; i++) windows.record(i * 10, i); // window 1: 1..100 ms
    windows.record(9_999, null);
    windows.record(10_000, 5); // window 2 starts at 10 s exactly
    windows.record(29_999, 7); // window 3
    windows.record(30_000, 8); // after the last window
    windows.record(30_500, null);

    const [first, second, third] = windows.summaries();
    expect(first).toEqual({ index: 1, startS: 0, endS: 10, requests: 101, reqPerSec: 10, p50Ms: 50, p99Ms: 99, maxMs: 100, errors: 1 });
    expect(second).toMatchObject({ index: 2, startS: 10, endS: 20, requests: 1, p50Ms: 5, p99Ms: 5, errors: 0 });
    expect(third).toMatchObject({ index: 3, requests: 1, p99Ms: 7 });
    expect(windows.counts(0)).toEqual({ requests: 101, errors: 1 });
    // 102 latencies: 1..100 and 5 and 7 (nearest rank).
    expect(windows.totals()).toEqual({ requests: 103, errors: 1, p50Ms: 49, p99Ms: 99 });
    expect(windows.outside()).toEqual({ warmUp: { requests: 2, errors: 1 }, afterEnd: { requests: 2, errors: 1 } });
  });

  it('leaves a window without answers without percentiles', () => {
    const windows = new LatencyWindows(1000, 2);
    windows.record(100, null);
    expect(windows.summaries()[0]).toMatchObject({ requests: 1, errors: 1, p50Ms: null, p99Ms: null, maxMs: null });
    expect(windows.summaries()[1]).toMatchObject({ requests: 0, errors: 0, p99Ms: null });
  });

  it("keeps each window's lowest and highest gauge reading", () => {
    const rss = new GaugeWindows(1000, 3);
    rss.record(-10, 500); // warm-up: ignored
    for (const [offset, mb] of [
      [0, 200],
      [400, 260],
      [900, 190],
      [1000, 250],
      [2100, 240],
      [2900, 195],
      [3000, 900], // past the last window: ignored
    ] as const) {
      rss.record(offset, mb);
    }
    expect(rss.windows()).toEqual([
      { min: 190, max: 260, samples: 3 },
      { min: 250, max: 250, samples: 1 },
      { min: 195, max: 240, samples: 2 },
    ]);
  });

  const gauge = (count: number, readings: ReadonlyArray<readonly [number, number]>) => {
    const windows = new GaugeWindows(1000, count);
    for (const [offset, value] of readings) windows.record(offset, value);
    return windows.halves();
  };

  it('judges growth by the floor and the peaks together, half against half', () => {
    // A sawtooth at a steady level: the halves' floors and peaks barely move.
    expect(gauge(4, [[100, 200], [600, 290], [1200, 205], [2100, 198], [2700, 292], [3500, 210]])).toEqual({
      low: { firstHalf: 200, secondHalf: 198, rise: -2 },
      high: { firstHalf: 290, secondHalf: 292, rise: 2 },
      growth: -2,
    });
    // Memory kept: both rise, and the smaller rise is the growth.
    expect(gauge(2, [[100, 200], [600, 290], [1100, 240], [1600, 335]]).growth).toBe(40);
  });

  it('is not fooled by memory handed back for a while, or by a half that missed its peak', () => {
    // The first half dipped to 100 (memory returned to the system, then regrown): the floor
    // "rises" 37 MB, the peaks do not.
    expect(gauge(2, [[100, 150], [500, 100], [900, 140], [1100, 137], [1600, 143]]).growth).toBe(-7);
    // No collection in the first half's readings: the peak "rises" 50 MB, the floor does not.
    expect(gauge(3, [[100, 200], [600, 240], [1500, 999], [2100, 195], [2600, 290]]).growth).toBe(-5);
    expect(gauge(2, []).growth).toBeNull();
  });

  it('compares the last window p99 with the first', () => {
    const windows = new LatencyWindows(1000, 3);
    for (let i = 0; i < 100; i++) {
      windows.record(10, 10);
      windows.record(1010, 30);
      windows.record(2010, 12);
    }
    expect(p99Stability(windows.summaries())).toEqual({ firstP99Ms: 10, lastP99Ms: 12, lastOverFirst: 1.2, minP99Ms: 10, maxP99Ms: 30 });
    expect(p99Stability([])).toEqual({ firstP99Ms: null, lastP99Ms: null, lastOverFirst: null, minP99Ms: null, maxP99Ms: null });
  });
});

describe('soak targets', () => {
  const soak = (extra: ScenarioResult['extra'], errors = 0): ScenarioResult => ({
    name: 'soak',
    group: 'soak',
    reqPerSec: 9000,
    p50Ms: 4,
    p99Ms: 10,
    errors,
    connections: 50,
    note: '',
    extra,
  });
  const healthy = {
    soakS: 60.1,
    requests: 540_000,
    firstWindowP99Ms: 10,
    lastWindowP99Ms: 11,
    minWindowP99Ms: 9.5,
    maxWindowP99Ms: 12,
    apiRssStartMb: 180,
    apiRssEndMb: 184,
    apiRssGrowthMb: 4,
    workerRssStartMb: 120,
    workerRssEndMb: 121,
    workerRssGrowthMb: 1,
    fetchRunsPerS: 0.98,
    fetchRuns: 59,
    videosStored: 55,
  };
  const met = (extra: ScenarioResult['extra'], errors = 0) =>
    Object.fromEntries(evaluateTargets(planSoakTargets(), [soak(extra, errors)]).map((t) => [t.id, t.met]));

  it('are the issue\'s: a minute or more, zero errors, p99 stable, memory flat, and a worker fetching every second', () => {
    expect(planSoakTargets().map((t) => [t.id, t.comparison, t.limit])).toEqual([
      ['soak-duration', '>=', 60],
      ['soak-errors', '==', 0],
      ['soak-p99-stable', '<=', SOAK_LIMITS.p99LastOverFirst],
      ['soak-api-rss', '<=', SOAK_LIMITS.apiRssGrowthMb],
      ['soak-worker-rss', '<=', SOAK_LIMITS.workerRssGrowthMb],
      ['soak-fetch-every-second', '>=', SOAK_LIMITS.fetchRunsPerSecond],
    ]);
  });

  it('are all met by a healthy soak', () => {
    expect(Object.values(met(healthy))).toEqual([true, true, true, true, true, true]);
  });

  it('each catches its failure', () => {
    expect(met({ ...healthy, soakS: 30 })['soak-duration']).toBe(false);
    expect(met(healthy, 1)['soak-errors']).toBe(false);
    expect(met({ ...healthy, lastWindowP99Ms: 16 })['soak-p99-stable']).toBe(false);
    expect(met({ ...healthy, apiRssGrowthMb: 40 })['soak-api-rss']).toBe(false);
    expect(met({ ...healthy, workerRssGrowthMb: 20 })['soak-worker-rss']).toBe(false);
    expect(met({ ...healthy, fetchRunsPerS: 0.5 })['soak-fetch-every-second']).toBe(false);
  });

  it('are not met when the soak has no figures (it failed)', () => {
    expect(evaluateTargets(planSoakTargets(), []).every((t) => t.value === null && !t.met)).toBe(true);
  });

  it('show the figures that qualify them', () => {
    const targets = evaluateTargets(planSoakTargets(), [soak(healthy)]);
    expect(targets.find((t) => t.id === 'soak-p99-stable')).toMatchObject({ value: 1.1, detail: expect.stringContaining('9.5 vs 12') as unknown });
    expect(targets.find((t) => t.id === 'soak-api-rss')).toMatchObject({ value: 4, detail: expect.stringContaining('180 vs 184') as unknown });
  });
});
