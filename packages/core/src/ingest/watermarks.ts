// Where a query's fetching stands, and how a run moves it: the head mark (where the next head
// starts), each sweep delay's mark (every video published up to it was searched for at least
// once when it was that old) and the pending ranges (publish time still to search). How they
// are kept on the query (JSON in `search_queries`) and how a run advances them, as pure
// functions of what the run's head reached: fetch-service.ts reads the state, runs the head,
// and saves what `advanceWatermarks` returns in one statement.

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
export const wholeSecond = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

const minDate = (a: Date, b: Date): Date => (a <= b ? a : b);

/**
 * Stored videos in a sweep stretch that make it worth a page of its own: a page holds 50, and
 * the few found late must still fit, or the sweep costs a second page.
 */
export const SWEEP_FULL_PAGE = 45;

/**
 * The new head mark: the newest publish time the head's pages returned inside their window, when
 * newer than the old mark; never above the run's start (a publish time in the future would hold
 * the head there).
 */
export function advanceHeadMark(old: Date | null, newestSeen: Date | null, startedAt: number): Date | null {
  if (newestSeen === null || (old !== null && newestSeen <= old)) return old;
  return newestSeen.getTime() > startedAt ? new Date(startedAt) : newestSeen;
}

/**
 * A sweep delay's stretch as the head left it: `seen` when the head's pages reached down to its
 * mark (the mark moves to `target` for free), otherwise open from `mark` up to `upper` (what the
 * head did not reach, at most `target`).
 */
export type SweepStretch =
  | { readonly delay: number; readonly target: Date; readonly seen: true }
  | { readonly delay: number; readonly target: Date; readonly seen: false; readonly mark: Date; readonly upper: Date };

/**
 * Each delay's stretch, deepest delay first, leaving out delays whose mark is already at their
 * target (`startedAt` - delay). `covered`: how far down the head saw everything (null: nowhere).
 */
export function sweepStretches(marks: SweepMarks, covered: Date | null, startedAt: number): SweepStretch[] {
  const stretches: SweepStretch[] = [];
  for (const [delay, mark] of [...marks].sort(([a], [b]) => b - a)) {
    const target = wholeSecond(startedAt - delay);
    if (mark >= target) continue;
    if (covered !== null && covered <= mark) {
      // The head's pages reached it: everything up to `target` was seen when it was old enough.
      stretches.push({ delay, target, seen: true });
      continue;
    }
    // What the head did not reach; above `covered` it saw everything at `startedAt`.
    stretches.push({ delay, target, seen: false, mark, upper: covered === null ? target : minDate(covered, target) });
  }
  return stretches;
}

export interface SweepPolicy {
  /** The design before sweeps: one look after the overlap, only while the quota has slack. */
  readonly overlapOnly: boolean;
  readonly overlapMs: number;
}

/** What to do with one open stretch: its cost against the budget, a second look, the mark moved. */
interface SweepDecision {
  readonly costPerHour: number;
  readonly look: boolean;
  readonly advance: boolean;
}

type OpenStretch = Extract<SweepStretch, { seen: false }>;

function overlapOnlyDecision(stretch: OpenStretch, left: number, overlapMs: number): SweepDecision {
  // No slack: no second look.
  if (left !== Number.POSITIVE_INFINITY) return { costPerHour: 0, look: false, advance: true };
  const ripe = stretch.upper.getTime() - stretch.mark.getTime() >= overlapMs / 2;
  return { costPerHour: 0, look: ripe, advance: ripe };
}

function budgetedDecision(stretch: OpenStretch, stored: number, left: number): SweepDecision {
  const widthMs = stretch.upper.getTime() - stretch.mark.getTime();
  const ripe = widthMs >= stretch.delay || stored >= SWEEP_FULL_PAGE;
  // What sweeping this delay costs per hour: a page per SWEEP_FULL_PAGE videos, and at least
  // one per `delay` (a quiet query's stretch ripens by its width).
  const perHour = Math.max(((stored / Math.max(widthMs, 60_000)) * 3_600_000) / SWEEP_FULL_PAGE, 3_600_000 / stretch.delay);
  // Not within the budget. A stretch not ripe yet waits (the budget may allow it when it is); a
  // ripe one is skipped: a deeper sweep, or none, finds what it would have.
  if (perHour > left) return { costPerHour: 0, look: false, advance: ripe };
  return { costPerHour: perHour, look: ripe, advance: ripe };
}

/**
 * Moves each delay's mark and queues the stretches that need a second look, deepest first while
 * the budget (searches per hour) lasts. `storedIn`: the query's stored videos in each open
 * stretch, by delay.
 */
export function advanceSweepMarks(
  marks: SweepMarks,
  stretches: readonly SweepStretch[],
  storedIn: ReadonlyMap<number, number>,
  budget: number,
  policy: SweepPolicy,
): { marks: Map<number, Date>; ranges: TimeRange[] } {
  const next = new Map(marks);
  const ranges: TimeRange[] = [];
  let left = budget;
  for (const stretch of stretches) {
    if (stretch.seen) {
      next.set(stretch.delay, stretch.target);
      continue;
    }
    const decision = policy.overlapOnly
      ? overlapOnlyDecision(stretch, left, policy.overlapMs)
      : budgetedDecision(stretch, storedIn.get(stretch.delay) ?? 0, left);
    left -= decision.costPerHour;
    if (decision.look && stretch.upper > stretch.mark) ranges.push({ after: stretch.mark, before: stretch.upper });
    if (decision.advance) next.set(stretch.delay, stretch.target);
  }
  return { marks: next, ranges };
}

/** How far the head went, as `advanceWatermarks` needs it. */
export interface HeadReach {
  /** The head window's start (`publishedAfter` of its calls). */
  readonly after: Date;
  /** The oldest publish time its pages returned inside the window. */
  readonly lowest: Date | null;
  /** The newest publish time its pages returned inside the window. */
  readonly newestSeen: Date | null;
  /** Its pages reached stored ground (or the end of the results): nothing below is missing. */
  readonly reachedStored: boolean;
  /** The results ended before the page cap: everything since `after` was seen. */
  readonly coveredToAfter: boolean;
}

export interface Watermarks {
  readonly headMark: Date | null;
  readonly sweepMarks: SweepMarks;
  readonly pending: readonly TimeRange[];
}

export interface AdvancedWatermarks extends Watermarks {
  /** Sweep stretches queued as pending ranges for a second look. */
  readonly sweepsQueued: number;
}

/** How far down the head saw everything: its window's start when the results ended, else the lowest it reached. */
export const coveredDownTo = (head: HeadReach): Date | null => (head.coveredToAfter ? head.after : head.lowest);

/**
 * The state after the head: the head mark moved to the newest video it saw, each sweep mark moved
 * as `advanceSweepMarks` says, and pending the old ranges, what the head did not reach (when it
 * stopped above stored ground) and the sweeps queued.
 */
export function advanceWatermarks(
  before: Watermarks,
  head: HeadReach,
  sweeps: { readonly stretches: readonly SweepStretch[]; readonly storedIn: ReadonlyMap<number, number>; readonly budget: number; readonly policy: SweepPolicy },
  startedAt: number,
): AdvancedWatermarks {
  const unreached = !head.reachedStored && head.lowest !== null ? [{ after: head.after, before: head.lowest }] : [];
  const swept = advanceSweepMarks(before.sweepMarks, sweeps.stretches, sweeps.storedIn, sweeps.budget, sweeps.policy);
  return {
    headMark: advanceHeadMark(before.headMark, head.newestSeen, startedAt),
    sweepMarks: swept.marks,
    pending: normaliseRanges([...before.pending, ...unreached, ...swept.ranges]),
    sweepsQueued: swept.ranges.length,
  };
}
