// How a fetch run reads search pages (pure): which of a page's videos lie inside the window
// asked for, whether a sequence of pages may have more matches than its tokens say (YouTube's
// ~500-result cap), when the head stops paging, how far a pending range's page moves it, and
// what part of a searched range is too old for search to be complete.
import type { VideoInput } from '../catalog/video.js';
import type { SearchPage } from './youtube/youtube-client.js';
import type { TimeRange } from './watermarks.js';

/** YouTube stops paging at "roughly 500" results; a sequence ending without a token from here on hit it. */
export const RESULT_CAP_NEAR = 450;
/** Windows older than this return fewer results than they did when new (youtube-api.md). */
export const SEARCH_RELIABLE_AGE_MS = 7 * 86_400_000;

export interface WindowedPage {
  readonly inside: VideoInput[];
  readonly outside: VideoInput[];
  /** The oldest and newest publish times inside the window (null: nothing inside). */
  readonly oldest: Date | null;
  readonly newest: Date | null;
}

/** A page's videos split by the window asked for (bounds inclusive, to the second as sent). */
export function byWindow(videos: readonly VideoInput[], after: Date, before: Date | null): WindowedPage {
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

type PageEnd = Pick<SearchPage, 'nextPageToken' | 'itemCount'>;

/**
 * Whether a page with no next token may still have matches below it: a full page (most likely
 * an exact multiple of the page size, or the cap), or any page once the sequence is near
 * YouTube's ~500-result cap, where the last page before it can be short too. Only a missing
 * token below the cap ends the results.
 */
export const cutShort = (page: PageEnd, resultsInSequence: number, pageSize: number): boolean =>
  page.nextPageToken === null && (page.itemCount >= pageSize || resultsInSequence >= RESULT_CAP_NEAR);

/** A sequence cut short this far in hit YouTube's result cap (reported; what lies below stays pending). */
export const atResultCap = (resultsInSequence: number): boolean => resultsInSequence >= RESULT_CAP_NEAR;

/**
 * Whether matches may be left below a head page that the head should still page to: the page
 * has a token or was cut short, and did not reach back to the newest video stored before the
 * run (`reachesStored`): such a page holds every new one above it, and the pages below would
 * only repeat the overlap, so they are not paid for.
 */
export const headHasMore = (page: PageEnd, cut: boolean, reachesStored: boolean): boolean =>
  !reachesStored && (page.nextPageToken !== null || cut);

/**
 * What the head does after a page is stored:
 * - `results-ended`: no token and not cut short, so everything since the window's start was seen;
 * - `reached-stored`: the page reached stored ground, nothing below is missing;
 * - `stalled`: a page with nothing new that does not reach stored ground (a page repeated because
 *   newer videos were indexed between the calls) ends the paging, not the range;
 * - `cut-short`: no token, but matches may be left below (kept pending);
 * - `next`: on to the next page.
 */
export type HeadPageVerdict = 'results-ended' | 'reached-stored' | 'stalled' | 'cut-short' | 'next';

export function afterHeadPage(page: PageEnd, cut: boolean, more: boolean, fresh: number): HeadPageVerdict {
  if (page.nextPageToken === null && !cut) return 'results-ended';
  if (!more) return 'reached-stored';
  if (fresh === 0) return 'stalled';
  if (page.nextPageToken === null) return 'cut-short';
  return 'next';
}

/**
 * A pending range after one more page of it. Its upper bound moves down to the oldest video of
 * the page; a bound that cannot move (a page whose videos all sit at it) steps down one second
 * so the range always shrinks; a page with nothing inside the window moves nothing. It is done
 * when its results ended, or when the bound went below its start (the pages come newest first,
 * so they held everything in it).
 */
export function rangeProgress(range: TimeRange, before: Date, page: PageEnd, cut: boolean, oldest: Date | null): { before: Date; done: boolean } {
  const next = oldest === null ? before : oldest < before ? oldest : new Date(before.getTime() - 1000);
  return { before: next, done: (page.nextPageToken === null && !cut) || next < range.after };
}

/**
 * Of a range searched to its end, the publish time (ms) older than SEARCH_RELIABLE_AGE_MS at
 * `startedAt`: what search returned of it is stored, but some may be missing for good.
 */
export function unverifiedMs(range: TimeRange, startedAt: number): number {
  const reliableFrom = startedAt - SEARCH_RELIABLE_AGE_MS;
  return Math.max(0, Math.min(range.before.getTime(), reliableFrom) - range.after.getTime());
}
