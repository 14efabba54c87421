// Scenarios 1-5 and the 304 and health extras: turn each planned request into a URL against the
// running API (or the baseline server), check one answer, warm up, then measure with autocannon
// while metering the CPU of every process involved and sampling the server's resident memory,
// and finally count the SQL statements per request on a second API. A scenario with a flood
// (page 1 under a /health flood) has that flood running, from another process, through its
// warm-up and measured window.
import type { StartFlood } from './flood-process.js';
import { round } from './latency-stats.js';
import { runLoad, warmUp, type LoadResult, type LoadSpec } from './load-runner.js';
import { cpuSecondsBetween, cpuSplit, sampleCpu, type CpuSample } from './cpu-meter.js';
import type { BenchSettings, HttpRequestPlan, HttpScenarioPlan } from './plan.js';
import { startRssSampler, type RssReadings } from './rss-sampler.js';
import { resultWithoutFigures, type ScenarioResult } from './scenario-result.js';
import type { SqlCountingProxy } from '@tubefeed/core/testing/faults';

/** What the scenarios need to know about the running API and its data. */
export interface FeedFacts {
  /** The body of `/getData?pageNo=1&limit=100`: the baseline serves these bytes. */
  readonly pageOneBody: Buffer;
  readonly pageOneBytes: number;
  readonly totalCount: number;
  /** ETag of `/getData?pageNo=1&limit=100` (the repeat clients send it back). */
  readonly pageOneEtag: string | null;
  /** The channel of the newest video: what `{channel}` in a sorts-group listing stands for. */
  readonly channelId: string | null;
}

export interface HttpRunContext {
  readonly apiUrl: string;
  readonly apiPid: number;
  /** MariaDB's and Redis's server processes (null when unknown), for the CPU split. */
  readonly mysqlPid: number | null;
  readonly redisPid: number | null;
  /** Set while the baseline server runs. */
  readonly baselineUrl: string | null;
  readonly baselinePid: number | null;
  readonly facts: FeedFacts;
  /** Cursors by how many rows deep they are, from walking /videos (walkCursor). */
  readonly cursors: ReadonlyMap<number, string>;
  /** Cursors of the sorts group's deep pages, by listingKey (walkListing). */
  readonly listingCursors: ReadonlyMap<string, string>;
  readonly settings: BenchSettings;
  /** A second API process whose MySQL traffic goes through the counting proxy. */
  readonly counting: { readonly apiUrl: string; readonly proxy: SqlCountingProxy };
  /** Starts the load a scenario's flood puts beside it (flood-process.ts). */
  readonly startFlood: StartFlood;
  /** The processes of the SSE clients open on the API (empty when none are). */
  readonly sseClientPids: readonly number[];
}

/** Reads the page-1 body the baseline has to match, the totals and the ETag. */
export async function readFeedFacts(apiUrl: string): Promise<FeedFacts> {
  const response = await fetch(`${apiUrl}/getData?pageNo=1&limit=100`);
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`/getData page 1 answered ${response.status}: ${body.toString('utf8', 0, 200)}`);
  const page = JSON.parse(body.toString('utf8')) as { totalCount: number; videos: Array<{ channel_id?: unknown }> };
  if (page.videos.length === 0) throw new Error('/getData page 1 is empty: the data set is not seeded');
  const channel = page.videos[0]?.channel_id;
  return {
    pageOneBody: body,
    pageOneBytes: body.length,
    totalCount: page.totalCount,
    pageOneEtag: response.headers.get('etag'),
    channelId: typeof channel === 'string' ? channel : null,
  };
}

/**
 * Follows nextCursor from the newest end until `depth` rows are behind it: the only way to a
 * deep cursor through the public API (the cursor is opaque and checksummed). Every depth in
 * `depths` that a page boundary reaches gets its cursor on the way, so one walk serves all.
 */
export async function walkCursor(
  apiUrl: string,
  depths: readonly number[],
  pageSize: number,
): Promise<{ cursors: Map<number, string>; seconds: number; requests: number }> {
  const started = performance.now();
  const depth = Math.max(...depths);
  if (!(depth > 0)) throw new Error('cursor depth must be positive');
  const cursors = new Map<number, string>();
  let cursor: string | null = null;
  let walked = 0;
  let requests = 0;
  while (walked < depth) {
    const query = new URLSearchParams({ limit: String(pageSize) });
    if (cursor !== null) query.set('cursor', cursor);
    const response = await fetch(`${apiUrl}/videos?${query.toString()}`);
    const text = await response.text();
    requests++;
    if (response.status !== 200) throw new Error(`/videos answered ${response.status} after ${walked} rows: ${text.slice(0, 200)}`);
    const page = JSON.parse(text) as { items: unknown[]; nextCursor: string | null };
    walked += page.items.length;
    if (page.nextCursor === null) throw new Error(`/videos ended after ${walked} rows, before ${depth}`);
    cursor = page.nextCursor;
    if (depths.includes(walked)) cursors.set(walked, cursor);
  }
  const missed = depths.filter((d) => !cursors.has(d));
  if (missed.length > 0) throw new Error(`no page of ${pageSize} ends at ${missed.join(', ')} rows: depths must be whole pages`);
  return { cursors, seconds: (performance.now() - started) / 1000, requests };
}

/** A sorts-group listing's path and query string (besides limit and cursor), `{channel}` filled in. */
export function listingPath(request: Extract<HttpRequestPlan, { kind: 'listing' }>, facts: Pick<FeedFacts, 'channelId'>): string {
  if (request.params.includes('{channel}') && facts.channelId === null) throw new Error('no channel known for {channel}: page 1 names none');
  return `${request.path}?${request.params.replaceAll('{channel}', encodeURIComponent(facts.channelId ?? ''))}`;
}

/** What a deep listing page's cursor is filed under. */
export function listingKey(request: Extract<HttpRequestPlan, { kind: 'listing' }>): string {
  return `${request.path}?${request.params}&limit=${request.limit}&page=${request.page}`;
}

/**
 * Follows nextCursor through `page - 1` pages of a listing (same parameters and limit), as a
 * reader paging through it does, and returns the cursor of page `page`.
 */
export async function walkListing(apiUrl: string, path: string, limit: number, page: number): Promise<{ cursor: string; seconds: number }> {
  const started = performance.now();
  let cursor: string | null = null;
  for (let n = 1; n < page; n++) {
    const url = `${apiUrl}${path}&limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const response = await fetch(url);
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${path} page ${n} answered ${response.status}: ${text.slice(0, 200)}`);
    const body = JSON.parse(text) as { items: unknown[]; nextCursor: string | null };
    if (body.nextCursor === null) throw new Error(`${path} (limit=${limit}) ends at page ${n}, before page ${page}`);
    cursor = body.nextCursor;
  }
  if (cursor === null) throw new Error('walkListing: page must be 2 or more');
  return { cursor, seconds: (performance.now() - started) / 1000 };
}

interface ResolvedRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Human-readable path for the results (the deep cursor abbreviated). */
  readonly display: string;
}

function totalPages(facts: FeedFacts, limit: number): number {
  return Math.max(1, Math.ceil(facts.totalCount / limit));
}

export function resolveRequest(
  request: HttpRequestPlan,
  context: Pick<HttpRunContext, 'apiUrl' | 'baselineUrl' | 'facts' | 'cursors' | 'listingCursors'>,
): ResolvedRequest {
  switch (request.kind) {
    case 'baseline': {
      if (context.baselineUrl === null) throw new Error('the baseline server is not running');
      return { url: `${context.baselineUrl}/baseline`, headers: {}, display: `/baseline (the ${context.facts.pageOneBytes} bytes of page 1, limit=100)` };
    }
    case 'getData': {
      const pageNo =
        'pageNo' in request.page ? request.page.pageNo : Math.max(2, Math.ceil(request.page.shareOfTotal * totalPages(context.facts, request.limit)));
      const path = `/getData?pageNo=${pageNo}&limit=${request.limit}`;
      const headers: Record<string, string> = {};
      if (request.ifNoneMatch) {
        if (context.facts.pageOneEtag === null) throw new Error('page 1 carries no ETag: repeat clients cannot revalidate');
        headers['if-none-match'] = context.facts.pageOneEtag;
      }
      return { url: `${context.apiUrl}${path}`, headers, display: path };
    }
    case 'videos': {
      if (request.depth === 0) return { url: `${context.apiUrl}/videos?limit=${request.limit}`, headers: {}, display: `/videos?limit=${request.limit}` };
      const cursor = context.cursors.get(request.depth);
      if (cursor === undefined) throw new Error(`no cursor ${request.depth} rows deep: walk /videos first`);
      const path = `/videos?limit=${request.limit}&cursor=${encodeURIComponent(cursor)}`;
      return { url: `${context.apiUrl}${path}`, headers: {}, display: `/videos?limit=${request.limit}&cursor=<${request.depth} rows deep>` };
    }
    case 'listing': {
      const path = `${listingPath(request, context.facts)}&limit=${request.limit}`;
      if (request.page === 1) return { url: `${context.apiUrl}${path}`, headers: {}, display: path };
      const cursor = context.listingCursors.get(listingKey(request));
      if (cursor === undefined) throw new Error(`no cursor for page ${request.page} of ${path}: walk the listing first`);
      return { url: `${context.apiUrl}${path}&cursor=${encodeURIComponent(cursor)}`, headers: {}, display: `${path}&cursor=<page ${request.page}>` };
    }
    case 'search': {
      const path = `/videos/search?q=${encodeURIComponent(request.q)}&limit=${request.limit}`;
      return { url: `${context.apiUrl}${path}`, headers: {}, display: path };
    }
    case 'health':
      return { url: `${context.apiUrl}${request.path}`, headers: {}, display: request.path };
  }
}

/** A checked request whose route this build does not have (a 404 where the plan allows one). */
class RouteMissing extends Error {
  override name = 'RouteMissing';
}

/** One request before the load: the expected status, and how many items the page holds. */
async function probe(resolved: ResolvedRequest, expectStatus: number, skipOnNotFound: boolean): Promise<number | null> {
  const response = await fetch(resolved.url, { headers: resolved.headers });
  const text = await response.text();
  if (response.status === 404 && skipOnNotFound) throw new RouteMissing(`${resolved.display} answered 404: this build has no such route`);
  if (response.status !== expectStatus) throw new Error(`${resolved.display} answered ${response.status}, expected ${expectStatus}: ${text.slice(0, 200)}`);
  if (expectStatus !== 200) return null;
  const body = JSON.parse(text) as { videos?: unknown; items?: unknown };
  const list = body.videos ?? body.items;
  return Array.isArray(list) ? list.length : null;
}

/**
 * SQL statements per request, exactly: the same request, sequentially, against the counting
 * API (same build, database and Redis prefix as the measured one), after a short warm-up.
 */
async function sqlPerRequest(resolved: ResolvedRequest, expectStatus: number, context: HttpRunContext): Promise<Record<string, number | null>> {
  const url = new URL(resolved.url);
  const countingUrl = `${context.counting.apiUrl}${url.pathname}${url.search}`;
  const send = async () => {
    const response = await fetch(countingUrl, { headers: resolved.headers });
    const body = await response.text();
    if (response.status !== expectStatus) {
      throw new Error(`the counting API answered ${response.status} to ${resolved.display}, expected ${expectStatus}: ${body.slice(0, 200)}`);
    }
  };
  for (let i = 0; i < 20; i++) await send();
  const amount = context.settings.sqlCountRequests;
  const before = context.counting.proxy.counts();
  for (let i = 0; i < amount; i++) await send();
  const after = context.counting.proxy.counts();
  return {
    sqlPerRequest: round((after.statements - before.statements) / amount, 3),
    sqlSelectsPerRequest: round((after.selects - before.selects) / amount, 3),
    sqlCountQueriesPerRequest: round((after.countQueries - before.countQueries) / amount, 3),
  };
}

/** "cpu srv 58 load 99 db 0 other 3": percent of one core over the window. */
function cpuNote(cpu: Record<string, number | null>): string {
  const part = (label: string, value: number | null | undefined) => (value === null || value === undefined ? null : `${label} ${value}`);
  const parts = [
    part('srv', cpu.serverCpuPct),
    part('load', cpu.loadGeneratorCpuPct),
    part('db', cpu.mysqlCpuPct),
    part('redis', cpu.redisCpuPct),
    part('flood', cpu.floodCpuPct),
    part('sse', cpu.sseClientsCpuPct),
    part('other', cpu.otherCpuPct),
  ];
  return `cpu% ${parts.filter((p) => p !== null).join(' ')}`;
}

function noteFor(plan: HttpScenarioPlan): string {
  switch (plan.request.kind) {
    case 'baseline':
      return 'ceiling';
    case 'getData':
      if (plan.flood !== null) return `beside ${plan.flood.connections} connections on ${plan.flood.path}`;
      if (plan.sseClients !== null) return `beside ${plan.sseClients.toLocaleString('en-US')} open /videos/stream clients`;
      return plan.request.ifNoneMatch ? '304 = success' : '';
    case 'videos':
      return plan.request.depth === 0 ? '' : `${plan.request.depth.toLocaleString('en-US')} rows deep`;
    case 'search':
      return `"${plan.request.q}": ${plan.request.wordKind}`;
    case 'listing':
      return plan.request.page === 1 ? 'page 1' : `page ${plan.request.page} by cursor`;
    case 'health':
      return '';
  }
}

/** The row of a scenario whose route this build lacks: no figures, and why. */
function skippedResult(plan: HttpScenarioPlan, reason: string): ScenarioResult {
  return resultWithoutFigures(plan, `skipped: ${reason}`, { skipped: true });
}

interface MeasuredWindow {
  readonly load: LoadResult;
  readonly cpuBefore: CpuSample;
  readonly cpuAfter: CpuSample;
  readonly cpu: Record<string, number | null>;
  readonly rss: RssReadings;
  readonly serverPid: number;
}

/** Warm-up, then the measured window with the CPU metered and the server's memory sampled. */
async function measureWindow(
  plan: HttpScenarioPlan,
  spec: Omit<LoadSpec, 'durationS' | 'amount'>,
  context: HttpRunContext,
  floodPid: number | null,
): Promise<MeasuredWindow> {
  await warmUp(spec, context.settings.warmupS);
  // Where the CPU went over the window: on two shared cores it tells which side limited the
  // rate, and how much other work (other engineers' tests) ran meanwhile.
  const serverPid = plan.request.kind === 'baseline' ? context.baselinePid! : context.apiPid;
  const pids: Record<string, number | readonly number[] | null> = {
    serverCpuPct: serverPid,
    loadGeneratorCpuPct: process.pid,
    mysqlCpuPct: context.mysqlPid,
    redisCpuPct: context.redisPid,
    ...(floodPid === null ? {} : { floodCpuPct: floodPid }),
    ...(plan.sseClients === null ? {} : { sseClientsCpuPct: context.sseClientPids }),
  };
  const watched = Object.values(pids).flatMap((pid) => (pid === null ? [] : typeof pid === 'number' ? [pid] : pid));
  const memory = startRssSampler(serverPid, context.settings.rssSampleMs);
  const cpuBefore = await sampleCpu(watched);
  const load = await runLoad({ ...spec, durationS: context.settings.durationS });
  const cpuAfter = await sampleCpu(watched);
  return { load, cpuBefore, cpuAfter, cpu: cpuSplit(cpuBefore, cpuAfter, pids), rss: await memory.stop(), serverPid };
}

export async function runHttpScenario(plan: HttpScenarioPlan, context: HttpRunContext): Promise<ScenarioResult> {
  const resolved = resolveRequest(plan.request, context);
  let pageItems: number | null;
  try {
    pageItems = await probe(resolved, plan.expectStatus, plan.skipOnNotFound);
  } catch (error) {
    if (error instanceof RouteMissing) return skippedResult(plan, error.message);
    throw error;
  }
  const spec = { url: resolved.url, headers: resolved.headers, connections: plan.connections, expectStatus: plan.expectStatus };
  if (plan.sseClients !== null && context.sseClientPids.length === 0) throw new Error(`${plan.name}: the SSE clients are not open`);
  // Capped well past the scenario's own length; stopped as soon as the measured window ends.
  const flood =
    plan.flood === null
      ? null
      : await context.startFlood({
          url: `${context.apiUrl}${plan.flood.path}`,
          connections: plan.flood.connections,
          maxSeconds: context.settings.warmupS + context.settings.durationS + 60,
        });
  let window: MeasuredWindow;
  try {
    window = await measureWindow(plan, spec, context, flood?.pid ?? null);
  } catch (error) {
    // The scenario's own failure is the one to report; the flood only has to end.
    await flood?.stop().catch(() => undefined);
    throw error;
  }
  const floodLoad = (await flood?.stop()) ?? null;
  const { load, cpuBefore, cpuAfter, rss, cpu, serverPid } = window;
  // CPU time per answered request, whichever side limited the rate: what one request cost the
  // server, MariaDB and Redis. MariaDB and Redis are shared with other test suites on this
  // machine, so their figures carry that noise too (the baseline's row, which uses neither,
  // shows its size).
  const usPerRequest = (pid: number | null) => {
    const seconds = cpuSecondsBetween(cpuBefore, cpuAfter, pid);
    return seconds === null || load.requests === 0 ? null : round((seconds / load.requests) * 1e6, 1);
  };

  const extra: Record<string, number | string | null> = {
    path: resolved.display,
    connections: plan.connections,
    requests: load.requests,
    durationS: load.durationS,
    ...cpu,
    serverCpuUsPerRequest: usPerRequest(serverPid),
    mysqlCpuUsPerRequest: usPerRequest(context.mysqlPid),
    redisCpuUsPerRequest: usPerRequest(context.redisPid),
    // The server under test (the baseline's own process in the baseline row).
    rssMaxMb: round(rss.maxMb, 1),
    rssSamples: rss.samples,
    statusCounts: Object.entries(load.statusCounts)
      .map(([status, n]) => `${status}:${n}`)
      .join(' '),
  };
  if (pageItems !== null) extra.pageItems = pageItems;
  if (plan.flood !== null && floodLoad !== null) {
    // The flood's figures over its whole run (warm-up included): how hard the other route was hammered.
    Object.assign(extra, {
      floodPath: plan.flood.path,
      floodConnections: plan.flood.connections,
      floodRequests: floodLoad.requests,
      floodReqPerSec: round(floodLoad.reqPerSec, 0),
      floodP99Ms: round(floodLoad.p99Ms, 2),
      floodErrors: floodLoad.errors,
      floodStatusCounts: Object.entries(floodLoad.statusCounts)
        .map(([status, n]) => `${status}:${n}`)
        .join(' '),
    });
  }
  if (plan.countSql) Object.assign(extra, await sqlPerRequest(resolved, plan.expectStatus, context));
  if (plan.expectStatus === 304) {
    // Every other answer and every connection error counts against the share.
    const notModified = load.statusCounts['304'] ?? 0;
    extra.share304 = notModified + load.errors === 0 ? null : round(notModified / (notModified + load.errors), 4);
  }
  return {
    name: plan.name,
    group: plan.group,
    reqPerSec: round(load.reqPerSec, 0),
    p50Ms: round(load.p50Ms, 2),
    p99Ms: round(load.p99Ms, 2),
    errors: load.errors,
    connections: plan.connections,
    note: [noteFor(plan), cpuNote(cpu)].filter((part) => part !== '').join('; '),
    extra,
  };
}
