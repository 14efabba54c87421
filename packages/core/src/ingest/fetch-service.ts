// One fetch run for one followed query: ask YouTube for what is new, store it, go back for what
// YouTube indexed late, remember what is still missing. The rules that keep the copy complete:
//
// - The head. Each run first searches from the head mark (the newest publish time a head search
//   returned inside its own window) minus FETCH_OVERLAP_MS, or FETCH_LOOKBACK_MS back on a new
//   query, following nextPageToken while pages bring videos the query did not have and have not
//   reached back to the newest stored before the run, up to the per-run page cap (of which the
//   head leaves one page to pending ranges, when there are any). Only a missing token ends the
//   results: a page shorter than maxResults that carries a token is not the end.
// - Windows are checked. YouTube sometimes ignores publishedAfter/publishedBefore and returns
//   videos from outside the window asked for. They are stored (search returned them for the
//   query) but never counted as new, never move a mark and never decide how far a search
//   reached.
// - Pending ranges. When the head stops before reaching stored ground (page cap, or a last page
//   without a token that may be YouTube's ~500-result cap), the range it did not cover is pending. Later runs
//   spend their remaining pages on pending ranges, newest first, each with its own
//   publishedBefore (so recovery is not limited to 500 results), moving a range's upper bound
//   down only after the page below it is stored.
// - Sweeps for late indexing. Search can find a video hours after its publish time. For each
//   sweep delay d (FETCH_OVERLAP_MS and FETCH_SWEEP_DELAYS, e.g. 10 min, 1 h, 13 h) the query
//   keeps a mark: every video published up to it was searched for at least once when it was d
//   old. A mark moves for free when the head's pages reached down to it; when the head's window
//   can be stretched down to a mark at no extra page (the query's stored videos since the mark
//   fit in one page), the head is stretched; otherwise the stretch [mark, now - d] becomes a
//   pending range once it would fill a page or spans d, and is searched once more. The deepest
//   delay bounds how late a video may be indexed and still be found. Such sweeps cost searches
//   from the same bucket as the head: the pacing counts them (mean cost per run) and, while the
//   budget binds, grants them a share of it (`sweepSearchesPerHour`). A delay whose sweeps would
//   cost more than what is left of that share is skipped, the deepest served first: a query
//   too busy for its quota keeps its head fresh rather than paying twice for every video.
// - Old windows. Search returns fewer results for windows long past (youtube-api.md): what a
//   run recovers from more than SEARCH_RELIABLE_AGE_MS back is stored, and reported (log and
//   `unverifiedSeconds`) as a range whose completeness cannot be known.
// - State is saved in one statement after the head (pending ranges, head mark, sweep marks), so
//   a crash before it repeats the head from the old mark (searches spent again, nothing lost)
//   and a crash after it leaves everything the head did not store pending.
// - Keys. Every call takes a key from the pool (round robin over projects with search quota
//   left). A quota answer exhausts that project's search bucket until Pacific midnight and the
//   same call moves to the next key; a rejected key is disabled; transient failures retry with
//   exponential backoff; an unexplained answer is retried too, and sets its key aside as suspect
//   after a few (key-pool.ts); when no project has searches left the run ends without a call.
// - MySQL away. A write that fails because MySQL is unreachable (after the searches it stores
//   were paid for) is retried with backoff for up to `storeRetryMs`, so a short outage costs no
//   quota; past that the run fails and a later one searches again from the unchanged marks.
// Storing is idempotent (upsert), so a run that repeats or overlaps another never duplicates.
import pRetry, { AbortError } from 'p-retry';
import { isMysqlUnavailable } from '../platform/errors.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { SearchQueryRepository } from '../catalog/search-query-repository.js';
import type { VideoInput } from '../catalog/video.js';
import type { VideoRepository } from '../catalog/video-repository.js';
import type { KeyPool } from './youtube/key-pool.js';
import { METHOD_COST } from './youtube/quota-buckets.js';
import type { SearchPage, SearchRequest, YoutubeClient } from './youtube/youtube-client.js';
import { NoUsableKeyError, QuotaExhaustedError, YoutubeApiError, neverReachedYoutube } from './youtube/youtube-errors.js';

/** YouTube stops paging at "roughly 500" results; a sequence ending without a token from here on hit it. */
const RESULT_CAP_NEAR = 450;
/** Windows older than this return fewer results than they did when new (youtube-api.md). */
export const SEARCH_RELIABLE_AGE_MS = 7 * 86_400_000;
/**
 * Stored videos a window may hold for the head to be stretched over it: the head's one page
 * then holds them, plus room for new and late videos, at no extra call.
 */
const STRETCH_MAX_STORED = 35;
/**
 * Stored videos in a sweep stretch that make it worth a page of its own: a page holds 50, and
 * the few found late must still fit, or the sweep costs a second page.
 */
const SWEEP_FULL_PAGE = 45;

export interface FetchSettings {
  readonly overlapMs: number;
  readonly lookbackMs: number;
  readonly maxPages: number;
  /** maxResults per search call (YouTube allows up to 50). */
  readonly pageSize: number;
  /** Later sweep delays beyond the overlap (FETCH_SWEEP_DELAYS), in ms. */
  readonly sweepDelaysMs?: readonly number[];
  /**
   * The design before sweeps: one look after the overlap, only while the quota has slack, and
   * no stretched head. Kept so `npm run simulate-day -- --compare` can measure what sweeps add.
   */
  readonly overlapOnly?: boolean;
}

export interface RetrySettings {
  /** Retries of a call after a transient or unexplained failure (rate limit, 5xx, timeout, network). */
  readonly retries: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

export type FetchOutcome = 'ok' | 'partial' | 'quota_exhausted' | 'no_keys' | 'keys_disabled' | 'keys_suspect' | 'skipped';

export interface FetchRunResult {
  readonly queryId: number;
  readonly outcome: FetchOutcome;
  /** search.list calls made (each costs 1 of its project's search bucket). */
  readonly searchCalls: number;
  readonly inserted: number;
  readonly updated: number;
  readonly linked: number;
  /** Videos YouTube returned from outside the window asked for: stored, not counted as new. */
  readonly outsideWindow: number;
  /** Of `linked`, the videos found below the head (pending ranges and sweeps). */
  readonly foundBelowHead: number;
  /** Time ranges still to backfill after this run. */
  readonly pendingRanges: number;
  /** Sweep ranges this run queued for a second look. */
  readonly sweepsQueued: number;
  /**
   * Searches that ended at YouTube's result cap (~500) with older matches left: what lay below
   * was kept as a pending range, not dropped.
   */
  readonly capHits: number;
  /** Publish time searched in windows too old for search to be complete, in seconds. */
  readonly unverifiedSeconds: number;
  /** Pending ranges YouTube refused to search as malformed, set aside instead of asked again every run. */
  readonly rangesSetAside: number;
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

/** Sweep marks by delay (ms), as kept in `search_queries.sweep_marks`. */
export type SweepMarks = ReadonlyMap<number, Date>;

export function encodeSweepMarks(marks: SweepMarks): string | null {
  if (marks.size === 0) return null;
  return JSON.stringify(Object.fromEntries([...marks].sort(([a], [b]) => a - b).map(([delay, mark]) => [String(delay), mark.toISOString()])));
}

export function decodeSweepMarks(text: string | null): Map<number, Date> {
  if (text === null || text === '') return new Map();
  const parsed = JSON.parse(text) as Record<string, string>;
  return new Map(Object.entries(parsed).map(([delay, mark]) => [Number(delay), new Date(mark)]));
}

/**
 * The marks for these delays. A delay with no mark yet (a delay added to the configuration, or
 * marks kept for delays no longer configured) starts where the known marks say its stretch is
 * surely not done: an added deeper delay sweeps again what the others saw only early. Without
 * any mark: a new query starts at its look-back (`start`); a query that already has a head
 * starts each delay d that far below the head's overlap (`start` - (d - overlap)).
 */
export function sweepMarksFor(
  delays: readonly number[],
  saved: SweepMarks,
  start: Date,
  options: { readonly overlapMs: number; readonly established: boolean },
): Map<number, Date> {
  const known = [...saved];
  const marks = new Map<number, Date>();
  for (const delay of delays) {
    const mark = saved.get(delay);
    if (mark !== undefined) {
      marks.set(delay, mark);
    } else if (known.length > 0) {
      marks.set(delay, new Date(Math.min(...known.map(([d, m]) => m.getTime() - Math.max(0, delay - d)))));
    } else {
      marks.set(delay, options.established ? new Date(start.getTime() - Math.max(0, delay - options.overlapMs)) : start);
    }
  }
  return marks;
}

/** YouTube's timestamps and bounds are whole seconds: marks and bounds are kept so too. */
const wholeSecond = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

export interface FetchServiceDeps {
  readonly videos: Pick<VideoRepository, 'upsertBatch' | 'rebuildCounts' | 'countPublishedBetween' | 'publishedTimesSince'>;
  readonly queries: Pick<SearchQueryRepository, 'findById' | 'recordOutcome' | 'saveFetchState'>;
  readonly pool: Pick<KeyPool, 'acquire' | 'recordError' | 'recordSuccess' | 'markExhausted' | 'disable' | 'refund'>;
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

export interface RunOptions {
  /**
   * Searches per hour this query may spend on sweeps that the head does not cover for free
   * (see above). Default: no limit (the quota has slack).
   */
  readonly sweepSearchesPerHour?: number;
}

/** A page's videos split by the window asked for (bounds inclusive, to the second as sent). */
function byWindow(videos: readonly VideoInput[], after: Date, before: Date | null) {
  const low = Math.floor(after.getTime() / 1000) * 1000;
  const high = before === null ? Number.POSITIVE_INFINITY : Math.ceil(before.getTime() / 1000) * 1000;
  const inside: VideoInput[] = [];
  const outside: VideoInput[] = [];
  for (const video of videos) {
    const at = video.publishedAt.getTime();
    (at >= low && at <= high ? inside : outside).push(video);
  }
  let oldest: Date | null = null;
  let newest: Date | null = null;
  for (const video of inside) {
    if (oldest === null || video.publishedAt < oldest) oldest = video.publishedAt;
    if (newest === null || video.publishedAt > newest) newest = video.publishedAt;
  }
  return { inside, outside, oldest, newest };
}

const minDate = (a: Date, b: Date): Date => (a <= b ? a : b);

export function createFetchService(deps: FetchServiceDeps) {
  const { videos, queries, pool, youtube, clock, log, settings, retry, storeRetryMs = 0 } = deps;
  const overlapOnly = settings.overlapOnly === true;
  // Sweep delays, shallowest first; the deepest bounds how late a video may be indexed.
  const delays = [...new Set([settings.overlapMs, ...(overlapOnly ? [] : (settings.sweepDelaysMs ?? []))])].sort((a, b) => a - b);
  const search_ = METHOD_COST['search.list'];

  async function run(queryId: number, options: RunOptions = {}): Promise<FetchRunResult> {
    const sweepBudget = options.sweepSearchesPerHour ?? Number.POSITIVE_INFINITY;
    const startedAt = clock.now().getTime();
    const query = await queries.findById(queryId);
    const stats = { searchCalls: 0, inserted: 0, updated: 0, linked: 0, outsideWindow: 0, foundBelowHead: 0, sweepsQueued: 0, capHits: 0, unverifiedSeconds: 0, rangesSetAside: 0 };
    const result = (outcome: FetchOutcome, pending: number, quotaResetAt: Date | null = null): FetchRunResult => ({
      queryId,
      outcome,
      ...stats,
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
              lease = await pool.acquire(search_.bucket, search_.cost);
            } catch (error) {
              throw new AbortError(error as Error);
            }
            stats.searchCalls++;
            let page: SearchPage;
            try {
              page = await youtube.search(lease.key.secret, request);
            } catch (error) {
              const failure = error instanceof YoutubeApiError ? error : new YoutubeApiError('transient', null, 'unknown', 'YouTube call failed');
              await pool.recordError(lease.key, failure.kind, failure.message);
              switch (failure.kind) {
                case 'quota':
                  await pool.markExhausted(lease.key, search_.bucket);
                  continue; // the same call, with a key of another project
                case 'rejected':
                  await pool.disable(lease.key, failure.reason);
                  continue;
                case 'request':
                  throw new AbortError(failure);
                case 'unknown':
                  // Retried with backoff like a transient failure, but the pool counts it: a key
                  // that keeps getting such answers is set aside (recordError), never retried
                  // forever.
                  runLog.warn({ key: lease.key.masked, status: failure.status, reason: failure.reason }, 'YouTube gave an unexplained answer, will retry');
                  throw failure;
                case 'transient':
                  if (neverReachedYoutube(failure)) await pool.refund(lease);
                  runLog.warn({ key: lease.key.masked, status: failure.status, reason: failure.reason }, 'YouTube call failed, will retry');
                  throw failure;
              }
            }
            await pool.recordSuccess(lease.key);
            return page;
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
     * idempotent (upserts, ranges and marks set outright), so one that landed before its answer
     * was lost is harmless to repeat.
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

    /** Stores a page: what is inside the window counts; what YouTube added from outside does not. */
    async function store(inside: readonly VideoInput[], outside: readonly VideoInput[]): Promise<number> {
      let linked = 0;
      for (const [batch, counted] of [
        [inside, true],
        [outside, false],
      ] as const) {
        if (batch.length === 0) continue;
        const stored = await durably(() => videos.upsertBatch(batch, { queryId }));
        if (stored.countsDrifted) {
          // Should never happen; if it does, page counts would stay wrong until repaired.
          runLog.error('feed counts found inconsistent; rebuilding them');
          await videos.rebuildCounts();
        }
        if (counted) {
          stats.inserted += stored.inserted;
          stats.updated += stored.updated;
          stats.linked += stored.linked;
          linked += stored.linked;
        } else {
          stats.outsideWindow += batch.length;
        }
      }
      if (outside.length > 0) runLog.info({ videos: outside.length }, 'YouTube returned videos outside the window asked for: stored, not counted as new');
      return linked;
    }

    /**
     * Whether a page with no next token may still have matches below it: a full page (most
     * likely an exact multiple of the page size, or the cap), or any page once the sequence is
     * near YouTube's ~500-result cap, where the last page before it can be short too. Only a
     * missing token below the cap ends the results.
     */
    const cutShort = (page: SearchPage, resultsInSequence: number): boolean =>
      page.nextPageToken === null && (page.itemCount >= settings.pageSize || resultsInSequence >= RESULT_CAP_NEAR);

    /**
     * A search sequence ended without a next page where matches may be left (cutShort). The
     * stretch below stays pending (one more search settles it); near the cap it is reported.
     */
    const capReached = (after: Date, reachedDownTo: Date | null, resultsInSequence: number) => {
      if (resultsInSequence < RESULT_CAP_NEAR) return;
      stats.capHits++;
      runLog.warn(
        { publishedAfter: after.toISOString(), reachedDownTo: reachedDownTo?.toISOString() ?? null },
        'search result cap reached: the older stretch is kept as a pending range for later runs',
      );
    };

    /**
     * A range searched to its end (every page): what search could return of it is stored. Part
     * of it older than SEARCH_RELIABLE_AGE_MS may have lost results on YouTube's side; that is
     * said, never claimed complete.
     */
    const searchedThrough = (range: TimeRange, found: number) => {
      const reliableFrom = startedAt - SEARCH_RELIABLE_AGE_MS;
      const unverifiedMs = Math.max(0, Math.min(range.before.getTime(), reliableFrom) - range.after.getTime());
      if (unverifiedMs === 0) return;
      stats.unverifiedSeconds += unverifiedMs / 1000;
      runLog.warn(
        { after: range.after.toISOString(), before: range.before.toISOString(), found, unverifiedSeconds: unverifiedMs / 1000 },
        'searched a range older than search keeps complete: its videos are stored as found, but some may be missing for good',
      );
    };

    const initial = normaliseRanges(decodeRanges(query.pending_ranges));
    let pending = initial;
    const savePending = async (ranges: TimeRange[], marks?: { head: Date | null; sweeps: SweepMarks }) => {
      pending = normaliseRanges(ranges);
      await durably(() =>
        queries.saveFetchState(queryId, {
          pendingRanges: encodeRanges(pending),
          ...(marks === undefined ? {} : { headMark: marks.head, sweepMarks: encodeSweepMarks(marks.sweeps) }),
        }),
      );
    };
    let pagesLeft = settings.maxPages;

    try {
      // 1. The head: everything since the head mark. Sweep stretches are measured from before
      // its first call: a run slowed by stalls and retries may end long after its pages were
      // answered, and a video not yet indexed when they were must not count as seen.
      // No head mark: no head has completed yet (a new query, or its first run died before its
      // state was saved), so the look-back starts again; stored videos alone prove nothing.
      const newest = query.head_mark;
      let after = wholeSecond(newest === null ? startedAt - settings.lookbackMs : newest.getTime() - settings.overlapMs);
      const marks = sweepMarksFor(delays, decodeSweepMarks(query.sweep_marks), after, { overlapMs: settings.overlapMs, established: newest !== null });
      if (!overlapOnly && newest !== null) after = await stretchedHeadStart(after, marks);

      let pageToken: string | undefined;
      let headResults = 0;
      let reachedStored = false;
      // True when the pages ran out before the page cap: everything since `after` was seen.
      let coveredToAfter = false;
      let lowest: Date | null = null;
      let headMark = newest;
      // With ranges pending, the head leaves at least one page for them, so a busy head can
      // never starve the backfill (FETCH_MAX_PAGES is at least 2).
      let headPages = initial.length > 0 ? Math.max(1, pagesLeft - 1) : pagesLeft;
      while (headPages-- > 0) {
        const page = await search({ q, publishedAfter: after, maxResults: settings.pageSize, ...(pageToken ? { pageToken } : {}) });
        pagesLeft--;
        const { inside, outside, oldest, newest: top } = byWindow(page.videos, after, null);
        if (oldest !== null && (lowest === null || oldest < lowest)) lowest = oldest;
        // Never above the run's start: a publish time in the future would hold the head there.
        if (top !== null && (headMark === null || top > headMark)) headMark = top.getTime() > startedAt ? new Date(startedAt) : top;
        // A page that reaches back to the newest video stored before this run holds every new
        // one above it: the pages below would only repeat the overlap, so they are not paid for.
        const reachesStored = newest !== null && oldest !== null && oldest <= newest;
        headResults += page.itemCount;
        const cut = cutShort(page, headResults);
        const more = !reachesStored && (page.nextPageToken !== null || cut);
        if (more && page.nextPageToken === null) capReached(after, oldest, headResults);
        const fresh = await store(inside, outside);
        if (page.nextPageToken === null && !cut) {
          // The results ended: everything since `after` was seen.
          coveredToAfter = true;
          reachedStored = true;
          break;
        }
        if (fresh === 0 || !more) {
          // A page with nothing new that does not reach stored ground (a page repeated because
          // newer videos were indexed between the calls) ends the paging, not the range.
          reachedStored = !more;
          break;
        }
        if (page.nextPageToken === null) break;
        pageToken = page.nextPageToken;
      }
      let ranges = reachedStored ? [...initial] : lowest !== null ? [...initial, { after, before: lowest }] : [...initial];
      if (coveredToAfter) searchedThrough({ after, before: new Date(startedAt) }, stats.linked);

      // 2. Sweeps: how far each delay's look is done, and the stretches that need one more.
      const covered = coveredToAfter ? after : lowest;
      const sweeps = await planSweeps(marks, covered, sweepBudget);
      ranges = [...ranges, ...sweeps.ranges];
      stats.sweepsQueued = sweeps.ranges.length;
      await savePending(ranges, { head: headMark, sweeps: sweeps.marks });

      // 3. Backfill: the remaining pages go to pending ranges, newest first.
      while (pagesLeft > 0 && pending.length > 0) {
        const range = pending[0]!;
        // The other ranges, as they were before this one was touched: every save below keeps
        // them whatever becomes of this one.
        const rest = pending.slice(1);
        let token: string | undefined;
        let rangeResults = 0;
        let rangeFound = 0;
        let before = range.before;
        for (;;) {
          let page: SearchPage;
          try {
            page = await search({
              q,
              publishedAfter: range.after,
              publishedBefore: range.before,
              maxResults: settings.pageSize,
              ...(token ? { pageToken: token } : {}),
            });
          } catch (error) {
            const cause = error instanceof AbortError ? error.originalError : error;
            if (!(cause instanceof YoutubeApiError) || cause.kind !== 'request') throw error;
            // YouTube refuses this range's request as malformed: asking again would fail again
            // (and be charged) on every run. It is set aside, loudly, so the others go on.
            runLog.error({ after: range.after.toISOString(), before: range.before.toISOString(), reason: cause.reason }, 'a pending range YouTube refuses to search was set aside');
            stats.rangesSetAside++;
            await savePending(rest);
            break;
          }
          pagesLeft--;
          const { inside, outside, oldest } = byWindow(page.videos, range.after, range.before);
          const found = await store(inside, outside);
          stats.foundBelowHead += found;
          rangeFound += found;
          rangeResults += page.itemCount;
          const cut = cutShort(page, rangeResults);
          if (cut) capReached(range.after, oldest, rangeResults);
          // Progress for the next run: down to the oldest video of the page; a bound that cannot
          // move (a page whose videos all sit at it) steps down one second so the range always
          // shrinks. A page with nothing inside the window moves nothing.
          if (oldest !== null) before = oldest < before ? oldest : new Date(before.getTime() - 1000);
          // Below the range's start, the pages held everything in it (they come newest first).
          const done = (page.nextPageToken === null && !cut) || before < range.after;
          if (done) {
            searchedThrough(range, rangeFound);
            await savePending(rest); // covered
            break;
          }
          await savePending([{ after: range.after, before }, ...rest]);
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
          foundBelowHead: stats.foundBelowHead,
          outsideWindow: stats.outsideWindow,
          sweepsQueued: stats.sweepsQueued,
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
        runLog.warn({ resetAt: cause.resetAt.toISOString() }, 'every YouTube project is out of search quota; no search until the reset');
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

    /**
     * Stretches the head's window down to the deepest sweep mark whose stretch is not done, when
     * the query's stored videos since that mark fit the head's one page with room to spare: the
     * sweep is then free.
     */
    async function stretchedHeadStart(after: Date, marks: SweepMarks): Promise<Date> {
      const candidates = [...marks]
        .filter(([delay, mark]) => mark < after && mark.getTime() < startedAt - delay)
        .map(([, mark]) => mark)
        .sort((a, b) => a.getTime() - b.getTime());
      if (candidates.length === 0) return after;
      // One read: the publish times of the newest stored videos down to the deepest candidate.
      const newestTimes = await videos.publishedTimesSince(queryId, candidates[0]!, STRETCH_MAX_STORED + 1);
      const boundary = newestTimes[STRETCH_MAX_STORED];
      return candidates.find((mark) => boundary === undefined || boundary < mark) ?? after;
    }

    /**
     * Moves each delay's mark and queues the stretches that need a second look, deepest first
     * while the budget lasts.
     */
    async function planSweeps(marks: SweepMarks, covered: Date | null, budget: number): Promise<{ marks: Map<number, Date>; ranges: TimeRange[] }> {
      const next = new Map(marks);
      const queued: TimeRange[] = [];
      let left = budget;
      for (const delay of [...delays].reverse()) {
        const mark = marks.get(delay)!;
        const target = wholeSecond(startedAt - delay);
        if (mark >= target) continue;
        if (covered !== null && covered <= mark) {
          // The head's pages reached it: everything up to `target` was seen when it was old enough.
          next.set(delay, target);
          continue;
        }
        // What the head did not reach; above `covered` it saw everything at `startedAt`.
        const upper = covered === null ? target : minDate(covered, target);
        const widthMs = upper.getTime() - mark.getTime();
        let ripe: boolean;
        if (overlapOnly) {
          ripe = left === Number.POSITIVE_INFINITY && widthMs >= settings.overlapMs / 2;
          if (left !== Number.POSITIVE_INFINITY) {
            next.set(delay, target); // no slack: no second look
            continue;
          }
        } else {
          // Counted as far as the run's pages could take, so a busy query's cost is not capped
          // at one page's worth.
          const stored = await videos.countPublishedBetween(queryId, mark, upper, SWEEP_FULL_PAGE * settings.maxPages);
          ripe = widthMs >= delay || stored >= SWEEP_FULL_PAGE;
          // What sweeping this delay costs per hour: a page per SWEEP_FULL_PAGE videos, and at
          // least one per `delay` (a quiet query's stretch ripens by its width).
          const perHour = Math.max(((stored / Math.max(widthMs, 60_000)) * 3_600_000) / SWEEP_FULL_PAGE, 3_600_000 / delay);
          if (perHour > left) {
            // Not within the budget. A stretch not ripe yet waits (the budget may allow it when
            // it is); a ripe one is skipped: a deeper sweep, or none, finds what it would have.
            if (ripe) next.set(delay, target);
            continue;
          }
          left -= perHour;
        }
        if (!ripe) continue;
        if (upper > mark) queued.push({ after: mark, before: upper });
        next.set(delay, target);
      }
      return { marks: next, ranges: queued };
    }
  }

  return { run };
}
