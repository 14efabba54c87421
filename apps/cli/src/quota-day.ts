// A day of fetching on a fake clock: the real fetch service, key pool and planner against the
// YouTube simulator, with a virtual schedule that behaves like BullMQ's Job Schedulers (the
// next run of an `every` schedule is its previous slot plus `every`; a changed schedule starts
// at the given start date). A day takes seconds instead of 24 hours, so pacing can be checked
// end to end: the quota spent, how calls spread over the hours, the longest gap, freshness.
// Used by a test and by `npm run simulate-day` (figures for operators and notes).
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
} from '@tubefeed/core';
import { createYoutubeSimulator } from '@tubefeed/youtube-sim';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';

export interface QuotaDayOptions {
  readonly mysqlUrl: string;
  readonly redis: Redis;
  readonly redisPrefix: string;
  readonly keys: number;
  readonly queries: readonly string[];
  readonly pacing: boolean;
  readonly minIntervalMs: number;
  readonly dailyQuota?: number;
  /** A Pacific midnight; the day runs until the next one. */
  readonly start: Date;
  readonly publishIntervalMs?: number;
  readonly maxIndexDelayMs?: number;
}

export interface QuotaDayReport {
  readonly firstIntervalMs: number;
  readonly searchCalls: number;
  readonly quotaErrors: number;
  readonly unitsPerKey: readonly number[];
  readonly dailyQuota: number;
  readonly callsPerHour: readonly number[];
  /** Longest time between two searches for the same query, while quota remained. */
  readonly longestGapMs: number;
  /** When the last search of the day was made. */
  readonly lastCallAt: Date | null;
  readonly freshness: { readonly p50Ms: number; readonly p99Ms: number; readonly videos: number };
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

export async function simulateQuotaDay(options: QuotaDayOptions): Promise<QuotaDayReport> {
  const dailyQuota = options.dailyQuota ?? 10_000;
  const clock = new ManualClock(options.start);
  const end = nextPacificMidnight(options.start);
  const sim = createYoutubeSimulator({
    seed: 3,
    clock: { mode: 'manual', now: options.start },
    keys: Array.from({ length: options.keys }, () => ({})),
    dailyQuota,
    publishIntervalMs: options.publishIntervalMs ?? 20_000,
    maxIndexDelayMs: options.maxIndexDelayMs ?? 120_000,
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
      dailyQuota,
      youtube: { rootUrl: url, timeoutMs: 5000 },
      settings: { overlapMs: 600_000, lookbackMs: 3_600_000, maxPages: 5, pageSize: 50 },
      retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
    });
    await queries.syncConfigured(options.queries);
    const schedule = virtualSchedule();
    const planner = createFetchPlanner({
      schedule,
      queries,
      pool,
      clock,
      log,
      dailyQuota,
      minIntervalMs: options.minIntervalMs,
      pacing: options.pacing,
    });
    const firstIntervalMs = (await planner.replan('boot')).pacing.intervalMs;

    for (;;) {
      const next = schedule.due();
      if (next === undefined || next[1].nextAt >= end.getTime()) break;
      const [queryId, slot] = next;
      clock.set(slot.nextAt);
      sim.setTime(clock.now());
      schedule.started(queryId);
      planner.observe((await fetch.run(queryId, { sweep: planner.hasSlack() })).unitsSpent);
      await planner.replan('run');
    }

    const calls = sim.calls().filter((c) => c.endpoint === 'search.list');
    const ok = calls.filter((c) => c.status === 200);
    const callsPerHour = Array.from({ length: Math.round((end.getTime() - options.start.getTime()) / 3_600_000) }, () => 0);
    for (const call of ok) callsPerHour[Math.floor((Date.parse(call.at) - options.start.getTime()) / 3_600_000)]!++;
    const gaps = new Map<string, number>();
    let longestGapMs = 0;
    for (const call of ok) {
      const q = String(call.params.q);
      const at = Date.parse(call.at);
      const previous = gaps.get(q);
      if (previous !== undefined) longestGapMs = Math.max(longestGapMs, at - previous);
      gaps.set(q, at);
    }
    const lags = await sql<{ lag: number }>`
      SELECT TIMESTAMPDIFF(MICROSECOND, published_at, first_seen_at) / 1000 AS lag
      FROM videos WHERE published_at >= ${options.start}`.execute(db.kysely);
    const sorted = lags.rows.map((r) => Number(r.lag)).sort((a, b) => a - b);
    return {
      firstIntervalMs,
      searchCalls: ok.length,
      quotaErrors: calls.filter((c) => c.reason === 'quotaExceeded').length,
      unitsPerKey: sim.quota().map((k) => k.used),
      dailyQuota,
      callsPerHour,
      longestGapMs,
      lastCallAt: ok.length === 0 ? null : new Date(ok.at(-1)!.at),
      freshness: { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), videos: sorted.length },
      logLines,
    };
  } finally {
    await db.close();
    await sim.close();
  }
}
