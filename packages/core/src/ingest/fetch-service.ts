// One fetch run for one followed query: ask YouTube for what is new, store it, go back for what
// YouTube indexed late, remember what is still missing. A run reads as its steps:
//
//   plan (fetch-plan.ts) -> search the head, storing each page -> advance the watermarks
//   (watermarks.ts, pure) -> save the state -> backfill pending ranges with the pages left ->
//   record the outcome and return what changed (the job processor notifies readers).
//
// The rules that keep the copy complete:
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
//   without a token that may be YouTube's ~500-result cap), the range it did not cover is
//   pending. Later runs spend their remaining pages on pending ranges, newest first, each with
//   its own publishedBefore (so recovery is not limited to 500 results), moving a range's upper
//   bound down only after the page below it is stored.
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
//   and a crash after it leaves everything the head did not store pending. Each backfill page
//   saves the ranges again once its videos are stored.
// - Keys. Every call takes a key from the pool (search-call.ts); when no project has searches
//   left the run ends without a call.
// - MySQL away. A write that fails because MySQL is unreachable (after the searches it stores
//   were paid for) is retried with backoff for up to `storeRetryMs`, so a short outage costs no
//   quota; past that the run fails and a later one searches again from the unchanged marks.
// Storing is idempotent (upsert), so a run that repeats or overlaps another never duplicates.
import pRetry, { AbortError } from 'p-retry';
import { isMysqlUnavailable } from '../platform/errors.js';
import type { Clock } from '../platform/clock.js';
import type { SearchQueryRow } from '../platform/db/schema.js';
import type { Logger } from '../platform/logger.js';
import type { SearchQueryRepository } from '../catalog/search-query-repository.js';
import type { VideoInput } from '../catalog/video.js';
import type { VideoRepository } from '../catalog/video-repository.js';
import { STRETCH_MAX_STORED, headPageBudget, headWindowStart, stretchCandidates, stretchedStart, type RunPlan } from './fetch-plan.js';
import { createSearchCall, type RetrySettings, type SearchCall, type SearchCallDeps } from './search-call.js';
import { afterHeadPage, atResultCap, byWindow, cutShort, headHasMore, rangeProgress, unverifiedMs, type HeadPageVerdict } from './search-pages.js';
import {
  SWEEP_FULL_PAGE,
  advanceWatermarks,
  backlogSeconds,
  coveredDownTo,
  decodeRanges,
  decodeSweepMarks,
  encodeRanges,
  encodeSweepMarks,
  normaliseRanges,
  sweepMarksFor,
  sweepStretches,
  type AdvancedWatermarks,
  type HeadReach,
  type SweepMarks,
  type SweepStretch,
  type TimeRange,
} from './watermarks.js';
import type { SearchPage } from './youtube/youtube-client.js';
import { NoUsableKeyError, QuotaExhaustedError, YoutubeApiError } from './youtube/youtube-errors.js';

export type { RetrySettings } from './search-call.js';
export { SEARCH_RELIABLE_AGE_MS } from './search-pages.js';
export {
  backlogSeconds,
  decodeRanges,
  decodeSweepMarks,
  encodeRanges,
  encodeSweepMarks,
  normaliseRanges,
  sweepMarksFor,
  type SweepMarks,
  type TimeRange,
} from './watermarks.js';

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
  /** When the run began (ISO 8601, the service's clock); it ended `durationMs` later. */
  readonly startedAt: string;
  readonly durationMs: number;
  /**
   * The run wrote videos readers see (inserted, updated, linked to the query, or stored from
   * outside the window): the page-1 snapshots of every video and of this query are behind.
   */
  readonly videosChanged: boolean;
  /** The feed scopes of followed channels that list a video the run wrote (their page 1 is behind too). */
  readonly channelScopes: readonly number[];
}

export interface FetchServiceDeps {
  readonly videos: Pick<VideoRepository, 'upsertBatch' | 'rebuildCounts' | 'countPublishedBetween' | 'publishedTimesSince'>;
  readonly queries: Pick<SearchQueryRepository, 'findById' | 'recordOutcome' | 'saveFetchState'>;
  readonly pool: SearchCallDeps['pool'];
  readonly youtube: SearchCallDeps['youtube'];
  readonly clock: Clock;
  readonly log: Logger;
  readonly settings: FetchSettings;
  readonly retry: RetrySettings;
  /** How long a write is retried while MySQL is unreachable (default 0: not retried). */
  readonly storeRetryMs?: number;
  /**
   * Throws (FetchLeaseLostError) when the run no longer holds its query's fetch lease: checked
   * before every search call, so such a run stops spending quota (fetch-lease.ts).
   */
  readonly assertLeaseHeld?: (queryId: number) => void;
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

/** What the steps of a run share: the service's dependencies and what follows from its settings. */
interface RunDeps {
  readonly videos: FetchServiceDeps['videos'];
  readonly queries: FetchServiceDeps['queries'];
  readonly clock: Clock;
  readonly settings: FetchSettings;
  readonly storeRetryMs: number;
  readonly assertLeaseHeld: (queryId: number) => void;
  readonly search: SearchCall;
  /** Sweep delays, shallowest first; the deepest bounds how late a video may be indexed. */
  readonly delays: readonly number[];
  readonly overlapOnly: boolean;
}

/**
 * What a run has done so far, filled in by its steps: the counts its result reports, and the
 * pending ranges as last read or saved (what a run cut short by quota or key failures reports).
 */
interface RunLedger {
  searchCalls: number;
  inserted: number;
  updated: number;
  linked: number;
  outsideWindow: number;
  foundBelowHead: number;
  sweepsQueued: number;
  capHits: number;
  unverifiedSeconds: number;
  rangesSetAside: number;
  pending: readonly TimeRange[];
  /** Followed channels' feed scopes that list a video the run wrote. */
  channelScopes: Set<number>;
}

/** One run: its query, its settled start, its logger, and its ledger. */
interface Run {
  readonly queryId: number;
  readonly q: string;
  readonly startedAt: number;
  readonly log: Logger;
  readonly ledger: RunLedger;
}

/** How the head went: how far it reached (for the watermarks) and the pages it used. */
interface HeadOutcome extends HeadReach {
  readonly pagesUsed: number;
}

export function createFetchService(deps: FetchServiceDeps) {
  const overlapOnly = deps.settings.overlapOnly === true;
  const runDeps: RunDeps = {
    videos: deps.videos,
    queries: deps.queries,
    clock: deps.clock,
    settings: deps.settings,
    storeRetryMs: deps.storeRetryMs ?? 0,
    assertLeaseHeld: deps.assertLeaseHeld ?? (() => undefined),
    search: createSearchCall(deps),
    delays: [...new Set([deps.settings.overlapMs, ...(overlapOnly ? [] : (deps.settings.sweepDelaysMs ?? []))])].sort((a, b) => a - b),
    overlapOnly,
  };

  async function run(queryId: number, options: RunOptions = {}): Promise<FetchRunResult> {
    const budget = options.sweepSearchesPerHour ?? Number.POSITIVE_INFINITY;
    // The settled point, taken before the head's first call (see RunPlan.startedAt).
    const startedAt = deps.clock.now().getTime();
    const query = await deps.queries.findById(queryId);
    const ledger = emptyLedger();
    if (query === undefined || query.enabled !== 1) return runResult(deps.clock, { queryId, startedAt, ledger }, 'skipped');
    const current: Run = { queryId, q: query.text, startedAt, log: deps.log.child({ queryId, query: query.text }), ledger };
    ledger.pending = normaliseRanges(decodeRanges(query.pending_ranges));
    try {
      const plan = await planRun(runDeps, current, query);
      const head = await searchHead(runDeps, current, plan);
      const next = await advance(runDeps, current, plan, head, budget);
      await saveState(runDeps, current, next);
      await backfill(runDeps, current, runDeps.settings.maxPages - head.pagesUsed);
      return await finishRun(runDeps, current);
    } catch (error) {
      return failRun(runDeps, current, error);
    }
  }

  return { run };
}

const emptyLedger = (): RunLedger => ({
  channelScopes: new Set(),
  searchCalls: 0,
  inserted: 0,
  updated: 0,
  linked: 0,
  outsideWindow: 0,
  foundBelowHead: 0,
  sweepsQueued: 0,
  capHits: 0,
  unverifiedSeconds: 0,
  rangesSetAside: 0,
  pending: [],
});

/** Step 1, plan: the state the run starts from, the head's window and its pages. */
async function planRun(deps: RunDeps, run: Run, query: Pick<SearchQueryRow, 'head_mark' | 'sweep_marks'>): Promise<RunPlan> {
  const headMark = query.head_mark;
  const start = headWindowStart(headMark, run.startedAt, deps.settings);
  const sweepMarks = sweepMarksFor(deps.delays, decodeSweepMarks(query.sweep_marks), start, {
    overlapMs: deps.settings.overlapMs,
    established: headMark !== null,
  });
  const after = deps.overlapOnly || headMark === null ? start : await stretchedHeadStart(deps, run, start, sweepMarks);
  const pending = run.ledger.pending;
  return { startedAt: run.startedAt, headMark, sweepMarks, pending, after, headPages: headPageBudget(deps.settings.maxPages, pending.length) };
}

/**
 * Stretches the head's window down to the deepest sweep mark whose stretch is not done, when
 * the query's stored videos since that mark fit the head's one page with room to spare: the
 * sweep is then free.
 */
async function stretchedHeadStart(deps: RunDeps, run: Run, after: Date, marks: SweepMarks): Promise<Date> {
  const candidates = stretchCandidates(marks, after, run.startedAt);
  if (candidates.length === 0) return after;
  // One read: the publish times of the newest stored videos down to the deepest candidate.
  const newestStored = await deps.videos.publishedTimesSince(run.queryId, candidates[0]!, STRETCH_MAX_STORED + 1);
  return stretchedStart(candidates, newestStored, after);
}

/**
 * Step 2, the head: everything since `plan.after`, page by page, each page stored before the
 * next is asked for, until the results end, a page reaches stored ground or brings nothing
 * new, or the head's pages run out.
 */
async function searchHead(deps: RunDeps, run: Run, plan: RunPlan): Promise<HeadOutcome> {
  const { after, headMark } = plan;
  let pageToken: string | undefined;
  let results = 0;
  let pagesUsed = 0;
  let lowest: Date | null = null;
  let newestSeen: Date | null = null;
  // Pages running out leaves the head as a page with more below would: stopped above stored ground.
  let verdict: HeadPageVerdict = 'next';
  while (pagesUsed < plan.headPages) {
    const page = await searchPage(deps, run, { publishedAfter: after }, pageToken);
    pagesUsed++;
    const { inside, outside, oldest, newest } = byWindow(page.videos, after, null);
    if (oldest !== null && (lowest === null || oldest < lowest)) lowest = oldest;
    if (newest !== null && (newestSeen === null || newest > newestSeen)) newestSeen = newest;
    results += page.itemCount;
    const cut = cutShort(page, results, deps.settings.pageSize);
    // A page that reaches back to the newest video stored before this run holds every new one above it.
    const more = headHasMore(page, cut, headMark !== null && oldest !== null && oldest <= headMark);
    if (more && page.nextPageToken === null) capReached(run, after, oldest, results);
    const fresh = await storePage(deps, run, inside, outside);
    verdict = afterHeadPage(page, cut, more, fresh);
    if (verdict !== 'next') break;
    pageToken = page.nextPageToken ?? undefined;
  }
  const coveredToAfter = verdict === 'results-ended';
  if (coveredToAfter) searchedThrough(run, { after, before: new Date(run.startedAt) }, run.ledger.linked);
  return { after, lowest, newestSeen, reachedStored: coveredToAfter || verdict === 'reached-stored', coveredToAfter, pagesUsed };
}

/**
 * Step 3, advance: the new head mark, sweep marks and pending ranges (watermarks.ts), after one
 * count of stored videos per sweep stretch the head left open, deepest first.
 */
async function advance(deps: RunDeps, run: Run, plan: RunPlan, head: HeadOutcome, budget: number): Promise<AdvancedWatermarks> {
  const stretches = sweepStretches(plan.sweepMarks, coveredDownTo(head), run.startedAt);
  const storedIn = deps.overlapOnly ? new Map<number, number>() : await countStretches(deps, run, stretches);
  return advanceWatermarks(plan, head, { stretches, storedIn, budget, policy: { overlapOnly: deps.overlapOnly, overlapMs: deps.settings.overlapMs } }, run.startedAt);
}

/**
 * The query's stored videos in each open stretch, counted as far as the run's pages could take,
 * so a busy query's cost is not capped at one page's worth.
 */
async function countStretches(deps: RunDeps, run: Run, stretches: readonly SweepStretch[]): Promise<Map<number, number>> {
  const storedIn = new Map<number, number>();
  for (const stretch of stretches) {
    if (stretch.seen) continue;
    storedIn.set(stretch.delay, await deps.videos.countPublishedBetween(run.queryId, stretch.mark, stretch.upper, SWEEP_FULL_PAGE * deps.settings.maxPages));
  }
  return storedIn;
}

/** Step 4, save: pending ranges, head mark and sweep marks, in one statement. */
async function saveState(deps: RunDeps, run: Run, next: AdvancedWatermarks): Promise<void> {
  run.ledger.sweepsQueued = next.sweepsQueued;
  await savePending(deps, run, next.pending, { head: next.headMark, sweeps: next.sweepMarks });
}

/** Saves the pending ranges (and, when given, the marks): the ledger holds what was last saved. */
async function savePending(deps: RunDeps, run: Run, ranges: readonly TimeRange[], marks?: { head: Date | null; sweeps: SweepMarks }): Promise<void> {
  const pending = normaliseRanges(ranges);
  run.ledger.pending = pending;
  await durably(deps, run, () =>
    deps.queries.saveFetchState(run.queryId, {
      pendingRanges: encodeRanges(pending),
      ...(marks === undefined ? {} : { headMark: marks.head, sweepMarks: encodeSweepMarks(marks.sweeps) }),
    }),
  );
}

/** Step 5, backfill: the pages left go to pending ranges, newest first. */
async function backfill(deps: RunDeps, run: Run, pagesLeft: number): Promise<void> {
  let left = pagesLeft;
  while (left > 0 && run.ledger.pending.length > 0) {
    const [range, ...rest] = run.ledger.pending;
    // `rest`: the other ranges, as they were before this one was touched: every save keeps them
    // whatever becomes of this one.
    left = await backfillRange(deps, run, range!, rest, left);
  }
}

/**
 * Pages of one pending range while it has pages and the run has some left, its progress saved
 * after each page is stored. Returns the pages left.
 */
async function backfillRange(deps: RunDeps, run: Run, range: TimeRange, rest: readonly TimeRange[], pagesLeft: number): Promise<number> {
  let left = pagesLeft;
  let token: string | undefined;
  let results = 0;
  let found = 0;
  let before = range.before;
  for (;;) {
    const page = await searchRangePage(deps, run, range, token);
    if (page === null) {
      run.ledger.rangesSetAside++;
      await savePending(deps, run, rest);
      return left;
    }
    left--;
    const { inside, outside, oldest } = byWindow(page.videos, range.after, range.before);
    const fresh = await storePage(deps, run, inside, outside);
    run.ledger.foundBelowHead += fresh;
    found += fresh;
    results += page.itemCount;
    const cut = cutShort(page, results, deps.settings.pageSize);
    if (cut) capReached(run, range.after, oldest, results);
    const progress = rangeProgress(range, before, page, cut, oldest);
    before = progress.before;
    if (progress.done) {
      searchedThrough(run, range, found);
      await savePending(deps, run, rest); // covered
      return left;
    }
    await savePending(deps, run, [{ after: range.after, before }, ...rest]);
    if (page.nextPageToken === null || left === 0) return left;
    token = page.nextPageToken;
  }
}

/** One page of a pending range; null when YouTube refuses to search it as malformed. */
async function searchRangePage(deps: RunDeps, run: Run, range: TimeRange, token: string | undefined): Promise<SearchPage | null> {
  try {
    return await searchPage(deps, run, { publishedAfter: range.after, publishedBefore: range.before }, token);
  } catch (error) {
    const cause = error instanceof AbortError ? error.originalError : error;
    if (!(cause instanceof YoutubeApiError) || cause.kind !== 'request') throw error;
    // Asking again would fail again (and be charged) on every run. The range is set aside,
    // loudly, so the others go on.
    run.log.error({ after: range.after.toISOString(), before: range.before.toISOString(), reason: cause.reason }, 'a pending range YouTube refuses to search was set aside');
    return null;
  }
}

/** One search page of the run's query in a window, counted in the ledger. */
async function searchPage(deps: RunDeps, run: Run, window: { publishedAfter: Date; publishedBefore?: Date }, pageToken: string | undefined): Promise<SearchPage> {
  // A run that lost its lease could save nothing of what it finds: no quota spent on it.
  deps.assertLeaseHeld(run.queryId);
  return deps.search(
    { q: run.q, ...window, maxResults: deps.settings.pageSize, ...(pageToken ? { pageToken } : {}) },
    { log: run.log, countCall: () => void run.ledger.searchCalls++ },
  );
}

/**
 * Stores a page: what is inside the window counts; what YouTube added from outside does not.
 * Returns the videos newly linked to the query.
 */
async function storePage(deps: RunDeps, run: Run, inside: readonly VideoInput[], outside: readonly VideoInput[]): Promise<number> {
  let linked = 0;
  for (const [batch, counted] of [
    [inside, true],
    [outside, false],
  ] as const) {
    if (batch.length === 0) continue;
    const stored = await durably(deps, run, () => deps.videos.upsertBatch(batch, { queryId: run.queryId }));
    if (stored.countsDrifted) {
      // Should never happen; if it does, page counts would stay wrong until repaired.
      run.log.error('feed counts found inconsistent; rebuilding them');
      await deps.videos.rebuildCounts();
    }
    for (const scope of stored.channelScopes) run.ledger.channelScopes.add(scope);
    if (counted) {
      run.ledger.inserted += stored.inserted;
      run.ledger.updated += stored.updated;
      run.ledger.linked += stored.linked;
      linked += stored.linked;
    } else {
      run.ledger.outsideWindow += batch.length;
    }
  }
  if (outside.length > 0) run.log.info({ videos: outside.length }, 'YouTube returned videos outside the window asked for: stored, not counted as new');
  return linked;
}

/**
 * A write after searches, retried while MySQL is unreachable. Every write of a run is
 * idempotent (upserts, ranges and marks set outright), so one that landed before its answer
 * was lost is harmless to repeat.
 */
async function durably<T>(deps: RunDeps, run: Run, write: () => Promise<T>): Promise<T> {
  if (deps.storeRetryMs === 0) return write();
  return pRetry(write, {
    retries: Number.POSITIVE_INFINITY,
    maxRetryTime: deps.storeRetryMs,
    factor: 2,
    minTimeout: STORE_RETRY_MIN_DELAY_MS,
    maxTimeout: STORE_RETRY_MAX_DELAY_MS,
    randomize: true,
    shouldRetry: ({ error }) => isMysqlUnavailable(error),
    onFailedAttempt: ({ error, attemptNumber }) => {
      if (isMysqlUnavailable(error)) {
        run.log.warn({ attempt: attemptNumber, err: { message: error.message, code: (error as { code?: unknown }).code } }, 'MySQL unreachable; retrying the write');
      }
    },
  });
}

/**
 * A search sequence ended without a next page where matches may be left (cutShort). The
 * stretch below stays pending (one more search settles it); near the cap it is reported.
 */
function capReached(run: Run, after: Date, reachedDownTo: Date | null, resultsInSequence: number): void {
  if (!atResultCap(resultsInSequence)) return;
  run.ledger.capHits++;
  run.log.warn(
    { publishedAfter: after.toISOString(), reachedDownTo: reachedDownTo?.toISOString() ?? null },
    'search result cap reached: the older stretch is kept as a pending range for later runs',
  );
}

/**
 * A range searched to its end (every page): what search could return of it is stored. Part
 * of it older than SEARCH_RELIABLE_AGE_MS may have lost results on YouTube's side; that is
 * said, never claimed complete.
 */
function searchedThrough(run: Run, range: TimeRange, found: number): void {
  const unverified = unverifiedMs(range, run.startedAt);
  if (unverified === 0) return;
  run.ledger.unverifiedSeconds += unverified / 1000;
  run.log.warn(
    { after: range.after.toISOString(), before: range.before.toISOString(), found, unverifiedSeconds: unverified / 1000 },
    'searched a range older than search keeps complete: its videos are stored as found, but some may be missing for good',
  );
}

/** Step 6, report: the outcome recorded on the query, and the run's result. */
async function finishRun(deps: RunDeps, run: Run): Promise<FetchRunResult> {
  const { ledger } = run;
  const outcome: FetchOutcome = ledger.pending.length > 0 ? 'partial' : 'ok';
  await durably(deps, run, () => deps.queries.recordOutcome(run.queryId, outcome, null, ledger.linked));
  const summary = runResult(deps.clock, run, outcome);
  run.log.info(
    {
      outcome,
      calls: ledger.searchCalls,
      inserted: ledger.inserted,
      updated: ledger.updated,
      linked: ledger.linked,
      foundBelowHead: ledger.foundBelowHead,
      outsideWindow: ledger.outsideWindow,
      sweepsQueued: ledger.sweepsQueued,
      pendingRanges: ledger.pending.length,
      backlogSeconds: backlogSeconds(ledger.pending),
    },
    'fetch run finished',
  );
  return summary;
}

/** A run that failed: out of quota or keys is an outcome; anything else is recorded and thrown. */
async function failRun(deps: RunDeps, run: Run, error: unknown): Promise<FetchRunResult> {
  const cause = error instanceof AbortError ? error.originalError : error;
  if (cause instanceof QuotaExhaustedError) {
    await deps.queries.recordOutcome(run.queryId, 'quota_exhausted', cause.message, run.ledger.linked);
    run.log.warn({ resetAt: cause.resetAt.toISOString() }, 'every YouTube project is out of search quota; no search until the reset');
    return runResult(deps.clock, run, 'quota_exhausted', cause.resetAt);
  }
  if (cause instanceof NoUsableKeyError) {
    await deps.queries.recordOutcome(run.queryId, cause.state, cause.message, run.ledger.linked);
    run.log.error({ state: cause.state }, cause.message);
    return runResult(deps.clock, run, cause.state);
  }
  const message = cause instanceof Error ? cause.message : 'fetch failed';
  await deps.queries.recordOutcome(run.queryId, 'failed', message, run.ledger.linked).catch(() => undefined);
  throw cause;
}

/** The result of a run that did nothing (its query disabled, or being fetched by another job). */
export function idleRunResult(queryId: number, outcome: FetchOutcome, clock: Clock): FetchRunResult {
  return runResult(clock, { queryId, startedAt: clock.now().getTime(), ledger: emptyLedger() }, outcome);
}

function runResult(clock: Clock, run: Pick<Run, 'queryId' | 'startedAt' | 'ledger'>, outcome: FetchOutcome, quotaResetAt: Date | null = null): FetchRunResult {
  const { ledger } = run;
  return {
    queryId: run.queryId,
    outcome,
    searchCalls: ledger.searchCalls,
    inserted: ledger.inserted,
    updated: ledger.updated,
    linked: ledger.linked,
    outsideWindow: ledger.outsideWindow,
    foundBelowHead: ledger.foundBelowHead,
    sweepsQueued: ledger.sweepsQueued,
    capHits: ledger.capHits,
    unverifiedSeconds: ledger.unverifiedSeconds,
    rangesSetAside: ledger.rangesSetAside,
    pendingRanges: ledger.pending.length,
    quotaResetAt: quotaResetAt?.toISOString() ?? null,
    startedAt: new Date(run.startedAt).toISOString(),
    durationMs: clock.now().getTime() - run.startedAt,
    videosChanged: ledger.inserted + ledger.updated + ledger.linked + ledger.outsideWindow > 0,
    channelScopes: [...ledger.channelScopes].sort((a, b) => a - b),
  };
}
