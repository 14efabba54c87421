// Planning a fetch run, before its first call: where the head's window starts, whether it is
// stretched down to a sweep mark at no extra page, and how many pages the head may use. Pure
// but for the one read of stored publish times the stretch needs (fetch-service.ts makes it).
import { wholeSecond, type SweepMarks, type Watermarks } from './watermarks.js';

/**
 * Stored videos a window may hold for the head to be stretched over it: the head's one page
 * then holds them, plus room for new and late videos, at no extra call.
 */
export const STRETCH_MAX_STORED = 35;

/** A run's plan: the state it starts from and what its head will search. */
export interface RunPlan extends Watermarks {
  /**
   * When the run started, before its first call: every sweep stretch is measured from it, so a
   * run slowed by stalls and retries never counts a video indexed after its pages were answered
   * as seen.
   */
  readonly startedAt: number;
  /** The head window's start (`publishedAfter` of every head call). */
  readonly after: Date;
  /** Pages the head may use. */
  readonly headPages: number;
}

/**
 * Where the head's window starts before any stretch: the head mark minus the overlap, or the
 * look-back from the run's start when no head has completed yet (a new query, or its first run
 * died before its state was saved; stored videos alone prove nothing).
 */
export function headWindowStart(headMark: Date | null, startedAt: number, settings: { readonly overlapMs: number; readonly lookbackMs: number }): Date {
  return wholeSecond(headMark === null ? startedAt - settings.lookbackMs : headMark.getTime() - settings.overlapMs);
}

/**
 * Sweep marks the head's window could be stretched down to, oldest first: below its start, and
 * with a stretch not done yet (the mark below `startedAt` minus its delay).
 */
export function stretchCandidates(marks: SweepMarks, after: Date, startedAt: number): Date[] {
  return [...marks]
    .filter(([delay, mark]) => mark < after && mark.getTime() < startedAt - delay)
    .map(([, mark]) => mark)
    .sort((a, b) => a.getTime() - b.getTime());
}

/**
 * The deepest candidate whose stretch holds few enough stored videos for the head's one page,
 * or `after` when none does. `newestStored`: the publish times of the query's newest stored
 * videos down to the deepest candidate, newest first, at most STRETCH_MAX_STORED + 1 of them.
 */
export function stretchedStart(candidates: readonly Date[], newestStored: readonly Date[], after: Date): Date {
  const boundary = newestStored[STRETCH_MAX_STORED];
  return candidates.find((mark) => boundary === undefined || boundary < mark) ?? after;
}

/**
 * Pages the head may use. With ranges pending, it leaves at least one page for them, so a busy
 * head can never starve the backfill (FETCH_MAX_PAGES is at least 2).
 */
export const headPageBudget = (maxPages: number, pendingRanges: number): number => (pendingRanges > 0 ? Math.max(1, maxPages - 1) : maxPages);
