// The soak of issue 7: the benchmark's page-1 load kept up for a minute or more while the
// worker fetches every second into the same database, the way production runs. The worker
// fetches into the seeded data set (the API serves its page 1 and the worker's snapshots land
// in the same Redis prefix); afterwards the data set is taken back to exactly its seeded rows,
// so the benchmark keeps reusing it.
//
// One autocannon run covers warm-up, the measured windows and one extra second, so the load
// never pauses and the end figures are read under load. At the end of the warm-up and of every
// window the harness reads: the API's and the worker's VmRSS (/proc), the API's V8 heap in use
// (its own /metrics, on a private listener, as Prometheus would scrape it), the worker's fetch
// runs (the counters it keeps in Redis), the stored total, and the CPU split. Both VmRSS are
// also read every second, for the lowest and highest of each window and each half of the soak
// (latency-windows.ts says why "flat" is judged by both). Page 1 is polled every freshnessPollMs to time
// publish -> visible under load (freshness-tracker.ts).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { createSharedCounters } from '@tubefeed/core';
import type { Cleanup } from './cleanup.js';
import { cpuSplit, sampleCpu, type CpuSample } from './cpu-meter.js';
import { dataSetMarks, restoreDataSet, seededState, type DataSet, type MysqlHandle } from './database.js';
import { createFreshnessTracker } from './freshness-tracker.js';
import { percentile, round } from './latency-stats.js';
import { GaugeWindows, LatencyWindows, p99Stability, type GaugeRange, type WindowSummary } from './latency-windows.js';
import { LIVE_QUERY, startLiveSystem } from './live-system.js';
import { runLoad } from './load-runner.js';
import { freePort, residentMemory } from '@tubefeed/core/testing/faults';
import type { ExtraValue, ScenarioResult } from './scenario-result.js';
import type { SystemEnv } from './servers.js';
import type { SoakSettings } from './soak-plan.js';

export interface SoakContext {
  readonly system: SystemEnv;
  readonly dataSet: DataSet;
  /** The harness's own MySQL connection (information_schema). */
  readonly server: MysqlHandle;
  readonly mysqlBaseUrl: string;
  readonly redisUrl: string;
  readonly redis: Redis;
  readonly basePrefix: string;
  readonly mysqlPid: number | null;
  readonly redisPid: number | null;
  readonly cleanup: Cleanup;
  readonly log: (line: string) => void;
}

/** One window's figures: latencies from the load, the rest read at the window's end. */
export interface SoakWindow extends WindowSummary {
  /** At the window's end. */
  readonly apiRssMb: number | null;
  readonly apiHeapUsedMb: number | null;
  readonly workerRssMb: number | null;
  /** Lowest and highest of the readings every second within the window. */
  readonly apiRssRange: GaugeRange;
  readonly workerRssRange: GaugeRange;
  readonly fetchRuns: number;
  readonly videosStored: number;
  /** Percent of one core over the window: API, worker, load generator (harness and simulator), MariaDB, Redis, the rest. */
  readonly cpu: Readonly<Record<string, number | null>>;
}

export interface SoakRun {
  readonly result: ScenarioResult;
  readonly windows: readonly SoakWindow[];
  readonly restoreS: number;
}

interface Sample {
  readonly atMs: number;
  readonly apiRssMb: number;
  readonly apiPeakRssMb: number;
  readonly apiHeapUsedMb: number | null;
  readonly workerRssMb: number;
  readonly counters: Readonly<Record<string, number>>;
  readonly stored: number;
  readonly published: number;
  readonly cpu: CpuSample;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const fetchRunsOf = (counters: Readonly<Record<string, number>>) =>
  Object.entries(counters)
    .filter(([field]) => field.startsWith('fetch_runs:'))
    .reduce((sum, [, n]) => sum + n, 0);

/** The API's V8 heap in use, from its /metrics; null when it cannot be read. */
async function heapUsedMb(metricsUrl: string): Promise<number | null> {
  try {
    const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(2000) })).text();
    const match = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
    return match === null ? null : Number(match[1]) / 1024 ** 2;
  } catch {
    return null;
  }
}

export async function runSoak(settings: SoakSettings, context: SoakContext): Promise<SoakRun> {
  const { dataSet, log } = context;
  const marks = await dataSetMarks(context.server, dataSet.database);
  let restored = false;
  const restore = async () => {
    if (restored) return;
    restored = true;
    await restoreDataSet(dataSet.url, marks);
  };
  // Registered before the system, so on an interrupt the worker is stopped before the restore.
  context.cleanup.defer('restore of the seeded data set', restore);

  const metricsPort = await freePort();
  const live = await startLiveSystem({
    system: context.system,
    label: 'soak',
    mysqlBaseUrl: context.mysqlBaseUrl,
    redisUrl: context.redisUrl,
    redis: context.redis,
    basePrefix: context.basePrefix,
    publishIntervalMs: settings.publishIntervalMs,
    fetchIntervalMs: settings.fetchIntervalMs,
    withApi: true,
    apiEnv: { RATE_LIMIT_MAX: String(settings.rateLimitMax), METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1' },
    database: { name: dataSet.database, url: dataSet.url },
    cleanup: context.cleanup,
    log,
  });
  let run: Omit<SoakRun, 'restoreS'>;
  try {
    run = await measure(settings, context, live, `http://127.0.0.1:${metricsPort}/metrics`);
  } finally {
    await live.stop();
  }
  const started = performance.now();
  await restore();
  const restoreS = round((performance.now() - started) / 1000, 1) ?? 0;
  const state = await seededState(context.server, dataSet.database);
  if (state?.total !== dataSet.rows || state.searchRows !== dataSet.rows) {
    throw new Error(`${dataSet.database} holds ${JSON.stringify(state)} after the restore, not ${dataSet.rows} videos`);
  }
  log(`${dataSet.database} restored to its ${dataSet.rows.toLocaleString('en-US')} seeded videos in ${restoreS} s`);
  return { ...run, restoreS };
}

async function measure(
  settings: SoakSettings,
  context: SoakContext,
  live: Awaited<ReturnType<typeof startLiveSystem>>,
  metricsUrl: string,
): Promise<Omit<SoakRun, 'restoreS'>> {
  const { log } = context;
  const api = live.api!;
  const url = `${api.url}${settings.path}`;
  const probe = await fetch(url);
  const probeBody = await probe.text();
  if (probe.status !== 200) throw new Error(`${settings.path} answered ${probe.status}: ${probeBody.slice(0, 200)}`);

  const counters = createSharedCounters({ redis: context.redis, prefix: live.prefix });
  const pids = {
    apiCpuPct: api.child.pid,
    workerCpuPct: live.worker.pid,
    loadGeneratorCpuPct: process.pid,
    mysqlCpuPct: context.mysqlPid,
    redisCpuPct: context.redisPid,
  };
  const watched = Object.values(pids).filter((pid): pid is number => pid !== null);
  const checkAlive = () => {
    for (const child of [api.child, live.worker]) {
      if (child.hasExited()) throw new Error(`${child.label} exited during the soak:\n${child.recentOutput().join('\n')}`);
    }
  };
  const sample = async (): Promise<Sample> => {
    checkAlive();
    // When the reads were asked for: under load the /metrics answer can take a while.
    const atMs = performance.now();
    const [apiMemory, workerMemory, heap, counted, stored, cpu] = await Promise.all([
      residentMemory(api.child.pid),
      residentMemory(live.worker.pid),
      heapUsedMb(metricsUrl),
      counters.read(),
      live.storedTotal(),
      sampleCpu(watched),
    ]);
    return {
      atMs,
      apiRssMb: apiMemory.rssMb,
      apiPeakRssMb: apiMemory.peakRssMb,
      apiHeapUsedMb: heap,
      workerRssMb: workerMemory.rssMb,
      counters: counted,
      stored,
      published: live.published(),
      cpu,
    };
  };

  const windowMs = settings.windowS * 1000;
  const windowCount = settings.seconds / settings.windowS;
  const windows = new LatencyWindows(windowMs, windowCount);
  log(
    `soak: ${settings.connections} connections on ${settings.path} for ${settings.warmupS} s warm-up + ${settings.seconds} s ` +
      `(${windowCount} windows of ${settings.windowS} s); worker fetching every ${settings.fetchIntervalMs} ms, ` +
      `simulator publishing every ${settings.publishIntervalMs} ms`,
  );
  const originMs = performance.now() + settings.warmupS * 1000;
  const endMs = originMs + settings.seconds * 1000;
  let loadEndedMs = Number.POSITIVE_INFINITY;
  const load = runLoad({
    url,
    connections: settings.connections,
    // One second past the last window, so the end sample is read under load.
    durationS: settings.warmupS + settings.seconds + 1,
    expectStatus: 200,
    onComplete: (latencyMs) => windows.record(performance.now() - originMs, latencyMs),
  });
  // The load's promise is awaited below; this keeps a failure before then from going unhandled.
  load.then(
    () => (loadEndedMs = performance.now()),
    () => undefined,
  );

  // Resident memory every second, for each window's floor.
  const apiRss = new GaugeWindows(windowMs, windowCount);
  const workerRss = new GaugeWindows(windowMs, windowCount);
  const memoryReadings = (async () => {
    for (let next = originMs; next < endMs; next += 1000) {
      await sleep(Math.max(0, next - performance.now()));
      checkAlive();
      const [apiMemory, workerMemory] = await Promise.all([residentMemory(api.child.pid), residentMemory(live.worker.pid)]);
      const offsetMs = performance.now() - originMs;
      apiRss.record(offsetMs, apiMemory.rssMb);
      workerRss.record(offsetMs, workerMemory.rssMb);
    }
  })();

  // Page-1 freshness under load, and how late this process's timers ran (it also drives the load).
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const tracking = (async () => {
    await sleep(Math.max(0, originMs - performance.now()));
    loopDelay.enable();
    const tracker = createFreshnessTracker({ sim: live.sim, query: LIVE_QUERY, pageOneUrl: `${api.url}/getData?pageNo=1&limit=100`, publishIntervalMs: settings.publishIntervalMs });
    const lastNewVideoMs = endMs - settings.freshnessTailS * 1000;
    while (performance.now() < endMs) {
      const tick = performance.now();
      if (tick < lastNewVideoMs) tracker.sampleGroundTruth();
      await tracker.pollPageOne();
      await sleep(Math.max(0, settings.freshnessPollMs - (performance.now() - tick)));
    }
    loopDelay.disable();
    return tracker;
  })();
  // Awaited below; until then a failure must not go unhandled.
  for (const running of [memoryReadings, tracking]) running.catch(() => undefined);

  const samples: Sample[] = [];
  for (let i = 0; i <= windowCount; i++) {
    await sleep(Math.max(0, originMs + i * windowMs - performance.now()));
    samples.push(await sample());
    if (i === 0) log(`soak: warm-up done; API RSS ${samples[0]!.apiRssMb.toFixed(1)} MB, worker RSS ${samples[0]!.workerRssMb.toFixed(1)} MB`);
    else {
      // No percentiles here: sorting a window's latencies would stall the load generator.
      const window = windows.counts(i - 1);
      log(
        `soak: window ${i}/${windowCount}: ${Math.round(window.requests / settings.windowS)} req/s, ${window.errors} errors, ` +
          `API RSS ${samples[i]!.apiRssMb.toFixed(1)} MB, worker RSS ${samples[i]!.workerRssMb.toFixed(1)} MB`,
      );
    }
  }
  const loadResult = await load;
  const tracker = await tracking;
  await memoryReadings;
  checkAlive();

  const summaries = windows.summaries();
  const rounded = (range: GaugeRange): GaugeRange => ({ min: round(range.min, 1), max: round(range.max, 1), samples: range.samples });
  const apiRanges = apiRss.windows().map(rounded);
  const workerRanges = workerRss.windows().map(rounded);
  const apiHalves = apiRss.halves();
  const workerHalves = workerRss.halves();
  const soakWindows: SoakWindow[] = summaries.map((summary, i) => {
    const start = samples[i]!;
    const end = samples[i + 1]!;
    return {
      ...summary,
      apiRssMb: round(end.apiRssMb, 1),
      apiHeapUsedMb: round(end.apiHeapUsedMb, 1),
      workerRssMb: round(end.workerRssMb, 1),
      apiRssRange: apiRanges[i]!,
      workerRssRange: workerRanges[i]!,
      fetchRuns: fetchRunsOf(end.counters) - fetchRunsOf(start.counters),
      videosStored: end.stored - start.stored,
      cpu: cpuSplit(start.cpu, end.cpu, pids),
    };
  });

  const first = samples[0]!;
  const last = samples.at(-1)!;
  // How long the measured windows really had load (less than planned only if the load stopped early).
  const soakS = (Math.min(loadEndedMs, endMs) - originMs) / 1000;
  const sampledS = (last.atMs - first.atMs) / 1000;
  const totals = windows.totals();
  const { warmUp, afterEnd } = windows.outside();
  const stability = p99Stability(summaries);
  const cpu = cpuSplit(first.cpu, last.cpu, pids);
  const fetchRuns = fetchRunsOf(last.counters) - fetchRunsOf(first.counters);
  const outcomes = Object.keys(last.counters)
    .filter((field) => field.startsWith('fetch_runs:'))
    .map((field) => `${field.slice('fetch_runs:'.length)}:${(last.counters[field] ?? 0) - (first.counters[field] ?? 0)}`)
    .filter((entry) => !entry.endsWith(':0'))
    .join(' ');
  const freshness = tracker.latencies();
  const notVisible = tracker.seen() - freshness.length;
  const errors = totals.errors + warmUp.errors + afterEnd.errors + tracker.apiErrors();
  const extra: Record<string, ExtraValue> = {
    path: settings.path,
    connections: settings.connections,
    soakS: round(soakS, 1),
    warmupS: settings.warmupS,
    windowS: settings.windowS,
    requests: totals.requests,
    loadErrors: totals.errors,
    warmUpRequests: warmUp.requests,
    warmUpErrors: warmUp.errors,
    afterEndRequests: afterEnd.requests,
    afterEndErrors: afterEnd.errors,
    pageOnePollErrors: tracker.apiErrors(),
    statusCounts: Object.entries(loadResult.statusCounts)
      .map(([status, n]) => `${status}:${n}`)
      .join(' '),
    firstWindowP99Ms: stability.firstP99Ms,
    lastWindowP99Ms: stability.lastP99Ms,
    p99LastOverFirst: stability.lastOverFirst,
    minWindowP99Ms: stability.minP99Ms,
    maxWindowP99Ms: stability.maxP99Ms,
    apiRssStartMb: round(first.apiRssMb, 1),
    apiRssEndMb: round(last.apiRssMb, 1),
    apiRssLowFirstHalfMb: round(apiHalves.low.firstHalf, 1),
    apiRssLowSecondHalfMb: round(apiHalves.low.secondHalf, 1),
    apiRssHighFirstHalfMb: round(apiHalves.high.firstHalf, 1),
    apiRssHighSecondHalfMb: round(apiHalves.high.secondHalf, 1),
    apiRssGrowthMb: round(apiHalves.growth, 1),
    apiPeakRssMb: round(last.apiPeakRssMb, 1),
    apiHeapUsedStartMb: round(first.apiHeapUsedMb, 1),
    apiHeapUsedEndMb: round(last.apiHeapUsedMb, 1),
    workerRssStartMb: round(first.workerRssMb, 1),
    workerRssEndMb: round(last.workerRssMb, 1),
    workerRssLowFirstHalfMb: round(workerHalves.low.firstHalf, 1),
    workerRssLowSecondHalfMb: round(workerHalves.low.secondHalf, 1),
    workerRssHighFirstHalfMb: round(workerHalves.high.firstHalf, 1),
    workerRssHighSecondHalfMb: round(workerHalves.high.secondHalf, 1),
    workerRssGrowthMb: round(workerHalves.growth, 1),
    fetchRuns,
    fetchRunsPerS: round(fetchRuns / sampledS, 2),
    fetchOutcomes: outcomes,
    videosStored: last.stored - first.stored,
    videosPublished: last.published - first.published,
    freshnessVideos: freshness.length,
    freshnessP50Ms: round(percentile(freshness, 50), 0),
    freshnessP99Ms: round(percentile(freshness, 99), 0),
    freshnessMaxMs: freshness.length === 0 ? null : round(Math.max(...freshness), 0),
    freshnessNotVisibleByEnd: notVisible,
    harnessLoopDelayP99Ms: round(loopDelay.percentile(99) / 1e6, 1),
    ...cpu,
  };
  const cpuNote = `cpu% api ${String(cpu.apiCpuPct)} worker ${String(cpu.workerCpuPct)} load ${String(cpu.loadGeneratorCpuPct)} db ${String(cpu.mysqlCpuPct)} other ${String(cpu.otherCpuPct)}`;
  return {
    result: {
      name: 'soak',
      group: 'soak',
      reqPerSec: round(totals.requests / soakS, 0),
      p50Ms: totals.p50Ms,
      p99Ms: totals.p99Ms,
      errors,
      connections: settings.connections,
      note: `${round(soakS, 0)} s with the worker fetching every ${settings.fetchIntervalMs / 1000} s; ${cpuNote}`,
      extra,
    },
    windows: soakWindows,
  };
}
