// The benchmark plan as data: command-line options, the settings each mode runs with, every
// scenario of issue 6 and every target it must show. Pure (no I/O, nothing started), so the
// smoke test can check the plan against the issue and the runner cannot drift from it.
import { parseArgs } from 'node:util';

export const DEFAULT_ROWS = 1_000_000;
export const QUICK_ROWS = 100_000;
export const MAX_ROWS = 50_000_000;
/** The soak of issue 7: at least 60 seconds, measured in windows of 10. */
export const SOAK_DEFAULT_SECONDS = 60;
export const SOAK_WINDOW_S = 10;
export const SOAK_MAX_SECONDS = 86_400;

/** The eight scenario groups of issue 6 and its extras (repeat clients, /health, page 1 under a /health flood). */
export const SCENARIO_GROUPS = [
  { id: 'baseline', issueItem: 1, title: 'Baseline: bare Fastify route, pre-serialized body of the page-1 (limit=100) size' },
  { id: 'page-one', issueItem: 2, title: '/getData?pageNo=1, limit 10 and 100 (the snapshot path)' },
  { id: 'deep-offset', issueItem: 3, title: '/getData?limit=100 at pageNo 2 and at 10 %, 50 %, 100 % of totalPages' },
  { id: 'cursor', issueItem: 4, title: '/videos cursor listing: first page and a cursor deep in the table' },
  { id: 'search', issueItem: 5, title: '/videos/search: common word, rare word, two words, prefix, two-letter word' },
  { id: 'ingest', issueItem: 6, title: 'Ingest: worker against the simulator publishing 50 videos/s' },
  { id: 'freshness', issueItem: 7, title: 'Freshness: simulated publish -> visible on /getData page 1' },
  { id: 'memory', issueItem: 8, title: 'Memory: API resident memory after the runs' },
  { id: 'repeat-clients', issueItem: null, title: 'Extra: repeat clients polling page 1 with If-None-Match (expect 304)' },
  { id: 'health', issueItem: null, title: 'Extra: GET /health and GET /health/live (the probes a load balancer sends) at throughput load' },
  {
    id: 'health-flood',
    issueItem: null,
    title: 'Extra: /getData page 1 (limit=100) p99 alone, then under a /health flood (50 more connections hammering /health from another process)',
  },
  {
    id: 'sse-clients',
    issueItem: null,
    title:
      'Push (issue 16): 5,000 open /videos/stream clients from other processes; page 1 (limit=100) p99 without and with them, API RSS per 1,000 clients, store -> delivery p50/p99',
  },
  {
    id: 'sorts',
    issueItem: null,
    title:
      'Sorts and filters (issue 15): /videos (limit=20) by every sort in both orders, with every filter, sorts with filters, and /videos/search with a sort, on page 1 and page 50 (by cursor), on the enriched data set',
  },
] as const;

export type ScenarioGroup = (typeof SCENARIO_GROUPS)[number]['id'];

export interface BenchOptions {
  /** Reduced run: 100,000 rows and short durations, under 3 minutes after the one-time seed. */
  readonly quick: boolean;
  /** Rows of the seeded data set. */
  readonly count: number;
  /** Scenario groups to run (all when empty): for working on one part; its results file is not written. */
  readonly only: readonly ScenarioGroup[];
  /**
   * Soak mode (issue 7) instead of the scenarios: seconds of page-1 load while the worker
   * fetches every second; null for the benchmark.
   */
  readonly soakSeconds: number | null;
  /**
   * Run the API with its rate limiter off (RATE_LIMIT_MAX=0), to see what the limiter costs;
   * its results file is not written.
   */
  readonly rateLimitOff: boolean;
}

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

export const USAGE = `usage: npm run bench -- [--quick] [--count N] [--only GROUP,...]
       npm run bench -- --soak [--soak-seconds N] [--quick] [--count N]
  --quick     reduced run: ${QUICK_ROWS.toLocaleString('en-US')} rows, short durations (results in bench/results.quick.json)
  --count N   rows to seed and measure (default ${DEFAULT_ROWS.toLocaleString('en-US')}; --quick: ${QUICK_ROWS.toLocaleString('en-US')});
              a full run on another count writes bench/results.<N>.json (e.g. results.100k.json)
  --only G,G  run only these scenario groups (${SCENARIO_GROUPS.map((g) => g.id).join(', ')});
              prints the tables but writes no results file
  --rate-limit-off
              run the API with its rate limiter off (it is on, with a ceiling no load reaches,
              by default), to compare; prints the tables but writes no results file
  --soak      instead of the scenarios: page-1 load at the page-1 scenarios' concurrency while
              the worker fetches every second (results in bench/results.soak.json;
              with --quick, bench/results.soak.quick.json)
  --soak-seconds N
              soak length (implies --soak; default ${SOAK_DEFAULT_SECONDS}): a multiple of ${SOAK_WINDOW_S} from ${2 * SOAK_WINDOW_S};
              under ${SOAK_DEFAULT_SECONDS} it prints the tables but writes no results file
`;

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let values: { quick?: boolean; count?: string; only?: string; soak?: boolean; 'soak-seconds'?: string; 'rate-limit-off'?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean', default: false },
        count: { type: 'string' },
        only: { type: 'string' },
        soak: { type: 'boolean', default: false },
        'soak-seconds': { type: 'string' },
        'rate-limit-off': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new BenchUsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const quick = values.quick === true;
  let count = quick ? QUICK_ROWS : DEFAULT_ROWS;
  if (values.count !== undefined) {
    const parsed = /^\d+$/.test(values.count.replaceAll('_', '')) ? Number(values.count.replaceAll('_', '')) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < 1000 || parsed > MAX_ROWS) {
      throw new BenchUsageError(`--count must be a whole number from 1000 to ${MAX_ROWS} (got "${values.count}")\n${USAGE}`);
    }
    count = parsed;
  }
  const known = new Set<string>(SCENARIO_GROUPS.map((g) => g.id));
  const only = (values.only ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  const unknown = only.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new BenchUsageError(`--only: unknown scenario group ${unknown.join(', ')}\n${USAGE}`);
  let soakSeconds: number | null = values.soak === true ? SOAK_DEFAULT_SECONDS : null;
  const wantedSeconds = values['soak-seconds'];
  if (wantedSeconds !== undefined) {
    const parsed = /^\d+$/.test(wantedSeconds) ? Number(wantedSeconds) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < 2 * SOAK_WINDOW_S || parsed > SOAK_MAX_SECONDS || parsed % SOAK_WINDOW_S !== 0) {
      throw new BenchUsageError(
        `--soak-seconds must be a multiple of ${SOAK_WINDOW_S} from ${2 * SOAK_WINDOW_S} to ${SOAK_MAX_SECONDS} (got "${wantedSeconds}")\n${USAGE}`,
      );
    }
    soakSeconds = parsed;
  }
  if (soakSeconds !== null && only.length > 0) throw new BenchUsageError(`--soak runs no scenario groups: drop --only\n${USAGE}`);
  return { quick, count, only: only as ScenarioGroup[], soakSeconds, rateLimitOff: values['rate-limit-off'] === true };
}

/** Fixed load and timing settings of one run; recorded in the results as they were used. */
export interface BenchSettings {
  readonly mode: 'full' | 'quick';
  readonly rows: number;
  /** Warm-up of every HTTP scenario (not counted), then the measured window. */
  readonly warmupS: number;
  readonly durationS: number;
  /** Throughput scenarios (baseline, page 1, deep pages, 304): enough connections to saturate 2 cores. */
  readonly throughputConnections: number;
  /** Latency scenarios (cursor, search): few connections, so p99 shows service time, not queueing. */
  readonly latencyConnections: number;
  /** Rows the deep cursor is from the newest end (found by walking nextCursor with limit=100). */
  readonly cursorDepth: number;
  readonly cursorWalkLimit: number;
  /** Page size of the /videos and /videos/search latency scenarios (the API's default). */
  readonly listLimit: number;
  /**
   * The cursor throughput scenarios: `/videos?limit=pageLimit` at the throughput concurrency,
   * on the first page and after walking `pages` pages (pages x pageLimit rows deep).
   */
  readonly cursorThroughput: { readonly pageLimit: number; readonly pages: number; readonly depth: number };
  /** How often the server's VmRSS is read during a measured window (its maximum is reported). */
  readonly rssSampleMs: number;
  /** Sequential requests of the pass that counts SQL statements per request (against a second API). */
  readonly sqlCountRequests: number;
  readonly fetchIntervalMs: number;
  readonly ingest: { readonly publishIntervalMs: number; readonly warmupS: number; readonly measureS: number };
  readonly freshness: {
    readonly publishIntervalMs: number;
    readonly minVideos: number;
    /** Longest the measured window may last while waiting for minVideos. */
    readonly maxS: number;
    readonly pollMs: number;
  };
  /** The sse-clients group (issue 16). */
  readonly sse: {
    /** Open /videos/stream connections, held by the API process the other scenarios measure. */
    readonly clients: number;
    /** Client processes they are spread over (none shares the harness's event loop). */
    readonly processes: number;
    /** Connections each client process has opening at once. */
    readonly openConcurrency: number;
    readonly readyTimeoutS: number;
    /** Videos stored one at a time through the outbox and the relay, this far apart. */
    readonly videos: number;
    readonly storeIntervalMs: number;
    /** Longest wait, after the last store, for every client to have every video. */
    readonly deliveryTimeoutS: number;
    /** Pause before reading the API's memory, so what opening the streams left in flight settles. */
    readonly settleMs: number;
  };
}

export function benchSettings(options: BenchOptions): BenchSettings {
  const { quick, count } = options;
  const wantedDepth = quick ? 50_000 : 500_000;
  // Never deeper than half the data set, in whole walk pages.
  const halfInWalkPages = Math.floor(count / 2 / 100) * 100;
  const cursorDepth = Math.max(100, Math.min(wantedDepth, halfInWalkPages));
  const throughputPages = Math.max(1, Math.min(500, halfInWalkPages / 100));
  return {
    mode: quick ? 'quick' : 'full',
    rows: count,
    warmupS: quick ? 1 : 3,
    durationS: quick ? 3 : 10,
    throughputConnections: 50,
    latencyConnections: 4,
    cursorDepth,
    cursorWalkLimit: 100,
    listLimit: 20,
    cursorThroughput: { pageLimit: 100, pages: throughputPages, depth: throughputPages * 100 },
    rssSampleMs: 250,
    sqlCountRequests: quick ? 200 : 500,
    fetchIntervalMs: 1000,
    ingest: { publishIntervalMs: 20, warmupS: quick ? 3 : 5, measureS: quick ? 15 : 30 },
    freshness: { publishIntervalMs: 1000, minVideos: quick ? 10 : 30, maxS: quick ? 25 : 60, pollMs: 50 },
    sse: {
      clients: 5000,
      processes: 4,
      openConcurrency: 100,
      readyTimeoutS: 60,
      videos: quick ? 20 : 50,
      storeIntervalMs: 200,
      deliveryTimeoutS: 30,
      settleMs: 1000,
    },
  };
}


/** Where a /getData page is: a fixed page number or a share of totalPages. */
export type PageChoice = { readonly pageNo: number } | { readonly shareOfTotal: number };

export type HttpRequestPlan =
  | { readonly kind: 'baseline' }
  | { readonly kind: 'getData'; readonly limit: number; readonly page: PageChoice; readonly ifNoneMatch: boolean }
  | { readonly kind: 'videos'; readonly limit: number; readonly depth: number }
  | { readonly kind: 'search'; readonly limit: number; readonly q: string; readonly wordKind: string }
  | { readonly kind: 'health'; readonly path: '/health' | '/health/live' }
  /**
   * A /videos or /videos/search page with a sort and filters (`params`: the query string
   * besides limit and cursor; `{channel}` stands for a channel of the data set): page 1, or
   * page `page` reached by following nextCursor with the same parameters and limit.
   */
  | { readonly kind: 'listing'; readonly path: SortCase['path']; readonly limit: number; readonly params: string; readonly page: number };

/**
 * Load on another route for the whole of a scenario (warm-up and measured window), from a load
 * generator in a process of its own: what the measured requests are answered beside.
 */
export interface FloodPlan {
  readonly path: '/health';
  readonly connections: number;
}

export interface HttpScenarioPlan {
  readonly kind: 'http';
  readonly name: string;
  readonly group: ScenarioGroup;
  readonly request: HttpRequestPlan;
  readonly connections: number;
  /** The status that counts as success; every other status is an error. */
  readonly expectStatus: 200 | 304;
  /** Count the SQL statements per request (not for the baseline, which has no database). */
  readonly countSql: boolean;
  /**
   * A route this build may not have yet: a 404 to the checked request skips the scenario
   * (with a note) instead of failing it.
   */
  readonly skipOnNotFound: boolean;
  /** Runs beside the measured load (null: the measured load alone). */
  readonly flood: FloodPlan | null;
  /**
   * Open SSE clients held by the API through the warm-up and the measured window (null: none).
   * They are opened before the scenario and stay open for the SSE delivery scenario after it.
   */
  readonly sseClients: number | null;
}

export interface IngestScenarioPlan {
  readonly kind: 'ingest';
  readonly name: 'ingest';
  readonly group: 'ingest';
}

export interface FreshnessScenarioPlan {
  readonly kind: 'freshness';
  readonly name: 'freshness';
  readonly group: 'freshness';
}

export interface MemoryScenarioPlan {
  readonly kind: 'memory';
  readonly name: 'memory';
  readonly group: 'memory';
}

/**
 * New videos stored through the outbox and relayed to the SSE clients opened for the scenario
 * before it (opened here when none are): store -> delivery to every client, each video once.
 */
export interface SseDeliveryScenarioPlan {
  readonly kind: 'sse-delivery';
  readonly name: typeof SSE_DELIVERY_NAME;
  readonly group: 'sse-clients';
}

export type ScenarioPlan = HttpScenarioPlan | IngestScenarioPlan | FreshnessScenarioPlan | MemoryScenarioPlan | SseDeliveryScenarioPlan;

/** The fixed search set: one query per kind the issue names. */
export const SEARCH_SET = [
  { name: 'search common word', q: 'highlights', wordKind: 'common word' },
  { name: 'search rare word', q: 'zeitgeist', wordKind: 'rare word (~1 in 5,000 descriptions)' },
  { name: 'search two words', q: 'tea how', wordKind: 'two words (one a stopword)' },
  { name: 'search prefix', q: 'highl', wordKind: 'prefix' },
  { name: 'search two-letter word', q: 'ai', wordKind: 'two-letter word' },
] as const;

/** A listing the sorts group measures (issue 15). */
export interface SortCase {
  readonly name: string;
  readonly path: '/videos' | '/videos/search';
  /** The query string besides limit and cursor; `{channel}` is a channel of the data set. */
  readonly params: string;
  /** Also measured at SORT_DEEP_PAGE, by cursor (a rare word has no page that deep). */
  readonly deep: boolean;
}

const listing = (params: string): SortCase => ({ name: `videos ${params.replaceAll('&', ' ')}`, path: '/videos', params, deep: true });
const searchListing = (params: string, deep: boolean): SortCase => ({
  name: `search ${params.replaceAll('&', ' ')}`,
  path: '/videos/search',
  params,
  deep,
});

/**
 * The sorts-group scenarios (issue 15): every sort in both orders, every filter on the default
 * sort, sorts with filters (a rare filter on a value sort reads the most), and search with a
 * sort; each on page 1 and on page SORT_DEEP_PAGE. On the seeded data set (database.ts
 * ensureDetails): minViews=100000 keeps ~28 %, minDuration=1200 ~20 %, maxDuration=60 the
 * shorts (~20 %), live=live 0.5 %, a channel 5 %, language=ja 10 %, language=en (en and its
 * regions) 50 %; "zeitgeist" is in ~1 in 5,000 descriptions.
 */
export const SORT_SET: readonly SortCase[] = [
  ...(['published', 'views', 'likes', 'duration'] as const).flatMap((sort) => [
    listing(`sort=${sort}&order=desc`),
    listing(`sort=${sort}&order=asc`),
  ]),
  listing('minViews=100000'),
  listing('minDuration=1200'),
  listing('maxDuration=60'),
  listing('live=live'),
  listing('channel={channel}'),
  listing('language=ja'),
  listing('language=en'),
  listing('includeUnavailable=true'),
  listing('sort=views&minDuration=1200'),
  listing('sort=likes&live=live'),
  listing('sort=duration&order=asc&language=ja'),
  listing('sort=views&channel={channel}'),
  listing('sort=published&order=asc&live=live'),
  searchListing('q=highlights&sort=views', true),
  searchListing('q=highlights&sort=duration&order=asc&minViews=100000', true),
  searchListing('q=zeitgeist&sort=likes', false),
  // ~700 matches: no page 50.
  searchListing('q=highlights&sort=likes&live=live', false),
];

/** The deep page of the sorts group, reached by cursor: 980 rows in at limit=20. */
export const SORT_DEEP_PAGE = 50;

export function sortPageName(entry: SortCase, page: number): string {
  return page === 1 ? entry.name : `${entry.name} page ${page}`;
}

export const DEEP_SHARES = [0.1, 0.5, 1] as const;

export function deepPageName(share: number): string {
  return `getData deep ${Math.round(share * 100)}%`;
}

export const CURSOR_FIRST_NAME = 'videos limit=100 first page';
export function cursorPagesDeepName(pages: number): string {
  return `videos limit=100 ${pages} pages deep`;
}
export const HEALTH_NAME = 'health';
export const HEALTH_LIVE_NAME = 'health live';
/** The pair the /health flood target compares, measured one after the other in the same run. */
export const PAGE_ONE_ALONE_NAME = 'getData page 1 alone';
export const PAGE_ONE_UNDER_FLOOD_NAME = 'getData page 1 under /health flood';
/** The sse-clients group: page 1 without and with the open streams, then the deliveries. */
export const PAGE_ONE_WITHOUT_SSE_NAME = 'getData page 1 without SSE clients';
export function pageOneWithSseName(clients: number): string {
  return `getData page 1 with ${clients.toLocaleString('en-US')} SSE clients`;
}
export const SSE_DELIVERY_NAME = 'sse delivery';

/**
 * Which results file a run writes (relative to bench/): results.json for the default full run,
 * results.<N>.json for a full run on another count (results.100k.json), results.quick.json for
 * --quick; null for runs that must not replace a whole one (--only, --rate-limit-off).
 */
export function resultsFileName(options: BenchOptions): string | null {
  if (options.only.length > 0 || options.rateLimitOff) return null;
  if (options.quick) return 'results.quick.json';
  if (options.count === DEFAULT_ROWS) return 'results.json';
  const n = options.count;
  const size = n % 1_000_000 === 0 ? `${n / 1_000_000}m` : n % 1000 === 0 ? `${n / 1000}k` : String(n);
  return `results.${size}.json`;
}

/** Every scenario in the order the runner measures them. */
export function planScenarios(settings: BenchSettings): ScenarioPlan[] {
  const hot = settings.throughputConnections;
  const calm = settings.latencyConnections;
  const http = (
    name: string,
    group: ScenarioGroup,
    request: HttpRequestPlan,
    connections: number,
    expectStatus: 200 | 304 = 200,
    skipOnNotFound = false,
  ): HttpScenarioPlan => ({ kind: 'http', name, group, request, connections, expectStatus, countSql: request.kind !== 'baseline', skipOnNotFound, flood: null, sseClients: null });
  const deep = settings.cursorThroughput;
  const page = (limit: number, choice: PageChoice, ifNoneMatch = false): HttpRequestPlan => ({ kind: 'getData', limit, page: choice, ifNoneMatch });
  return [
    http('baseline', 'baseline', { kind: 'baseline' }, hot),
    http('getData page 1 limit=10', 'page-one', page(10, { pageNo: 1 }), hot),
    http('getData page 1 limit=100', 'page-one', page(100, { pageNo: 1 }), hot),
    http('getData page 2', 'deep-offset', page(100, { pageNo: 2 }), hot),
    ...DEEP_SHARES.map((share) => http(deepPageName(share), 'deep-offset', page(100, { shareOfTotal: share }), hot)),
    http('getData page 1 If-None-Match', 'repeat-clients', page(100, { pageNo: 1 }, true), hot, 304),
    http('videos first page', 'cursor', { kind: 'videos', limit: settings.listLimit, depth: 0 }, calm),
    http('videos deep cursor', 'cursor', { kind: 'videos', limit: settings.listLimit, depth: settings.cursorDepth }, calm),
    http(CURSOR_FIRST_NAME, 'cursor', { kind: 'videos', limit: deep.pageLimit, depth: 0 }, hot),
    http(cursorPagesDeepName(deep.pages), 'cursor', { kind: 'videos', limit: deep.pageLimit, depth: deep.depth }, hot),
    http(HEALTH_NAME, 'health', { kind: 'health', path: '/health' }, hot),
    // Added to the API alongside this scenario; older builds answer 404 and the row says so.
    http(HEALTH_LIVE_NAME, 'health', { kind: 'health', path: '/health/live' }, hot, 200, true),
    // Page 1 at its own throughput load, alone and then with a /health flood beside it: a
    // /health that asked MySQL or Redis per request would make page 1 wait on them. Both at the
    // same concurrency, back to back, so only the flood differs; their SQL per request is the
    // page-one group's.
    { ...http(PAGE_ONE_ALONE_NAME, 'health-flood', page(100, { pageNo: 1 }), hot), countSql: false },
    { ...http(PAGE_ONE_UNDER_FLOOD_NAME, 'health-flood', page(100, { pageNo: 1 }), hot), countSql: false, flood: { path: '/health', connections: hot } },
    ...SEARCH_SET.map((entry) => http(entry.name, 'search', { kind: 'search', limit: settings.listLimit, q: entry.q, wordKind: entry.wordKind }, calm)),
    ...SORT_SET.flatMap((entry) =>
      (entry.deep ? [1, SORT_DEEP_PAGE] : [1]).map((page) =>
        http(sortPageName(entry, page), 'sorts', { kind: 'listing', path: entry.path, limit: settings.listLimit, params: entry.params, page }, calm),
      ),
    ),
    { kind: 'ingest', name: 'ingest', group: 'ingest' },
    { kind: 'freshness', name: 'freshness', group: 'freshness' },
    { kind: 'memory', name: 'memory', group: 'memory' },
    // After the memory row, so the API's memory figures above are not those of the streams. Page
    // 1 at its throughput load without and then with the open streams, back to back as in the
    // health-flood pair; the streams stay open for the deliveries.
    { ...http(PAGE_ONE_WITHOUT_SSE_NAME, 'sse-clients', page(100, { pageNo: 1 }), hot), countSql: false },
    { ...http(pageOneWithSseName(settings.sse.clients), 'sse-clients', page(100, { pageNo: 1 }), hot), countSql: false, sseClients: settings.sse.clients },
    { kind: 'sse-delivery', name: SSE_DELIVERY_NAME, group: 'sse-clients' },
  ];
}

/** A figure of one scenario: a standard field or one of its extras. */
export interface FigureRef {
  readonly scenario: string;
  readonly field: string;
}

export type TargetValue =
  | { readonly kind: 'ratio'; readonly of: FigureRef; readonly over: FigureRef }
  | { readonly kind: 'figure'; readonly of: FigureRef }
  | { readonly kind: 'max'; readonly of: readonly FigureRef[] };

export interface TargetPlan {
  readonly id: string;
  readonly target: string;
  readonly value: TargetValue;
  readonly comparison: '>=' | '<=' | '<' | '==';
  readonly limit: number;
  readonly unit: string;
  /** Figures shown next to the value because they qualify it (not part of the check). */
  readonly alsoShow?: readonly FigureRef[];
}

const ref = (scenario: string, field: string): FigureRef => ({ scenario, field });

/**
 * Throughput of the listing pages and of /health against the bare-Fastify baseline, measured
 * in the same run at the same concurrency. The server's CPU per request is shown beside each:
 * it compares the two servers whichever side (server or load generator) limited the rate.
 */
function vsBaseline(settings: BenchSettings): TargetPlan[] {
  const pages = settings.cursorThroughput.pages;
  const entries: ReadonlyArray<readonly [id: string, scenario: string, what: string, limit: number]> = [
    ['page2-vs-baseline', 'getData page 2', 'page 2 (limit=100)', 0.35],
    ['deep-50pct-vs-baseline', deepPageName(0.5), 'page at 50 % depth (limit=100)', 0.35],
    ['deep-100pct-vs-baseline', deepPageName(1), 'page at 100 % depth (limit=100)', 0.35],
    ['cursor-first-vs-baseline', CURSOR_FIRST_NAME, '/videos?limit=100 first page', 0.35],
    ['cursor-500-pages-vs-baseline', cursorPagesDeepName(pages), `/videos?limit=100 cursor ${pages} pages deep`, 0.35],
    ['health-vs-baseline', HEALTH_NAME, 'GET /health', 0.7],
  ];
  return entries.map(([id, scenario, what, limit]) => ({
    id,
    target: `${what} req/s >= ${limit} x baseline`,
    value: { kind: 'ratio', of: ref(scenario, 'reqPerSec'), over: ref('baseline', 'reqPerSec') },
    comparison: '>=',
    limit,
    unit: 'x baseline',
    alsoShow: [ref(scenario, 'serverCpuUsPerRequest'), ref('baseline', 'serverCpuUsPerRequest')],
  }));
}

/** Every target of issue 6, with how its value is derived from the scenarios' figures. */
export function planTargets(settings: BenchSettings): TargetPlan[] {
  const deepNames = DEEP_SHARES.map(deepPageName);
  return [
    ...[10, 100].map(
      (limit): TargetPlan => ({
        id: `page1-limit${limit}-vs-baseline`,
        target: `page 1 limit=${limit} req/s >= 0.8 x baseline`,
        value: { kind: 'ratio', of: ref(`getData page 1 limit=${limit}`, 'reqPerSec'), over: ref('baseline', 'reqPerSec') },
        comparison: '>=',
        limit: 0.8,
        unit: 'x baseline',
        // The load generator shares the two cores and can be what limits both rates: the
        // server's CPU per request compares the two servers whoever limited the rate.
        alsoShow: [ref(`getData page 1 limit=${limit}`, 'serverCpuUsPerRequest'), ref('baseline', 'serverCpuUsPerRequest')],
      }),
    ),
    ...vsBaseline(settings),
    ...DEEP_SHARES.map(
      (share): TargetPlan => ({
        id: `deep-${Math.round(share * 100)}pct-p99`,
        target: `deep page ${Math.round(share * 100)}% p99 <= 3 x page 2 p99`,
        value: { kind: 'ratio', of: ref(deepPageName(share), 'p99Ms'), over: ref('getData page 2', 'p99Ms') },
        comparison: '<=',
        limit: 3,
        unit: 'x page 2',
      }),
    ),
    {
      id: 'cursor-deep-p99',
      target: `cursor ${settings.cursorDepth.toLocaleString('en-US')} rows deep p99 <= 1.5 x first page p99`,
      value: { kind: 'ratio', of: ref('videos deep cursor', 'p99Ms'), over: ref('videos first page', 'p99Ms') },
      comparison: '<=',
      limit: 1.5,
      unit: 'x first page',
    },
    ...SEARCH_SET.map(
      (entry): TargetPlan => ({
        id: `search-p99-${entry.q.replace(/\s+/g, '-')}`,
        target: `search "${entry.q}" p99 <= 50 ms`,
        value: { kind: 'figure', of: ref(entry.name, 'p99Ms') },
        comparison: '<=',
        limit: 50,
        unit: 'ms',
      }),
    ),
    ...SORT_SET.flatMap((entry) =>
      (entry.deep ? [1, SORT_DEEP_PAGE] : [1]).map(
        (page): TargetPlan => ({
          id: `sort-p99-${entry.path === '/videos' ? '' : 'search-'}${entry.params.replace(/[{}]/g, '').replace(/[=&]/g, '-')}${page === 1 ? '' : `-page-${page}`}`,
          target: `${entry.path}?${entry.params}&limit=${settings.listLimit}${page === 1 ? '' : ` page ${page}`} p99 <= 50 ms`,
          value: { kind: 'figure', of: ref(sortPageName(entry, page), 'p99Ms') },
          comparison: '<=',
          limit: 50,
          unit: 'ms',
        }),
      ),
    ),
    {
      id: 'no-per-request-count',
      target: 'no per-request COUNT(*): COUNT statements per /getData request = 0',
      value: {
        kind: 'max',
        of: ['getData page 1 limit=10', 'getData page 1 limit=100', 'getData page 2', ...deepNames].map((name) => ref(name, 'sqlCountQueriesPerRequest')),
      },
      comparison: '<=',
      limit: 0,
      unit: 'statements/request',
    },
    {
      id: 'deep-page-statements',
      target: 'deep pages: SQL statements per request <= 2',
      value: { kind: 'max', of: ['getData page 2', ...deepNames].map((name) => ref(name, 'sqlPerRequest')) },
      comparison: '<=',
      limit: 2,
      unit: 'statements/request',
    },
    {
      id: 'no-per-request-page1-serialization',
      target: 'page 1 from the snapshot: SQL statements per page-1 request ~ 0',
      value: { kind: 'max', of: [ref('getData page 1 limit=10', 'sqlPerRequest'), ref('getData page 1 limit=100', 'sqlPerRequest')] },
      comparison: '<=',
      limit: 0.01,
      unit: 'statements/request',
    },
    {
      id: 'freshness-p50',
      target: `freshness p50 <= fetch interval + 1 s (${settings.fetchIntervalMs + 1000} ms)`,
      value: { kind: 'figure', of: ref('freshness', 'p50Ms') },
      comparison: '<=',
      limit: settings.fetchIntervalMs + 1000,
      unit: 'ms',
    },
    {
      id: 'api-rss-under-load',
      target: 'API resident memory under load (max over the HTTP scenarios) < 250 MB',
      value: { kind: 'figure', of: ref('memory', 'rssUnderLoadMaxMb') },
      comparison: '<',
      limit: 250,
      unit: 'MB',
    },
    {
      id: 'api-rss',
      target: 'API resident memory after the runs < 250 MB',
      value: { kind: 'figure', of: ref('memory', 'rssMb') },
      comparison: '<',
      limit: 250,
      unit: 'MB',
    },
    {
      id: 'page1-p99-under-health-flood',
      target: `page 1 (limit=100) p99 under a /health flood (${settings.throughputConnections} connections) <= 2 x page 1 p99 alone`,
      value: { kind: 'ratio', of: ref(PAGE_ONE_UNDER_FLOOD_NAME, 'p99Ms'), over: ref(PAGE_ONE_ALONE_NAME, 'p99Ms') },
      comparison: '<=',
      limit: 2,
      unit: 'x page 1 alone',
      // How hard /health was hammered meanwhile.
      alsoShow: [ref(PAGE_ONE_UNDER_FLOOD_NAME, 'floodReqPerSec')],
    },
    {
      id: 'page1-p99-with-sse-clients',
      target: `page 1 (limit=100) p99 with ${settings.sse.clients.toLocaleString('en-US')} open SSE clients <= 2 x page 1 p99 without them`,
      value: { kind: 'ratio', of: ref(pageOneWithSseName(settings.sse.clients), 'p99Ms'), over: ref(PAGE_ONE_WITHOUT_SSE_NAME, 'p99Ms') },
      comparison: '<=',
      limit: 2,
      unit: 'x page 1 without',
      // The API's CPU per page-1 request with and without them: what the open streams cost each
      // request, from CPU time rather than from a p99 that other work on the machine moves.
      alsoShow: [ref(pageOneWithSseName(settings.sse.clients), 'serverCpuUsPerRequest'), ref(PAGE_ONE_WITHOUT_SSE_NAME, 'serverCpuUsPerRequest')],
    },
    {
      id: 'sse-delivered-once',
      target: 'every SSE client received every stored video exactly once: (client, video) pairs missed or repeated = 0',
      value: { kind: 'figure', of: ref(SSE_DELIVERY_NAME, 'pairsNotOnce') },
      comparison: '==',
      limit: 0,
      unit: 'pairs',
      // Out of how many.
      alsoShow: [ref(SSE_DELIVERY_NAME, 'pairs')],
    },
    {
      id: 'repeat-clients-304',
      target: 'repeat clients with If-None-Match: all 304',
      value: { kind: 'figure', of: ref('getData page 1 If-None-Match', 'share304') },
      comparison: '==',
      limit: 1,
      unit: 'share of responses',
    },
  ];
}
