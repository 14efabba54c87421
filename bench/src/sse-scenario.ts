// The sse-clients group (issue 16): thousands of open /videos/stream clients on the API process
// the other scenarios measure, what holding them costs that process in memory, and how long a
// stored video takes to reach every one of them.
//
// Videos are stored the way the worker stores them: createVideoRepository(...).upsertBatch into
// the data set the API serves, which writes the outbox rows (feed_events) in the same
// transaction, and a feed relay (createFeedRelay, as every worker runs one) kicked after each
// store moves them to the feed's Redis Stream log, whose change notice the API fans out. The
// relay runs in the harness's process, standing in for the worker's; the rows stored are
// deleted afterwards and the feed counts rebuilt, so the data set is reused by the next run.
import { randomBytes } from 'node:crypto';
import {
  createDb,
  createFeedEventRepository,
  createFeedLog,
  createFeedRelay,
  createLogger,
  createVideoRepository,
  feedLogSink,
  systemClock,
  type Config,
  type VideoInput,
} from '@tubefeed/core';
import { residentMemory } from '@tubefeed/core/testing/faults';
import { cpuSecondsBetween, cpuSplit, sampleCpu } from './cpu-meter.js';
import type { Redis } from 'ioredis';
import type { Cleanup } from './cleanup.js';
import { dataSetMarks, restoreDataSet, seededState, type DataSet, type MysqlHandle } from './database.js';
import { round } from './latency-stats.js';
import type { BenchSettings, SseDeliveryScenarioPlan } from './plan.js';
import type { ScenarioResult } from './scenario-result.js';
import type { SystemEnv } from './servers.js';
import { openSseAudience, type SseAudience } from './sse-clients.js';
import { deliveryFigures, type StoredVideo } from './sse-delivery.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Wall-clock time with sub-millisecond precision, comparable with the client processes'. */
const wallClockMs = () => performance.timeOrigin + performance.now();

/** The open streams, and the API's memory before and with them. */
export interface OpenSseClients {
  readonly audience: SseAudience;
  /** The ids of the videos the delivery scenario stores (the clients wait for these). */
  readonly videoIds: readonly string[];
  readonly clients: number;
  readonly rssBeforeMb: number;
  readonly rssWithMb: number;
}

/** Median VmRSS of five readings 200 ms apart: one reading can catch a collection half done. */
async function steadyRssMb(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    if (i > 0) await sleep(200);
    readings.push((await residentMemory(pid)).rssMb);
  }
  return readings.sort((a, b) => a - b)[2]!;
}

/** YouTube-shaped ids (11 characters of base64url), new for every run. */
function newVideoIds(count: number): string[] {
  return Array.from({ length: count }, () => randomBytes(8).toString('base64url'));
}

export interface OpenContext {
  readonly system: SystemEnv;
  readonly apiUrl: string;
  readonly apiPid: number;
  readonly scratchDir: string;
  readonly log: (line: string) => void;
}

/** Opens the streams (all videos: the feed every stored video enters) and reads the API's memory around it. */
export async function openSseClients(settings: BenchSettings, context: OpenContext): Promise<OpenSseClients> {
  const { sse } = settings;
  const videoIds = newVideoIds(sse.videos);
  const rssBeforeMb = await steadyRssMb(context.apiPid);
  context.log(`opening ${sse.clients.toLocaleString('en-US')} SSE clients on /videos/stream from ${sse.processes} processes (API VmRSS ${rssBeforeMb.toFixed(1)} MB)`);
  const audience = await openSseAudience(context.system, {
    url: `${context.apiUrl}/videos/stream`,
    clients: sse.clients,
    processes: sse.processes,
    openConcurrency: sse.openConcurrency,
    videoIds,
    readyTimeoutMs: sse.readyTimeoutS * 1000,
    scratchDir: context.scratchDir,
  });
  await sleep(sse.settleMs);
  const rssWithMb = await steadyRssMb(context.apiPid);
  context.log(`all ${sse.clients.toLocaleString('en-US')} SSE clients ready in ${audience.readyS.toFixed(1)} s (API VmRSS ${rssWithMb.toFixed(1)} MB)`);
  return { audience, videoIds, clients: sse.clients, rssBeforeMb, rssWithMb };
}

export interface DeliveryContext {
  readonly open: OpenSseClients;
  /** For the CPU split over the deliveries (null when unknown). */
  readonly apiPid: number;
  readonly mysqlPid: number | null;
  readonly redisPid: number | null;
  readonly dataSet: DataSet;
  readonly server: MysqlHandle;
  readonly redis: Redis;
  /** The API's Redis prefix: the relay appends to its feed logs. */
  readonly prefix: string;
  readonly push: Config['push'];
  readonly cleanup: Cleanup;
  readonly log: (line: string) => void;
}

function benchVideo(videoId: string, n: number): VideoInput {
  return {
    videoId,
    title: `Push benchmark video ${n}: what a new upload looks like on the stream`,
    description: `Stored by the benchmark's sse-clients group to time store -> delivery. ${'A sentence of description, as uploads carry. '.repeat(8)}`,
    channelId: 'UCpushBenchmarkChannel00',
    channelTitle: 'Push benchmark',
    publishedAt: new Date(),
    thumbnails: {
      default: `https://i.ytimg.com/vi/${videoId}/default.jpg`,
      medium: `https://i.ytimg.com/vi/${videoId}/mqdefault.jpg`,
      high: `https://i.ytimg.com/vi/${videoId}/hqdefault.jpg`,
    },
    liveBroadcastContent: 'none',
  };
}

/** Stores the videos one at a time, relaying after each, and waits for the clients to have them all. */
interface StoreRun {
  readonly stored: StoredVideo[];
  readonly allDelivered: boolean;
  readonly storeP50Ms: number | null;
  /** Percent of one core per process from the first store until every client had every video. */
  readonly cpu: Record<string, number | null>;
  /** The API's CPU time over that window, seconds. */
  readonly apiCpuS: number | null;
}

async function storeAndWait(settings: BenchSettings, context: DeliveryContext): Promise<StoreRun> {
  const { sse } = settings;
  const db = createDb({ url: context.dataSet.url, poolSize: 2 });
  // Warnings only, to stderr with the rest of the progress.
  const logger = createLogger({ level: 'warn', format: 'json' }, 'bench-feed-relay', { write: (line: string) => void process.stderr.write(line) });
  const relay = createFeedRelay({
    events: createFeedEventRepository({ db: db.kysely }),
    sinks: [feedLogSink(createFeedLog({ redis: context.redis, prefix: context.prefix, maxLength: context.push.logMaxLength, maxAgeMs: context.push.logMaxAgeMs }))],
    clock: systemClock,
    log: logger,
    intervalMs: context.push.relayIntervalMs,
    retentionMs: context.push.logMaxAgeMs,
  });
  try {
    relay.start();
    // Whatever an earlier run left in the outbox goes first, outside the timing.
    await relay.drain();
    const videos = createVideoRepository({ db: db.kysely, clock: systemClock });
    const stored: StoredVideo[] = [];
    const storeMs: number[] = [];
    const relays: Array<Promise<void>> = [];
    // Where the CPU went while the videos were stored, relayed and fanned out: the harness is
    // the storing and relaying side (the worker's part).
    const pids: Record<string, number | readonly number[] | null> = {
      serverCpuPct: context.apiPid,
      sseClientsCpuPct: context.open.audience.pids,
      harnessCpuPct: process.pid,
      mysqlCpuPct: context.mysqlPid,
      redisCpuPct: context.redisPid,
    };
    const watched = Object.values(pids).flatMap((pid) => (pid === null ? [] : typeof pid === 'number' ? [pid] : pid));
    const cpuBefore = await sampleCpu(watched);
    const started = performance.now();
    for (const [n, videoId] of context.open.videoIds.entries()) {
      const due = started + n * sse.storeIntervalMs;
      if (due > performance.now()) await sleep(due - performance.now());
      const before = performance.now();
      const result = await videos.upsertBatch([benchVideo(videoId, n + 1)]);
      const committedAtMs = wallClockMs();
      storeMs.push(performance.now() - before);
      if (result.inserted !== 1) throw new Error(`storing video ${videoId} inserted ${result.inserted} rows, expected 1`);
      const video: { videoId: string; committedAtMs: number; relayedAtMs: number | null } = { videoId, committedAtMs, relayedAtMs: null };
      stored.push(video);
      // The worker kicks its relay after a store; drain() is that kick, with its end to time.
      relays.push(
        relay.drain().then(() => {
          video.relayedAtMs = wallClockMs();
        }),
      );
    }
    await Promise.all(relays);
    const allDelivered = await context.open.audience.waitDelivered(sse.deliveryTimeoutS * 1000);
    const cpuAfter = await sampleCpu(watched);
    storeMs.sort((a, b) => a - b);
    return {
      stored,
      allDelivered,
      storeP50Ms: storeMs[Math.floor(storeMs.length / 2)] ?? null,
      cpu: cpuSplit(cpuBefore, cpuAfter, pids),
      apiCpuS: cpuSecondsBetween(cpuBefore, cpuAfter, context.apiPid),
    };
  } finally {
    await relay.stop();
    await db.close();
  }
}

export async function runSseDelivery(plan: SseDeliveryScenarioPlan, settings: BenchSettings, context: DeliveryContext): Promise<ScenarioResult> {
  const { sse } = settings;
  const { open, dataSet, log } = context;
  const marks = await dataSetMarks(context.server, dataSet.database);
  let restored = false;
  const restore = async () => {
    if (restored) return;
    restored = true;
    await restoreDataSet(dataSet.url, marks);
  };
  context.cleanup.defer('restore of the seeded data set (sse delivery)', restore);
  log(`storing ${sse.videos} videos ${sse.storeIntervalMs} ms apart into ${dataSet.database}, relayed to ${open.clients.toLocaleString('en-US')} SSE clients`);
  let run: StoreRun;
  try {
    run = await storeAndWait(settings, context);
  } finally {
    await restore();
  }
  const state = await seededState(context.server, dataSet.database);
  if (state?.total !== dataSet.rows || state.searchRows !== dataSet.rows) {
    throw new Error(`${dataSet.database} holds ${JSON.stringify(state)} after the restore, not ${dataSet.rows} videos`);
  }
  const reports = await open.audience.close();
  const figures = deliveryFigures(open.videoIds, run.stored, reports);
  const problems = [...figures.problems];
  if (!run.allDelivered && problems.length === 0) problems.push(`not every client had every video ${sse.deliveryTimeoutS} s after the last store`);
  const perThousand = ((open.rssWithMb - open.rssBeforeMb) / open.clients) * 1000;
  const failed = problems.length > 0;
  const summary = `${open.clients.toLocaleString('en-US')} clients x ${figures.videos} videos (${figures.deliveredOnce.toLocaleString('en-US')} delivered once); API RSS +${perThousand.toFixed(1)} MB per 1,000 clients`;
  return {
    name: plan.name,
    group: plan.group,
    reqPerSec: null,
    p50Ms: round(figures.p50Ms, 2),
    p99Ms: round(figures.p99Ms, 2),
    errors: figures.missing + figures.repeated,
    connections: open.clients,
    note: failed ? `FAILED: ${problems.join('; ')}` : `store -> delivery; ${summary}`,
    extra: {
      ...(failed ? { failed: true, error: problems.join('; ') } : {}),
      clients: open.clients,
      clientProcesses: sse.processes,
      clientsReadyS: round(open.audience.readyS, 2),
      videos: figures.videos,
      storeIntervalMs: sse.storeIntervalMs,
      pairs: figures.pairs,
      deliveredOnce: figures.deliveredOnce,
      missing: figures.missing,
      repeated: figures.repeated,
      pairsNotOnce: figures.pairs - figures.deliveredOnce,
      unexpectedVideos: figures.unexpectedVideos,
      deliveryMaxMs: round(figures.maxMs, 2),
      deliveryMinMs: round(figures.minMs, 2),
      firstArrivalP50Ms: round(figures.firstArrivalP50Ms, 2),
      lastArrivalP50Ms: round(figures.lastArrivalP50Ms, 2),
      relayP50Ms: round(figures.relayP50Ms, 2),
      relayP99Ms: round(figures.relayP99Ms, 2),
      storeP50Ms: round(run.storeP50Ms, 2),
      // What fanning out cost the API: its CPU over the deliveries per (client, video) pair.
      serverCpuUsPerDelivery: run.apiCpuS === null || figures.deliveredOnce === 0 ? null : round((run.apiCpuS / figures.deliveredOnce) * 1e6, 2),
      ...Object.fromEntries(Object.entries(run.cpu).map(([name, pct]) => [`delivery${name[0]!.toUpperCase()}${name.slice(1)}`, pct])),
      rssBeforeClientsMb: round(open.rssBeforeMb, 1),
      rssWithClientsMb: round(open.rssWithMb, 1),
      rssPer1000ClientsMb: round(perThousand, 2),
    },
  };
}
