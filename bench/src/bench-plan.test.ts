// A cheap smoke test of the benchmark harness (no timings, nothing started): `--quick` and
// `--count` parse, and the scenarios and targets are exactly those issue 6 asks for.
import { describe, expect, it } from 'vitest';
import {
  BenchUsageError,
  DEFAULT_ROWS,
  QUICK_ROWS,
  SCENARIO_GROUPS,
  SEARCH_SET,
  SORT_DEEP_PAGE,
  benchSettings,
  parseBenchOptions,
  planScenarios,
  planTargets,
  resultsFileName,
  type HttpScenarioPlan,
} from './plan.js';
import { apiRssUnderLoad, scenarioTable, withBaselineRatios } from './report.js';
import type { ScenarioResult } from './scenario-result.js';
import { evaluateTargets } from './targets.js';

describe('bench options', () => {
  it('defaults to a full run over 1,000,000 rows', () => {
    expect(parseBenchOptions([])).toEqual({ quick: false, count: DEFAULT_ROWS, only: [], soakSeconds: null, rateLimitOff: false });
  });

  it('accepts --quick: 100,000 rows and short durations, the full plan', () => {
    const options = parseBenchOptions(['--quick']);
    expect(options).toEqual({ quick: true, count: QUICK_ROWS, only: [], soakSeconds: null, rateLimitOff: false });
    const settings = benchSettings(options);
    expect(settings.mode).toBe('quick');
    expect(settings.durationS).toBeLessThan(benchSettings(parseBenchOptions([])).durationS);
    expect(settings.cursorDepth).toBe(50_000);
    expect(planScenarios(settings).map((s) => s.name)).toEqual(planScenarios(benchSettings(parseBenchOptions([]))).map((s) => s.name));
  });

  it('accepts --count N, also with --quick', () => {
    expect(parseBenchOptions(['--count', '250000'])).toMatchObject({ quick: false, count: 250_000 });
    expect(parseBenchOptions(['--quick', '--count=20000'])).toMatchObject({ quick: true, count: 20_000 });
  });

  it('accepts --only with scenario groups', () => {
    expect(parseBenchOptions(['--quick', '--only', 'cursor,search']).only).toEqual(['cursor', 'search']);
  });

  it('accepts --rate-limit-off, to measure what the limiter costs', () => {
    expect(parseBenchOptions(['--quick', '--rate-limit-off'])).toMatchObject({ quick: true, rateLimitOff: true });
  });

  it('names the results file by mode and count; partial runs write none', () => {
    expect(resultsFileName(parseBenchOptions([]))).toBe('results.json');
    expect(resultsFileName(parseBenchOptions(['--count', '1000000']))).toBe('results.json');
    expect(resultsFileName(parseBenchOptions(['--count', '100000']))).toBe('results.100k.json');
    expect(resultsFileName(parseBenchOptions(['--count', '250_000']))).toBe('results.250k.json');
    expect(resultsFileName(parseBenchOptions(['--count', '2000000']))).toBe('results.2m.json');
    expect(resultsFileName(parseBenchOptions(['--count', '1500']))).toBe('results.1500.json');
    expect(resultsFileName(parseBenchOptions(['--quick']))).toBe('results.quick.json');
    expect(resultsFileName(parseBenchOptions(['--only', 'cursor']))).toBeNull();
    expect(resultsFileName(parseBenchOptions(['--count', '100000', '--rate-limit-off']))).toBeNull();
  });

  it('runs full windows on --count 100000, with both cursors 50,000 rows deep', () => {
    const settings = benchSettings(parseBenchOptions(['--count', '100000']));
    expect(settings).toMatchObject({ mode: 'full', rows: 100_000, durationS: 10, cursorDepth: 50_000 });
    expect(settings.cursorThroughput).toEqual({ pageLimit: 100, pages: 500, depth: 50_000 });
  });

  it('keeps the deep cursors within half of a small data set', () => {
    const settings = benchSettings(parseBenchOptions(['--count', '20000']));
    expect(settings.cursorDepth).toBe(10_000);
    expect(settings.cursorThroughput).toEqual({ pageLimit: 100, pages: 100, depth: 10_000 });
    expect(planScenarios(settings).map((s) => s.name)).toContain('videos limit=100 100 pages deep');
  });

  it('rejects bad counts and unknown options with the usage', () => {
    for (const argv of [['--count', 'many'], ['--count', '0'], ['--count', '1e6'], ['--fast'], ['extra'], ['--only', 'nope']]) {
      expect(() => parseBenchOptions(argv)).toThrow(BenchUsageError);
    }
  });
});

describe('bench plan matches issue 6', () => {
  const settings = benchSettings(parseBenchOptions([]));
  const scenarios = planScenarios(settings);
  const sortNames = scenarios.filter((s) => s.group === 'sorts').map((s) => s.name);
  const sortTargetIds = new Map(planTargets(settings).flatMap((t) => (t.value.kind === 'figure' && t.id.startsWith('sort-p99-') ? [[t.value.of.scenario, t.id]] : [])));

  it('has the eight scenario groups and the repeat-clients extra', () => {
    expect(SCENARIO_GROUPS.map((g) => [g.issueItem, g.id])).toEqual([
      [1, 'baseline'],
      [2, 'page-one'],
      [3, 'deep-offset'],
      [4, 'cursor'],
      [5, 'search'],
      [6, 'ingest'],
      [7, 'freshness'],
      [8, 'memory'],
      [null, 'repeat-clients'],
      [null, 'health'],
      [null, 'health-flood'],
      [null, 'sse-clients'],
      [null, 'sorts'],
    ]);
    expect(new Set(scenarios.map((s) => s.group))).toEqual(new Set(SCENARIO_GROUPS.map((g) => g.id)));
  });

  it('measures exactly the listed scenarios', () => {
    expect(scenarios.map((s) => s.name)).toEqual([
      'baseline',
      'getData page 1 limit=10',
      'getData page 1 limit=100',
      'getData page 2',
      'getData deep 10%',
      'getData deep 50%',
      'getData deep 100%',
      'getData page 1 If-None-Match',
      'videos first page',
      'videos deep cursor',
      'videos limit=100 first page',
      'videos limit=100 500 pages deep',
      'health',
      'health live',
      'getData page 1 alone',
      'getData page 1 under /health flood',
      'search common word',
      'search rare word',
      'search two words',
      'search prefix',
      'search two-letter word',
      ...sortNames,
      'ingest',
      'freshness',
      'memory',
      'getData page 1 without SSE clients',
      'getData page 1 with 5,000 SSE clients',
      'sse delivery',
    ]);
  });

  it('uses the pages, depths, queries and statuses the issue names', () => {
    const byName = new Map(scenarios.map((s) => [s.name, s]));
    const request = (name: string) => {
      const scenario = byName.get(name);
      if (scenario?.kind !== 'http') throw new Error(`${name} is not an HTTP scenario`);
      return scenario;
    };
    expect(request('getData page 1 limit=10').request).toMatchObject({ kind: 'getData', limit: 10, page: { pageNo: 1 } });
    expect(request('getData page 1 limit=100').request).toMatchObject({ kind: 'getData', limit: 100, page: { pageNo: 1 } });
    expect(request('getData page 2').request).toMatchObject({ limit: 100, page: { pageNo: 2 } });
    expect(['getData deep 10%', 'getData deep 50%', 'getData deep 100%'].map((name) => request(name).request)).toMatchObject([
      { limit: 100, page: { shareOfTotal: 0.1 } },
      { limit: 100, page: { shareOfTotal: 0.5 } },
      { limit: 100, page: { shareOfTotal: 1 } },
    ]);
    expect(request('videos deep cursor').request).toMatchObject({ kind: 'videos', depth: 500_000 });
    // The cursor throughput pages: limit 100 at the throughput load, first and 500 pages deep.
    expect(request('videos limit=100 first page')).toMatchObject({ connections: 50, request: { kind: 'videos', limit: 100, depth: 0 } });
    expect(request('videos limit=100 500 pages deep')).toMatchObject({ connections: 50, request: { kind: 'videos', limit: 100, depth: 50_000 } });
    expect(request('health')).toMatchObject({ connections: 50, expectStatus: 200, skipOnNotFound: false, request: { kind: 'health', path: '/health' } });
    expect(request('health live')).toMatchObject({ connections: 50, expectStatus: 200, skipOnNotFound: true, request: { kind: 'health', path: '/health/live' } });
    for (const name of ['baseline', 'getData page 2', 'getData deep 50%', 'getData deep 100%']) expect(request(name).connections).toBe(50);
    expect(SEARCH_SET.map((s) => s.q)).toEqual(['highlights', 'zeitgeist', 'tea how', 'highl', 'ai']);
    expect(request('getData page 1 If-None-Match')).toMatchObject({ expectStatus: 304, request: { ifNoneMatch: true } });
    expect(request('baseline').countSql).toBe(false);
    expect(settings.ingest.publishIntervalMs).toBe(20); // 50 videos/s
  });

  it('checks every target of the issue', () => {
    expect(planTargets(settings).map((t) => [t.id, t.comparison, t.limit])).toEqual([
      ['page1-limit10-vs-baseline', '>=', 0.8],
      ['page1-limit100-vs-baseline', '>=', 0.8],
      ['page2-vs-baseline', '>=', 0.35],
      ['deep-50pct-vs-baseline', '>=', 0.35],
      ['deep-100pct-vs-baseline', '>=', 0.35],
      ['cursor-first-vs-baseline', '>=', 0.35],
      ['cursor-500-pages-vs-baseline', '>=', 0.35],
      ['health-vs-baseline', '>=', 0.7],
      ['deep-10pct-p99', '<=', 3],
      ['deep-50pct-p99', '<=', 3],
      ['deep-100pct-p99', '<=', 3],
      ['cursor-deep-p99', '<=', 1.5],
      ['search-p99-highlights', '<=', 50],
      ['search-p99-zeitgeist', '<=', 50],
      ['search-p99-tea-how', '<=', 50],
      ['search-p99-highl', '<=', 50],
      ['search-p99-ai', '<=', 50],
      ...sortNames.map((name) => [sortTargetIds.get(name), '<=', 50]),
      ['no-per-request-count', '<=', 0],
      ['deep-page-statements', '<=', 2],
      ['no-per-request-page1-serialization', '<=', 0.01],
      ['freshness-p50', '<=', settings.fetchIntervalMs + 1000],
      ['api-rss-under-load', '<', 250],
      ['api-rss', '<', 250],
      ['page1-p99-under-health-flood', '<=', 2],
      ['page1-p99-with-sse-clients', '<=', 2],
      ['sse-delivered-once', '==', 0],
      ['repeat-clients-304', '==', 1],
    ]);
  });

  it('measures page 1 alone and then under a /health flood of 50 connections, back to back at the same load', () => {
    const pair = scenarios.filter((s) => s.group === 'health-flood');
    expect(pair.map((s) => s.name)).toEqual(['getData page 1 alone', 'getData page 1 under /health flood']);
    const [alone, flooded] = pair as [HttpScenarioPlan, HttpScenarioPlan];
    for (const scenario of [alone, flooded]) {
      expect(scenario).toMatchObject({ kind: 'http', connections: 50, expectStatus: 200, countSql: false, request: { kind: 'getData', limit: 100, page: { pageNo: 1 } } });
    }
    expect(alone.flood).toBeNull();
    expect(flooded.flood).toEqual({ path: '/health', connections: 50 });
    // Every other scenario runs alone.
    expect(scenarios.filter((s) => s.kind === 'http' && s.flood !== null).map((s) => s.name)).toEqual(['getData page 1 under /health flood']);
    const target = planTargets(settings).find((t) => t.id === 'page1-p99-under-health-flood');
    expect(target?.value).toEqual({ kind: 'ratio', of: { scenario: 'getData page 1 under /health flood', field: 'p99Ms' }, over: { scenario: 'getData page 1 alone', field: 'p99Ms' } });
  });

  it('runs the flood pair alone with --only health-flood', () => {
    const options = parseBenchOptions(['--quick', '--only', 'health-flood']);
    expect(options.only).toEqual(['health-flood']);
    expect(resultsFileName(options)).toBeNull();
    const selected = planScenarios(benchSettings(options)).filter((plan) => options.only.includes(plan.group));
    expect(selected.map((s) => s.name)).toEqual(['getData page 1 alone', 'getData page 1 under /health flood']);
    // The target needs nothing outside the group.
    const target = planTargets(benchSettings(options)).find((t) => t.id === 'page1-p99-under-health-flood')!;
    expect(target.value.kind === 'ratio' && [target.value.of.scenario, target.value.over.scenario].every((name) => selected.some((s) => s.name === name))).toBe(true);
  });

  it('holds 5,000 SSE clients beside page 1 after page 1 without them, then times deliveries to them (issue 16)', () => {
    const group = scenarios.filter((s) => s.group === 'sse-clients');
    expect(group.map((s) => s.name)).toEqual(['getData page 1 without SSE clients', 'getData page 1 with 5,000 SSE clients', 'sse delivery']);
    const [without, withClients, delivery] = group as [HttpScenarioPlan, HttpScenarioPlan, (typeof group)[number]];
    for (const scenario of [without, withClients]) {
      expect(scenario).toMatchObject({ kind: 'http', connections: 50, expectStatus: 200, countSql: false, flood: null, request: { kind: 'getData', limit: 100, page: { pageNo: 1 } } });
    }
    expect(without.sseClients).toBeNull();
    expect(withClients.sseClients).toBe(5000);
    expect(delivery.kind).toBe('sse-delivery');
    expect(scenarios.filter((s) => s.kind === 'http' && s.sseClients !== null).map((s) => s.name)).toEqual(['getData page 1 with 5,000 SSE clients']);
    // After the memory row: the streams' memory is not in the API memory targets.
    expect(scenarios.findIndex((s) => s.group === 'sse-clients')).toBeGreaterThan(scenarios.findIndex((s) => s.name === 'memory'));
    expect(settings.sse).toMatchObject({ clients: 5000, videos: 50 });
    expect(benchSettings(parseBenchOptions(['--quick'])).sse.clients).toBe(5000);
    const targets = planTargets(settings);
    expect(targets.find((t) => t.id === 'page1-p99-with-sse-clients')?.value).toEqual({
      kind: 'ratio',
      of: { scenario: 'getData page 1 with 5,000 SSE clients', field: 'p99Ms' },
      over: { scenario: 'getData page 1 without SSE clients', field: 'p99Ms' },
    });
    expect(targets.find((t) => t.id === 'sse-delivered-once')?.value).toEqual({ kind: 'figure', of: { scenario: 'sse delivery', field: 'pairsNotOnce' } });
  });

  it('runs the SSE group alone with --only sse-clients', () => {
    const options = parseBenchOptions(['--count', '100000', '--only', 'sse-clients']);
    expect(resultsFileName(options)).toBeNull();
    const selected = planScenarios(benchSettings(options)).filter((plan) => options.only.includes(plan.group));
    expect(selected.map((s) => s.name)).toEqual(['getData page 1 without SSE clients', 'getData page 1 with 5,000 SSE clients', 'sse delivery']);
  });

  it('refers only to scenarios and figures the plan produces', () => {
    const names = new Set(scenarios.map((s) => s.name));
    for (const target of planTargets(settings)) {
      const refs = target.value.kind === 'ratio' ? [target.value.of, target.value.over] : target.value.kind === 'max' ? target.value.of : [target.value.of];
      for (const ref of refs) expect(names, `${target.id} -> ${ref.scenario}`).toContain(ref.scenario);
    }
  });
});

describe('target evaluation', () => {
  const settings = benchSettings(parseBenchOptions(['--quick']));
  const result = (name: string, figures: Partial<ScenarioResult>, extra: ScenarioResult['extra'] = {}): ScenarioResult => ({
    name,
    group: 'page-one',
    reqPerSec: null,
    p50Ms: null,
    p99Ms: null,
    errors: 0,
    connections: null,
    note: '',
    extra,
    ...figures,
  });

  it('computes ratios and marks them met or not', () => {
    const targets = evaluateTargets(planTargets(settings), [
      result('baseline', { reqPerSec: 1000 }),
      result('getData page 1 limit=10', { reqPerSec: 900 }),
      result('getData page 1 limit=100', { reqPerSec: 700 }),
    ]);
    expect(targets.find((t) => t.id === 'page1-limit10-vs-baseline')).toMatchObject({ value: 0.9, met: true });
    expect(targets.find((t) => t.id === 'page1-limit100-vs-baseline')).toMatchObject({ value: 0.7, met: false });
  });

  it('divides the listing pages and /health by the baseline, with both servers\' CPU per request', () => {
    const targets = evaluateTargets(planTargets(settings), [
      result('baseline', { reqPerSec: 2000 }, { serverCpuUsPerRequest: 100 }),
      result('getData page 2', { reqPerSec: 800 }, { serverCpuUsPerRequest: 250 }),
      result('videos limit=100 500 pages deep', { reqPerSec: 600 }),
      result('health', { reqPerSec: 1300 }),
    ]);
    expect(targets.find((t) => t.id === 'page2-vs-baseline')).toMatchObject({ value: 0.4, met: true });
    expect(targets.find((t) => t.id === 'page2-vs-baseline')?.detail).toContain('serverCpuUsPerRequest 250 vs 100');
    expect(targets.find((t) => t.id === 'cursor-500-pages-vs-baseline')).toMatchObject({ value: 0.3, met: false });
    expect(targets.find((t) => t.id === 'health-vs-baseline')).toMatchObject({ value: 0.65, met: false });
  });

  it('judges the API memory under load by its highest reading over the HTTP scenarios, not the baseline server\'s', () => {
    const runs = [
      result('baseline', { group: 'baseline' }, { rssMaxMb: 400 }),
      result('getData page 2', {}, { rssMaxMb: 180.5 }),
      result('videos limit=100 500 pages deep', {}, { rssMaxMb: 260.2 }),
      result('health live', {}, { skipped: true }),
    ];
    expect(apiRssUnderLoad(runs)).toEqual({ maxMb: 260.2, scenario: 'videos limit=100 500 pages deep' });
    const targets = evaluateTargets(planTargets(settings), [result('memory', { group: 'memory' }, { rssUnderLoadMaxMb: 260.2 })]);
    expect(targets.find((t) => t.id === 'api-rss-under-load')).toMatchObject({ value: 260.2, met: false });
    expect(apiRssUnderLoad([runs[0]!])).toBeNull();
  });

  it('gives throughput rows their ratio to the baseline, and latency rows none', () => {
    const rows = withBaselineRatios([
      result('baseline', { group: 'baseline', reqPerSec: 4000, connections: 50 }, { serverCpuUsPerRequest: 120, mysqlCpuUsPerRequest: 3 }),
      result('getData page 2', { reqPerSec: 1000, connections: 50 }, { serverCpuUsPerRequest: 480, mysqlCpuUsPerRequest: 900, rssMaxMb: 150 }),
      result('videos first page', { reqPerSec: 900, connections: 4 }),
      result('health live', { connections: 50, note: 'skipped: /health/live answered 404' }, { skipped: true }),
    ]);
    expect(rows.map((r) => r.extra.reqPerSecVsBaseline)).toEqual([1, 0.25, undefined, undefined]);
    const printed = scenarioTable(rows);
    expect(printed).toMatch(/\| getData page 2 +\| +50 \| +1,000 \| +0\.25 \|.*\| +480 \| +900 \| +150 \|/);
    expect(printed).toContain('skipped: /health/live answered 404');
  });

  it('judges page 1 under the /health flood by its p99 over page 1 alone, showing the flood\'s rate', () => {
    const evaluate = (flooded: number) =>
      evaluateTargets(planTargets(settings), [
        result('getData page 1 alone', { group: 'health-flood', p99Ms: 8 }),
        result('getData page 1 under /health flood', { group: 'health-flood', p99Ms: flooded }, { floodReqPerSec: 5200 }),
      ]).find((t) => t.id === 'page1-p99-under-health-flood')!;
    expect(evaluate(14)).toMatchObject({ value: 1.75, met: true, unit: 'x page 1 alone' });
    expect(evaluate(14).detail).toContain('floodReqPerSec 5,200');
    expect(evaluate(16)).toMatchObject({ value: 2, met: true });
    expect(evaluate(17)).toMatchObject({ value: 2.13, met: false });
  });

  it('judges the SSE group by page 1 p99 with the clients over without, and by every pair delivered once', () => {
    const evaluate = (withClients: number, pairsNotOnce: number) =>
      evaluateTargets(planTargets(settings), [
        result('getData page 1 without SSE clients', { group: 'sse-clients', p99Ms: 10 }, { serverCpuUsPerRequest: 41 }),
        result('getData page 1 with 5,000 SSE clients', { group: 'sse-clients', p99Ms: withClients }, { serverCpuUsPerRequest: 44 }),
        result('sse delivery', { group: 'sse-clients', p50Ms: 40, p99Ms: 90 }, { pairsNotOnce, pairs: 250_000, rssPer1000ClientsMb: 13.2 }),
      ]);
    const ratio = (targets: ReturnType<typeof evaluate>) => targets.find((t) => t.id === 'page1-p99-with-sse-clients')!;
    const once = (targets: ReturnType<typeof evaluate>) => targets.find((t) => t.id === 'sse-delivered-once')!;
    expect(ratio(evaluate(19, 0))).toMatchObject({ value: 1.9, met: true, unit: 'x page 1 without' });
    expect(ratio(evaluate(19, 0)).detail).toContain('serverCpuUsPerRequest 44 vs 41');
    expect(ratio(evaluate(21, 0))).toMatchObject({ value: 2.1, met: false });
    expect(once(evaluate(12, 0))).toMatchObject({ value: 0, met: true });
    expect(once(evaluate(12, 0)).detail).toContain('pairs 250,000');
    // One pair in 250,000 is a failure (a count, not a share that rounds to 1).
    expect(once(evaluate(12, 1))).toMatchObject({ value: 1, met: false });
  });

  it('leaves targets of missing scenarios unmet with no value', () => {
    const targets = evaluateTargets(planTargets(settings), []);
    expect(targets.every((t) => t.value === null && !t.met)).toBe(true);
  });
});

describe('the sorts group (issue 15)', () => {
  const settings = benchSettings(parseBenchOptions([]));
  const sorts = planScenarios(settings).filter((s): s is HttpScenarioPlan => s.group === 'sorts' && s.kind === 'http');
  const listings = sorts.map((s) => {
    if (s.request.kind !== 'listing') throw new Error(`${s.name} is not a listing`);
    return { name: s.name, connections: s.connections, ...s.request, query: new URLSearchParams(s.request.params) };
  });

  it('lists every sort in both orders, on /videos, on page 1 and page 50', () => {
    for (const sort of ['published', 'views', 'likes', 'duration']) {
      for (const order of ['desc', 'asc']) {
        const pages = listings
          .filter((l) => l.path === '/videos' && l.params === `sort=${sort}&order=${order}`)
          .map((l) => l.page);
        expect(pages, `sort=${sort}&order=${order}`).toEqual([1, SORT_DEEP_PAGE]);
      }
    }
    expect(SORT_DEEP_PAGE).toBe(50);
  });

  it('has every filter of the listing alone on page 1 and page 50, and sorts with filters', () => {
    for (const filter of ['minViews', 'minDuration', 'maxDuration', 'live', 'channel', 'language', 'includeUnavailable']) {
      const alone = listings.filter((l) => l.path === '/videos' && [...l.query.keys()].join() === filter);
      expect(alone.map((l) => l.page), filter).toEqual(expect.arrayContaining([1, SORT_DEEP_PAGE]));
    }
    // A bare language (its regional variants too) and a channel of the data set.
    expect(listings.some((l) => l.query.get('language') === 'en')).toBe(true);
    expect(listings.some((l) => l.query.get('channel') === '{channel}')).toBe(true);
    const combined = listings.filter((l) => l.path === '/videos' && l.query.has('sort') && [...l.query.keys()].some((k) => k !== 'sort' && k !== 'order'));
    expect(new Set(combined.map((l) => l.query.get('sort')))).toEqual(new Set(['published', 'views', 'likes', 'duration']));
  });

  it('searches with a value sort, deep by cursor for a common word', () => {
    const searches = listings.filter((l) => l.path === '/videos/search');
    expect(searches.every((l) => l.query.has('q') && ['views', 'likes', 'duration'].includes(l.query.get('sort')!))).toBe(true);
    expect(searches.some((l) => l.query.get('q') === 'highlights' && l.page === SORT_DEEP_PAGE)).toBe(true);
  });

  it('measures latency at the latency concurrency with the API default page size, p99 <= 50 ms each', () => {
    expect(listings.every((l) => l.connections === settings.latencyConnections && l.limit === 20)).toBe(true);
    const targets = planTargets(settings).filter((t) => t.id.startsWith('sort-p99-'));
    expect(targets.map((t) => t.value)).toEqual(listings.map((l) => ({ kind: 'figure', of: { scenario: l.name, field: 'p99Ms' } })));
    expect(targets.every((t) => t.comparison === '<=' && t.limit === 50 && t.unit === 'ms')).toBe(true);
    expect(new Set(targets.map((t) => t.id)).size).toBe(targets.length);
  });
});
