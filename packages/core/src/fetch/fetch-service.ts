// One fetch run for one followed query: ask YouTube for what is new, store it, remember what
// is still missing. The rules that keep the copy complete:
//
// - Watermark with overlap. The head of a run searches from the newest stored publish time
//   minus FETCH_OVERLAP_MS (or FETCH_LOOKBACK_MS back on an empty query): search is eventually
//   consistent, and a video indexed late carries a publish time below the newest one stored.
// - Follow nextPageToken while pages still bring videos this query did not have and have not
//   reached back to the newest video stored before the run, up to the per-run page cap (of
//   which the head leaves one page to pending ranges, when there are any).
// - Pending ranges. When a run stops before reaching stored territory (page cap, or a full last
//   page that may be YouTube's ~500-result cap), the time range it did not cover is saved on the
//   query row BEFORE the newer page is stored, so a crash at any point cannot move the
//   watermark past unfetched videos. Later runs spend their remaining pages on those ranges,
//   newest first, moving each range's upper bound down as pages are stored. Because each range
//   is searched with its own publishedBefore, recovery is not limited to 500 results.
// - Settled sweeps. A video can become searchable up to FETCH_OVERLAP_MS after its publish
//   time. Each query keeps `checked_until`: every video published up to it was searched for at
//   least once after that delay. A run whose pages reached down to it moves it up to "the
//   run's start minus the overlap" for free (a quiet query's first page reaches back past it);
//   on a busy query, where a page covers less than the overlap, the settled stretch the pages
//   did not reach becomes a pending range (once it spans half the overlap, so its pages are
//   full) and is searched once more. Every video is thus searched after it is surely indexed,
//   and none published late is lost. That roughly doubles the pages of a busy query, so it is
//   done only while the quota has room for it (`sweep`, from the pacing): when the budget
//   binds, late videos are caught as deep as each run's pages reach.
// - Keys. Every call takes a key from the pool (round robin, quota-aware). A quota answer
//   exhausts that key until Pacific midnight and the same call moves to the next key; a
//   rejected key is disabled; transient failures retry with exponential backoff; when every key
//   is out of quota the run ends without a call.
// - MySQL away. A write that fails because MySQL is unreachable (after the searches it stores
//   were paid for) is retried with backoff for up to `storeRetryMs`, so a short outage costs
//   no quota; past that the run fails and a later one searches again from the unchanged
//   watermark.
// Storing is idempotent (upsert), so a run that repeats or overlaps another never duplicates.
import pRetry, { AbortError } from 'p-retry';
import { isMysqlUnavailable } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logging/logger.js';
import type { SearchQueryRepository } from '../queries/search-query-repository.js';
import type { VideoRepository } from '../videos/video-repository.js';
import type { KeyPool } from '../youtube/key-pool.js';
import { SEARCH_COST_UNITS, type SearchPage, type SearchRequest, type YoutubeClient } from '../youtube/youtube-client.js';
import { NoUsableKeyError, QuotaExhaustedError, YoutubeApiError, neverReachedYoutube } from '../youtube/youtube-errors.js';

/** YouTube stops paging at "roughly 500" results; a sequence ending full from here on hit it. */
const RESULT_CAP_NEAR = 450;

export interface FetchSettings {
  readonly overlapMs: number;
  readonly lookbackMs: number;
  readonly maxPages: number;
  /** maxResults per search call (YouTube allows up to 50). */
  readonly pageSize: number;
}

export interface RetrySettings {
  /** Retries of a call after a transient failure (rate limit, 5xx, timeout, network). */
  readonly retries: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

export type FetchOutcome = 'ok' | 'partial' | 'quota_exhausted' | 'no_keys' | 'keys_disabled' | 'skipped';

export interface FetchRunResult {
  readonly queryId: number;
  readonly outcome: FetchOutcome;
  readonly searchCalls: number;
  readonly unitsSpent: number;
  readonly inserted: number;
  readonly updated: number;
  readonly linked: number;
  /** Time ranges still to backfill after this run. */
  readonly pendingRanges: number;
  /**
   * Searches that ended at YouTube's result cap (~500) with older matches left: what lay below
   * was kept as a pending range, not dropped.
   */
  readonly capHits: number;
  /** Set when the outcome is quota_exhausted. */
  readonly quotaResetAt: string | null;
  readonly durationMs: number;
}

export interface TimeRange {
  readonly after: Date;
  readonly before: Date;
}

export function encodeRanges(ranges: readonly TimeRange[]): string | null {
  return ranges.length === 0
    ? null
    : JSON.stringify(ranges.map((r) => ({ after: r.after.toISOString(), before: r.before.toISOString() })));
}

export function decodeRanges(text: string | null): TimeRange[] {
  if (text === null || text === '') return [];
  const parsed = JSON.parse(text) as Array<{ after: string; before: string }>;
  return parsed.map((r) => ({ after: new Date(r.after), before: new Date(r.before) }));
}

/** How much publish time pending ranges span, in seconds. */
export function backlogSeconds(ranges: readonly TimeRange[]): number {
  return ranges.reduce((sum, r) => sum + Math.max(0, r.before.getTime() - r.after.getTime()), 0) / 1000;
}

/** Ranges sorted newest first, overlapping or touching ones merged. */
export function normaliseRanges(ranges: readonly TimeRange[]): TimeRange[] {
  const sorted = ranges
    .filter((r) => r.before.getTime() >= r.after.getTime())
    .sort((a, b) => b.before.getTime() - a.before.getTime());
  const merged: TimeRange[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range.before.getTime() >= last.after.getTime()) {
      merged[merged.length - 1] = { after: new Date(Math.min(last.after.getTime(), range.after.getTime())), before: last.before };
    } else {
      merged.push(range);
    }
  }
  return merged;
}

export interface FetchServiceDeps {
  readonly videos: Pick<VideoRepository, 'upsertBatch' | 'newestPublishedAt' | 'rebuildCounts'>;
  readonly queries: Pick<SearchQueryRepository, 'findById' | 'recordOutcome' | 'setPendingRanges'>;
  readonly pool: Pick<KeyPool, 'acquire' | 'recordError' | 'markExhausted' | 'disable' | 'refund'>;
  readonly youtube: Pick<YoutubeClient, 'search'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly settings: FetchSettings;
  readonly retry: RetrySettings;
  /** How long a write is retried while MySQL is unreachable (default 0: not retried). */
  readonly storeRetryMs?: number;
}

/** Backoff of writes retried while MySQL is unreachable: 0.5 s doubling to 5 s, randomised. */
const STORE_RETRY_MIN_DELAY_MS = 500;
const STORE_RETRY_MAX_DELAY_MS = 5000;

export type FetchService = ReturnType<typeof createFetchService>;

const oldestOf = (page: SearchPage): Date | null =>
  page.videos.reduce<Date | null>((min, v) => (min === null || v.publishedAt < min ? v.publishedAt : min), null);

export interface RunOptions {
  /** Search settled stretches the pages did not reach once more (see above). Default true. */
  readonly sweep?: boolean;
}

export function createFetchService(deps: FetchServiceDeps) {
  const { videos, queries, pool, youtube, clock, log, settings, retry, storeRetryMs = 0 } = deps;

  async function run(queryId: number, options: RunOptions = {}): Promise<FetchRunResult> {
    const sweep = options.sweep ?? true;
    const startedAt = clock.now().getTime();
    const query = await queries.findById(queryId);
    const stats = { searchCalls: 0, inserted: 0, updated: 0, linked: 0, capHits: 0 };
    const result = (outcome: FetchOutcome, pending: number, quotaResetAt: Date | null = null): FetchRunResult => ({
      queryId,
      outcome,
      ...stats,
      unitsSpent: stats.searchCalls * SEARCH_COST_UNITS,
      pendingRanges: pending,
      quotaResetAt: quotaResetAt?.toISOString() ?? null,
      durationMs: clock.now().getTime() - startedAt,
    });
    if (query === undefined || query.enabled !== 1) return result('skipped', 0);
    const q = query.text;
    const runLog = log.child({ queryId, query: q });

    /** One search call with key rotation and retries; counts every call made. */
    async function search(request: SearchRequest): Promise<SearchPage> {
      return pRetry(
        async () => {
          for (;;) {
            let lease;
            try {
              lease = await pool.acquire(SEARCH_COST_UNITS);
            } catch (error) {
              throw new AbortError(error as Error);
            }
            stats.searchCalls++;
            try {
              return await youtube.search(lease.key.secret, request);
            } catch (error) {
              const failure = error instanceof YoutubeApiError ? error : new YoutubeApiError('transient', null, 'unknown', 'YouTube call failed');
              await pool.recordError(lease.key, failure.kind, failure.message);
              switch (failure.kind) {
                case 'quota':
                  await pool.markExhausted(lease.key);
                  continue; // the same call, with the next key
                case 'rejected':
                  await pool.disable(lease.key, failure.reason);
                  continue;
                case 'request':
                  throw new AbortError(failure);
                case 'transient':
                  if (neverReachedYoutube(failure)) await pool.refund(lease);
                  runLog.warn({ key: lease.key.masked, status: failure.status, reason: failure.reason }, 'YouTube call failed, will retry');
                  throw failure;
              }
            }
          }
        },
        {
          retries: retry.retries,
          factor: 2,
          minTimeout: retry.minDelayMs,
          maxTimeout: retry.maxDelayMs,
          randomize: true,
        },
      );
    }

    /**
     * A write after searches, retried while MySQL is unreachable. Every write of a run is
     * idempotent (upserts, ranges and outcomes set outright), so one that landed before its
     * answer was lost is harmless to repeat.
     */
    async function durably<T>(write: () => Promise<T>): Promise<T> {
      if (storeRetryMs === 0) return write();
      return pRetry(write, {
        retries: Number.POSITIVE_INFINITY,
        maxRetryTime: storeRetryMs,
        factor: 2,
        minTimeout: STORE_RETRY_MIN_DELAY_MS,
        maxTimeout: STORE_RETRY_MAX_DELAY_MS,
        randomize: true,
        shouldRetry: ({ error }) => isMysqlUnavailable(error),
        onFailedAttempt: ({ error, attemptNumber }) => {
          if (isMysqlUnavailable(error)) {
            runLog.warn({ attempt: attemptNumber, err: { message: error.message, code: (error as { code?: unknown }).code } }, 'MySQL unreachable; retrying the write');
          }
        },
      });
    }

    async function store(page: SearchPage): Promise<number> {
      if (page.videos.length === 0) return 0;
      const stored = await durably(() => videos.upsertBatch(page.videos, { queryId }));
      if (stored.countsDrifted) {
        // Should never happen; if it does, page counts would stay wrong until repaired.
        runLog.error('feed counts found inconsistent; rebuilding them');
        await videos.rebuildCounts();
      }
      stats.inserted += stored.inserted;
      stats.updated += stored.updated;
      stats.linked += stored.linked;
      return stored.linked;
    }

    /**
     * A search sequence ended on a full page with no next page. Near YouTube's result cap that
     * is the cap, with older matches left; below it, most likely an exact multiple of the page
     * size. Either way the stretch below stays pending (one more search settles it); only the
     * cap is reported.
     */
    const fullWithoutNext = (after: Date, reachedDownTo: Date | null, resultsInSequence: number) => {
      if (resultsInSequence < RESULT_CAP_NEAR) return;
      stats.capHits++;
      runLog.warn(
        { publishedAfter: after.toISOString(), reachedDownTo: reachedDownTo?.toISOString() ?? null },
        'search result cap reached: the older stretch is kept as a pending range for later runs',
      );
    };

    const initial = normaliseRanges(decodeRanges(query.pending_ranges));
    let pending = initial;
    const savePending = async (ranges: TimeRange[], checkedUntil?: Date) => {
      pending = normaliseRanges(ranges);
      await durably(() => queries.setPendingRanges(queryId, encodeRanges(pending), checkedUntil));
    };
    let pagesLeft = settings.maxPages;

    try {
      // 1. The head: everything since the watermark. What counts as settled is measured from
      // before its first call: a run slowed by stalls and retries may end long after its pages
      // were answered, and a video not yet indexed when they were must not count as checked.
      const settled = new Date(clock.now().getTime() - settings.overlapMs);
      const newest = await videos.newestPublishedAt(queryId);
      const after = new Date(newest === null ? clock.now().getTime() - settings.lookbackMs : newest.getTime() - settings.overlapMs);
      let pageToken: string | undefined;
      let headResults = 0;
      let reachedStored = false;
      // True when the pages ran out before the page cap: everything since `after` was seen.
      let coveredToAfter = false;
      let lowest: Date | null = null;
      // The oldest publish time of the pages this head has stored.
      let storedDownTo: Date | null = null;
      // With ranges pending, the head leaves at least one page for them, so a busy head can
      // never starve the backfill (FETCH_MAX_PAGES is at least 2).
      let headPages = initial.length > 0 ? Math.max(1, pagesLeft - 1) : pagesLeft;
      while (headPages-- > 0) {
        const page = await search({ q, publishedAfter: after, maxResults: settings.pageSize, ...(pageToken ? { pageToken } : {}) });
        pagesLeft--;
        const oldest = oldestOf(page);
        if (oldest !== null && (lowest === null || oldest < lowest)) lowest = oldest;
        // A page that reaches back to the newest video stored before this run holds every new
        // one above it: the pages below would only repeat the overlap, so they are not paid for.
        const reachesStored = newest !== null && oldest !== null && oldest <= newest;
        // A full page without a next token may be the ~500-result cap, not the end.
        const more = !reachesStored && (page.nextPageToken !== null || page.itemCount >= settings.pageSize);
        headResults += page.itemCount;
        if (more && page.nextPageToken === null) fullWithoutNext(after, oldest, headResults);
        // What lies below the pages stored so far is pending before this page is stored (it
        // moves the watermark); the range shrinks past this page only once the page is stored,
        // so a crash or a failed write in between cannot leave the page's videos uncovered.
        if (more && oldest !== null) await savePending([...initial, { after, before: storedDownTo ?? oldest }]);
        const fresh = await store(page);
        if (oldest !== null && (storedDownTo === null || oldest < storedDownTo)) storedDownTo = oldest;
        if (fresh === 0 || !more) {
          // A page with nothing new that does not reach stored ground (a page repeated because
          // newer videos were indexed between the calls) ends the paging, not the range.
          reachedStored = !more;
          coveredToAfter = !reachesStored && page.nextPageToken === null && page.itemCount < settings.pageSize;
          break;
        }
        if (page.nextPageToken === null) break;
        pageToken = page.nextPageToken;
      }
      let ranges = reachedStored ? initial : lowest !== null ? [...initial, { after, before: lowest }] : initial;
      // How far down this run's pages covered everything searchable now.
      const covered = coveredToAfter ? after : lowest;
      let checked = query.checked_until ?? after;
      if (checked < settled) {
        if ((covered !== null && covered <= checked) || !sweep) {
          // These pages reached it (everything up to `settled` was seen now), or the quota has
          // no room for a second look: move on.
          checked = settled;
        } else if (settled.getTime() - checked.getTime() >= settings.overlapMs / 2) {
          // Swept in stretches of at least half the overlap, so the pages a sweep costs are full.
          ranges = [...ranges, { after: checked, before: covered === null || covered > settled ? settled : covered }];
          checked = settled;
        }
      }
      await savePending(ranges, checked);

      // 2. Backfill: the remaining pages go to pending ranges, newest first.
      while (pagesLeft > 0 && pending.length > 0) {
        const range = pending[0]!;
        let token: string | undefined;
        let rangeResults = 0;
        let before = range.before;
        for (;;) {
          const page = await search({
            q,
            publishedAfter: range.after,
            publishedBefore: range.before,
            maxResults: settings.pageSize,
            ...(token ? { pageToken: token } : {}),
          });
          pagesLeft--;
          await store(page);
          const oldest = oldestOf(page);
          const full = page.itemCount >= settings.pageSize;
          rangeResults += page.itemCount;
          if (full && page.nextPageToken === null) fullWithoutNext(range.after, oldest, rangeResults);
          if (page.nextPageToken === null && !full) {
            await savePending(pending.slice(1)); // covered
            break;
          }
          // Progress for the next run; a bound that cannot move (a page of equal timestamps)
          // steps down one second so the range always shrinks.
          before = oldest !== null && oldest < before ? oldest : new Date(before.getTime() - 1000);
          await savePending([{ after: range.after, before }, ...pending.slice(1)]);
          if (page.nextPageToken === null || pagesLeft === 0) break;
          token = page.nextPageToken;
        }
      }

      const outcome: FetchOutcome = pending.length > 0 ? 'partial' : 'ok';
      await durably(() => queries.recordOutcome(queryId, outcome, null, stats.linked));
      const summary = result(outcome, pending.length);
      runLog.info(
        {
          outcome,
          calls: stats.searchCalls,
          inserted: stats.inserted,
          updated: stats.updated,
          linked: stats.linked,
          pendingRanges: pending.length,
          backlogSeconds: backlogSeconds(pending),
        },
        'fetch run finished',
      );
      return summary;
    } catch (error) {
      const cause = error instanceof AbortError ? error.originalError : error;
      if (cause instanceof QuotaExhaustedError) {
        await queries.recordOutcome(queryId, 'quota_exhausted', cause.message, stats.linked);
        runLog.warn({ resetAt: cause.resetAt.toISOString() }, 'every YouTube key is out of quota; no call until the reset');
        return result('quota_exhausted', pending.length, cause.resetAt);
      }
      if (cause instanceof NoUsableKeyError) {
        await queries.recordOutcome(queryId, cause.state, cause.message, stats.linked);
        runLog.error({ state: cause.state }, cause.message);
        return result(cause.state, pending.length);
      }
      const message = cause instanceof Error ? cause.message : 'fetch failed';
      await queries.recordOutcome(queryId, 'failed', message, stats.linked).catch(() => undefined);
      throw cause;
    }
  }

  return { run };
}
