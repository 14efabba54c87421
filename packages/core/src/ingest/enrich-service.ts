// The enrichment run: stored videos that are due are read with videos.list, 50 ids per call
// (1 unit of the units bucket whatever the number of ids), and what it tells is stored with each
// video's next due time (enrich-schedule.ts). A run spends at most the budget of
// enrich-budget.ts, and never a project's reserve (the pool's acquire enforces it per project,
// atomically, across workers).
//
// Idempotent and restartable: each batch is stored in one statement that also moves its
// videos' due times (video-details-repository.ts), so a run that dies, or a job that is
// retried, asks YouTube again for one batch at most: the one whose answer was not stored.
// The units a run spends are added to the day's count in Redis as they are spent, so the daily
// cap holds across runs, retries and workers.
import { AbortError } from 'p-retry';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { redisKey, type RedisClient } from '../platform/redis/create-redis.js';
import { pacificDayKey } from '../platform/time/pacific-time.js';
import type { DetailsStoreResult, DueVideo, VideoDetailsRepository } from '../catalog/video-details-repository.js';
import { computeEnrichBudget, type EnrichBudget, type EnrichBudgetSettings } from './enrich-budget.js';
import { nextRefreshAt } from './enrich-schedule.js';
import type { KeyPool } from './youtube/key-pool.js';
import { createPooledCall, type RetrySettings } from './youtube/pooled-call.js';
import { MAX_VIDEO_IDS, type YoutubeClient } from './youtube/youtube-client.js';
import { NoUsableKeyError, QuotaExhaustedError } from './youtube/youtube-errors.js';

export type EnrichOutcome =
  /** Every due video read, or the run's budget spent. */
  | 'enriched'
  /** Nothing was due. */
  | 'nothing-due'
  /** No budget this run (no usable key, the reserve or the day cap reached): nothing spent. */
  | 'no-budget'
  /** Every project's units bucket is spent down to the reserve (found out during the run). */
  | 'quota-exhausted'
  /** No key can be used (none configured, all rejected or suspect). */
  | 'no-usable-key';

export interface EnrichRunResult {
  readonly outcome: EnrichOutcome;
  /** Why, in one line (also logged). */
  readonly reason: string;
  /** Units spent by this run (videos.list calls sent, failed ones included). */
  readonly units: number;
  /** The budget this run started with. */
  readonly budgetUnits: number;
  readonly batches: number;
  /** Videos videos.list returned and that were stored. */
  readonly enriched: number;
  /** Videos it no longer returns, marked unavailable. */
  readonly unavailable: number;
  /** Videos whose public JSON changed (rendered again with what was stored). */
  readonly rendered: number;
  /** Videos still due when the run ended (counted up to 100,000). */
  readonly dueLeft: number;
}

export interface EnrichServiceDeps {
  readonly details: Pick<VideoDetailsRepository, 'due' | 'store' | 'countDue'>;
  readonly pool: Pick<KeyPool, 'acquire' | 'recordError' | 'recordSuccess' | 'markExhausted' | 'disable' | 'refund' | 'status'>;
  readonly youtube: Pick<YoutubeClient, 'videoDetails'>;
  /** Where the day's enrichment spend is counted. */
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly settings: EnrichBudgetSettings;
  readonly retry: RetrySettings;
}

export type EnrichService = ReturnType<typeof createEnrichService>;

const DAY_COUNT_TTL_SECONDS = 3 * 24 * 3600;

/** The Redis key counting the units enrichment spent on a Pacific day. */
export const enrichSpendKey = (prefix: string, day: string): string => redisKey(prefix, 'enrich', 'units', day);

export function createEnrichService(deps: EnrichServiceDeps) {
  const { details, pool, youtube, redis, prefix, clock, log, settings } = deps;
  const call = createPooledCall({ pool, retry: deps.retry });
  /** The reason the last run spent nothing, if it did (logged once, not every run). */
  let lastIdleReason: string | undefined;

  /** Units enrichment spent today (Pacific), across runs and workers. */
  async function spentToday(): Promise<number> {
    return Number((await redis.get(enrichSpendKey(prefix, pacificDayKey(clock.now())))) ?? 0);
  }

  async function countSpent(units: number): Promise<void> {
    if (units <= 0) return;
    const key = enrichSpendKey(prefix, pacificDayKey(clock.now()));
    await redis.multi().incrby(key, units).expire(key, DAY_COUNT_TTL_SECONDS).exec();
  }

  /** The budget the next run would start with. */
  async function budget(): Promise<EnrichBudget> {
    const status = await pool.status();
    return computeEnrichBudget({ now: clock.now(), projects: status.projects, spentToday: await spentToday(), settings });
  }

  /** Reads one batch with videos.list and stores the answer; returns the units it spent. */
  async function enrichBatch(batch: readonly DueVideo[], runLog: Logger): Promise<{ units: number; enriched: number; unavailable: number; stored: DetailsStoreResult }> {
    let units = 0;
    let page;
    try {
      page = await call(
        'videos.list',
        (secret) =>
          youtube.videoDetails(
            secret,
            batch.map((v) => v.videoId),
          ),
        { log: runLog, countCall: () => void units++, reserve: settings.reserveUnits },
      );
    } finally {
      await countSpent(units);
    }
    const at = clock.now();
    const returned = new Map(page.videos.map((d) => [d.videoId, d]));
    const found = [];
    const missing = [];
    for (const video of batch) {
      const d = returned.get(video.videoId);
      if (d === undefined) missing.push({ videoId: video.videoId, dueAt: nextRefreshAt({ publishedAt: video.publishedAt, liveState: null }, at) });
      else found.push({ details: d, dueAt: nextRefreshAt({ publishedAt: video.publishedAt, ...d }, at) });
    }
    const stored = await details.store({ at, found, missing });
    return { units, enriched: found.length, unavailable: missing.length, stored };
  }

  /**
   * One run. `onStored` hears of each stored batch as it is stored (before the run ends, and
   * even when it then fails): the feed scopes whose listed JSON changed, for their snapshots.
   */
  async function run(options: { signal?: AbortSignal; onStored?: (stored: DetailsStoreResult) => void } = {}): Promise<EnrichRunResult> {
    const startedAt = clock.now();
    const runLog = log.child({ run: startedAt.toISOString() });
    const status = await pool.status();
    const plan = computeEnrichBudget({ now: startedAt, projects: status.projects, spentToday: await spentToday(), settings });
    const totals = { units: 0, batches: 0, enriched: 0, unavailable: 0, rendered: 0 };
    const finish = async (outcome: EnrichOutcome, reason: string): Promise<EnrichRunResult> => {
      const result = { outcome, reason, budgetUnits: plan.units, ...totals, dueLeft: await details.countDue(clock.now()) };
      const idle = outcome === 'no-budget' || outcome === 'no-usable-key' || outcome === 'quota-exhausted';
      // Why nothing is spent is said once when it starts, not every run while it lasts.
      if (idle && reason !== lastIdleReason) runLog.warn({ ...result, reason: undefined }, `enrichment: ${reason}`);
      else if (outcome === 'enriched') runLog.info({ ...result, reason: undefined }, `enrichment: ${reason}`);
      else runLog.debug({ ...result, reason: undefined }, `enrichment: ${reason}`);
      lastIdleReason = idle ? reason : undefined;
      return result;
    };

    if (status.state === 'no_keys') return finish('no-usable-key', 'no YouTube API key is configured');
    if (plan.units === 0) return finish('no-budget', plan.summary);
    try {
      while (totals.units < plan.units && options.signal?.aborted !== true) {
        const batch = await details.due(clock.now(), MAX_VIDEO_IDS);
        if (batch.length === 0) break;
        const done = await enrichBatch(batch, runLog);
        options.onStored?.(done.stored);
        totals.rendered += done.stored.rendered;
        totals.units += done.units;
        totals.batches += 1;
        totals.enriched += done.enriched;
        totals.unavailable += done.unavailable;
      }
    } catch (error) {
      const cause = error instanceof AbortError ? error.originalError : error;
      if (cause instanceof QuotaExhaustedError) return finish('quota-exhausted', `every project's units bucket is spent down to the reserve until ${cause.resetAt.toISOString()}`);
      if (cause instanceof NoUsableKeyError) return finish('no-usable-key', cause.message);
      runLog.warn({ ...totals, err: cause instanceof Error ? cause.message : String(cause) }, 'enrichment run failed; what it stored stays');
      throw cause;
    }
    if (totals.batches === 0) return finish('nothing-due', 'nothing due');
    return finish('enriched', totals.units >= plan.units ? `run budget of ${plan.units} units spent (${plan.summary})` : 'every due video read');
  }

  return { run, budget, spentToday };
}
