// Search results that are incomplete the way YouTube's are, so that client code learns not to
// trust them: short pages that still carry a nextPageToken, windowed searches that leak a few
// videos from just outside publishedAfter/publishedBefore, and old windows that return fewer
// videos than they did when they were new. Every draw is a pure function of the seed and the
// request (or the video), so the same request answers the same; each share can be set to 0.
import { hashString } from './seeded-random.js';

export interface SearchBehaviour {
  /** Share (0..1) of pages that hold only 40-90 % of their items and still carry a nextPageToken. Default 0.05. */
  shortPageShare: number;
  /** Share (0..1) of windowed requests whose page also carries 1-3 matching videos from just outside the window. Default 0.03. */
  windowLeakShare: number;
  /** Age (by the sim clock at request time) after which a video may fade out of search. Default 7 days. */
  fadeAfterMs: number;
  /** Share (0..1) of videos older than `fadeAfterMs` that search no longer returns (a stable per-video draw). Default 0.3. */
  fadeShare: number;
}

export const DEFAULT_SEARCH_BEHAVIOUR: Readonly<SearchBehaviour> = Object.freeze({
  shortPageShare: 0.05,
  windowLeakShare: 0.03,
  fadeAfterMs: 7 * 86_400_000,
  fadeShare: 0.3,
});

/** Nothing held back: pages full, windows exact, old videos still found. */
export const EXACT_SEARCH: Readonly<SearchBehaviour> = Object.freeze({ shortPageShare: 0, windowLeakShare: 0, fadeAfterMs: 7 * 86_400_000, fadeShare: 0 });

function share(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new RangeError(`${name} must be a number from 0 to 1`);
  return value;
}

/** Applies a partial change to the current behaviour (fields left out stay as they are). */
export function mergeSearchBehaviour(current: SearchBehaviour, change: Partial<SearchBehaviour>): SearchBehaviour {
  const next = { ...current };
  if (change.shortPageShare !== undefined) next.shortPageShare = share('shortPageShare', change.shortPageShare);
  if (change.windowLeakShare !== undefined) next.windowLeakShare = share('windowLeakShare', change.windowLeakShare);
  if (change.fadeShare !== undefined) next.fadeShare = share('fadeShare', change.fadeShare);
  if (change.fadeAfterMs !== undefined) {
    const ms = change.fadeAfterMs;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new RangeError('fadeAfterMs must be zero or more');
    next.fadeAfterMs = ms;
  }
  return next;
}

/** What identifies one search request for the draws: the same request draws the same. */
export interface PageRequest {
  q: string;
  order: string;
  publishedAfterMs?: number;
  publishedBeforeMs?: number;
  offset: number;
  maxResults: number;
}

function requestKey(kind: string, request: PageRequest): string {
  const { q, order, publishedAfterMs, publishedBeforeMs, offset, maxResults } = request;
  return `${kind}\u0000${q}\u0000${order}\u0000${publishedAfterMs ?? ''}\u0000${publishedBeforeMs ?? ''}\u0000${offset}\u0000${maxResults}`;
}

/** Two independent uniform draws in [0, 1) for a request. */
function draws(seed: number, kind: string, request: PageRequest): [number, number] {
  const key = requestKey(kind, request);
  return [hashString(key, seed) / 4_294_967_296, hashString(`${key}\u0000second`, seed) / 4_294_967_296];
}

/**
 * How many of a page's `available` items to return: all of them, or for a short page 40-90 % of
 * them (at least one, and always fewer than available, so the page is really short).
 */
export function shortPageLength(seed: number, behaviour: SearchBehaviour, request: PageRequest, available: number): number {
  if (behaviour.shortPageShare === 0 || available < 2) return available;
  const [roll, size] = draws(seed, 'short', request);
  if (roll >= behaviour.shortPageShare) return available;
  return Math.min(available - 1, Math.max(1, Math.floor(available * (0.4 + 0.5 * size))));
}

export interface WindowLeak {
  /** Videos to add, 1-3. */
  count: number;
  /** How far beyond the bound they may lie: from 5 minutes to 3 hours. */
  reachMs: number;
  /** Which bound they come from when the window has both. */
  side: 'after' | 'before';
}

const MIN_REACH_MS = 5 * 60_000;
const MAX_REACH_MS = 3 * 3_600_000;

/** Whether this windowed request leaks, and how; undefined for most requests and for unwindowed ones. */
export function windowLeak(seed: number, behaviour: SearchBehaviour, request: PageRequest): WindowLeak | undefined {
  const hasAfter = request.publishedAfterMs !== undefined;
  const hasBefore = request.publishedBeforeMs !== undefined;
  if (behaviour.windowLeakShare === 0 || (!hasAfter && !hasBefore)) return undefined;
  const [roll, shape] = draws(seed, 'leak', request);
  if (roll >= behaviour.windowLeakShare) return undefined;
  // One uniform draw split three ways: the count, the reach and the side.
  const count = 1 + Math.floor(shape * 3);
  const rest = shape * 3 - Math.floor(shape * 3);
  const reachMs = Math.round(MIN_REACH_MS + rest * (MAX_REACH_MS - MIN_REACH_MS));
  const side = hasAfter && hasBefore ? (Math.floor(rest * 1000) % 2 === 0 ? 'after' : 'before') : hasAfter ? 'after' : 'before';
  return { count, reachMs, side };
}

/** Whether search has stopped returning a video by now. */
export function faded(behaviour: SearchBehaviour, fadeDraw: number, publishedAtMs: number, nowMs: number): boolean {
  return fadeDraw < behaviour.fadeShare && publishedAtMs < nowMs - behaviour.fadeAfterMs;
}
