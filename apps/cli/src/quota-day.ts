// Days of fetching on a fake clock: the real fetch service, key pool and planner against the
// YouTube simulator (its default long-tailed index lag, short pages and window leaks included),
// with a virtual schedule that behaves like BullMQ's Job Schedulers (the next run of an `every`
// schedule is its previous slot plus `every`; a changed schedule starts at the given start
// date). Days take seconds instead of hours, so pacing and completeness can be checked end to
// end: searches spent, how calls spread over the hours, the longest gap, freshness, and recall
// (videos stored / videos search made visible). Used by tests and by `npm run simulate-day`.
//
// `design: 'overlap'` runs the fetcher as it was before sweeps (one look after FETCH_OVERLAP_MS,
// only while the quota has slack), so both designs can be measured on the same world.
import {
  ManualClock,
  createDb,
  createFetchPlanner,
  createFetchStack,
  createLogger,
  ensureDatabase,
  migrateToLatest,
  nextPacificMidnight,
  staticKeySource,
  type FetchSchedule,
  type ProjectQuota,
  type RedisClient,
} from '@tubefeed/core';
import { createYoutubeSimulator, type IndexLagTier } from '@tubefeed/youtube-sim';
import { sql } from 'kysely';

export type FetchDesign = 'sweeps' | 'overlap';

export interface QuotaDayOptions {
  readonly mysqlUrl: string;
  readonly redis: RedisClient;
  readonly redisPrefix: string;
  readonly keys: number;
  readonly queries: readonly string[];
  readonly pacing: boolean;
  readonly minIntervalMs: number;
  /** Each project's daily quota (default: YouTube's, 100 searches and 10,000 units). */
  readonly quota?: ProjectQuota;
  /** A Pacific midnight; the run lasts `days` Pacific days from it, then `drainMs`. */
  readonly start: Date;
  /** Pacific days of fetching measured (default 1). */
  readonly days?: number;
  /**
   * Fetching goes on this long after the last day, so videos of the last hours can still be
   * found late; recall counts only videos published within the days (default 0).
   */
  readonly drainMs?: number;
  readonly design?: FetchDesign;
  readonly publishIntervalMs?: number;
  /** The simulator's index lag (default: its long-tailed default). */
  readonly indexLag?: readonly IndexLagTier[];
  /** FETCH_SWEEP_DELAYS_MS (default 1 h and 13 h). */
  readonly sweepDelaysMs?: readonly number[];
  readonly seed?: number;
}

export interface Freshness {
  readonly videos: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
}

export interface QuotaDayReport {
  readonly design: FetchDesign;
  readonly firstIntervalMs: number;
  /** search.list calls YouTube answered (200), over the whole run. */
  readonly searchCalls: number;
  readonly quotaErrors: number;
  /** Searches made (every project together) in each Pacific day of the run. */
  readonly searchesPerDay: readonly number[];
  readonly searchCallsPerDay: number;
  readonly callsPerHour: readonly number[];
  /** Longest time between two searches for the same query, while quota remained. */
  readonly longestGapMs: number;
  /** When the last search of the run was made. */
  readonly lastCallAt: Date | null;
  /** Publish → stored, over the videos published within the days and stored. */
  readonly freshness: Freshness;
  /** Of the videos published within the days that search made visible by the end of the run. */
  readonly recall: { readonly visible: number; readonly stored: number; readonly share: number; readonly lateVisible: number; readonly lateStored: number };
  readonly logLines: readonly string[];
}

interface Slot {
  everyMs: number;
  nextAt: number;
  text: string;
}

/** BullMQ's `every` semantics, for a fake clock. */
function virtualSchedule(): FetchSchedule & { due(): [number, Slot] | undefined; started(id: number): void } {
  const slots = new Map<number, Slot>();
  return {
    current: () => Promise.resolve(new Map([...slots].map(([id, s]) => [id, { everyMs: s.everyMs, nextAt: s.nextAt }]))),
    upsert: (query, everyMs, startAt) => {
      slots.set(query.id, { everyMs, nextAt: startAt, text: query.text });
      return Promise.resolve();
    },
    remove: (id) => {
      slots.delete(id);
      return Promise.resolve();
    },
    due: () => [...slots].sort(([, a], [, b]) => a.nextAt - b.nextAt)[0],
    started: (id) => {
      const slot = slots.get(id)!;
      slot.nextAt += slot.everyMs;
    },
  };
}

const percentile = (sorted: readonly number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);

/** A video counts as late when search found it more than the default overlap after publication. */
const LATE_MS = 600_000;

export async function simulateQuotaDay(options: QuotaDayOptions): Promise<QuotaDayReport> {
  const quota = options.quota ?? { searchCallsPerDay: 100, unitsPerDay: 10_000 };
  const design = options.design ?? 'sweeps';
  const days = options.days ?? 1;
  const clock = new ManualClock(options.start);
  let daysEnd = options.start;
  for (let d = 0; d < days; d++) daysEnd = nextPacificMidnight(daysEnd);
  const end = new Date(daysEnd.getTime() + (options.drainMs ?? 0));
  const sim = createYoutubeSimulator({
    seed: options.seed ?? 3,
    clock: { mode: 'manual', now: options.start },
    keys: Array.from({ length: options.keys }, () => ({})),
    searchCallsPerDay: quota.searchCallsPerDay,
    unitsPerDay: quota.unitsPerDay,
    publishIntervalMs: options.publishIntervalMs ?? 20_000,
    ...(options.indexLag === undefined ? {} : { indexLag: options.indexLag }),
    historyMs: 2 * 3_600_000,
  });
  const url = await sim.listen();
  await ensureDatabase(options.mysqlUrl);
  const db = createDb({ url: options.mysqlUrl, poolSize: 4 });
  const logLines: string[] = [];
  const log = createLogger({ level: 'info', format: 'json' }, 'quota-day', { write: (line: string) => void logLines.push(line) });
  try {
    await migrateToLatest(db);
    const { queries, pool, fetch } = createFetchStack({
      db: db.kysely,
      redis: options.redis,
      redisPrefix: options.redisPrefix,
      clock,
      log,
      keys: staticKeySource(sim.apiKeys()),
      quota,
      youtube: { rootUrl: url, timeoutMs: 5000 },
      settings: {
        overlapMs: 600_000,
        lookbackMs: 3_600_000,
        maxPages: 5,
        pageSize: 50,
        sweepDelaysMs: options.sweepDelaysMs ?? [3_600_000, 46_800_000],
        overlapOnly: design === 'overlap',
      },
      retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
    });
    await queries.syncConfigured(options.queries);
    const schedule = virtualSchedule();
    const planner = createFetchPlanner({
      schedule,
      queries,
      pool,
      redis: options.redis,
      prefix: options.redisPrefix,
      clock,
      log,
      minIntervalMs: options.minIntervalMs,
      pacing: options.pacing,
    });
    const firstIntervalMs = (await planner.replan('boot')).pacing.intervalMs;
    // Before sweeps, a second look was paid for only while the quota had slack.
    const sweepSearchesPerHour = async () => (design === 'overlap' ? ((await planner.hasSlack()) ? Number.POSITIVE_INFINITY : 0) : planner.sweepSearchesPerHour());

    for (;;) {
      const next = schedule.due();
      if (next === undefined || next[1].nextAt >= end.getTime()) break;
      const [queryId, slot] = next;
      clock.set(slot.nextAt);
      sim.setTime(clock.now());
      schedule.started(queryId);
      await planner.observe((await fetch.run(queryId, { sweepSearchesPerHour: await sweepSearchesPerHour() })).searchCalls);
      await planner.replan('run');
    }

    const calls = sim.calls().filter((c) => c.endpoint === 'search.list');
    const ok = calls.filter((c) => c.status === 200);
    const hours = Math.ceil((end.getTime() - options.start.getTime()) / 3_600_000);
    const callsPerHour = Array.from({ length: hours }, () => 0);
    for (const call of ok) callsPerHour[Math.floor((Date.parse(call.at) - options.start.getTime()) / 3_600_000)]!++;
    const searchesPerDay: number[] = [];
    for (let dayStart = options.start; dayStart < end; dayStart = nextPacificMidnight(dayStart)) {
      const dayEnd = nextPacificMidnight(dayStart).getTime();
      searchesPerDay.push(ok.filter((c) => Date.parse(c.at) >= dayStart.getTime() && Date.parse(c.at) < dayEnd).length);
    }
    const gaps = new Map<string, number>();
    let longestGapMs = 0;
    for (const call of ok) {
      const q = String(call.params.q);
      const at = Date.parse(call.at);
      const previous = gaps.get(q);
      if (previous !== undefined) longestGapMs = Math.max(longestGapMs, at - previous);
      gaps.set(q, at);
    }

    const stored = await sql<{ video_id: string; lag: number }>`
      SELECT video_id, TIMESTAMPDIFF(MICROSECOND, published_at, first_seen_at) / 1000 AS lag
      FROM videos WHERE published_at >= ${options.start} AND published_at < ${daysEnd}`.execute(db.kysely);
    const storedIds = new Set(stored.rows.map((r) => r.video_id));
    const visible = options.queries.flatMap((q) =>
      sim
        .groundTruth(q, { publishedAfter: options.start, publishedBefore: new Date(daysEnd.getTime() - 1) })
        .filter((v) => Date.parse(v.indexedAt) <= end.getTime() && Date.parse(v.publishedAt) < daysEnd.getTime()),
    );
    const late = visible.filter((v) => Date.parse(v.indexedAt) - Date.parse(v.publishedAt) > LATE_MS);
    const found = visible.filter((v) => storedIds.has(v.videoId)).length;
    const lags = stored.rows.map((r) => Number(r.lag)).sort((a, b) => a - b);
    return {
      design,
      firstIntervalMs,
      searchCalls: ok.length,
      quotaErrors: calls.filter((c) => c.reason === 'quotaExceeded').length,
      searchesPerDay,
      searchCallsPerDay: quota.searchCallsPerDay,
      callsPerHour,
      longestGapMs,
      lastCallAt: ok.length === 0 ? null : new Date(ok.at(-1)!.at),
      freshness: { videos: lags.length, p50Ms: percentile(lags, 0.5), p95Ms: percentile(lags, 0.95), p99Ms: percentile(lags, 0.99) },
      recall: {
        visible: visible.length,
        stored: found,
        share: visible.length === 0 ? 1 : found / visible.length,
        lateVisible: late.length,
        lateStored: late.filter((v) => storedIds.has(v.videoId)).length,
      },
      logLines,
    };
  } finally {
    await db.close();
    await sim.close();
  }
}
