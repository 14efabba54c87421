// A feed scope's counts per bucket (ten minutes) held in memory (feed-buckets.ts), so an API process finds where
// an offset lands without asking MySQL: a page is then one statement, reading the page's rows.
//
// The layout is read in one statement (total and buckets from one moment) and kept until the
// scope changes: the API drops it when the worker announces a new page-1 snapshot of the scope
// (feed/snapshot-cache.ts), which it does after every store that changed the scope, and after
// 5 s whatever happens (a change no notice names, a replica that was behind). A page
// located with it is the page as of that moment wherever the scope has not changed since: new
// videos land in the newest buckets, and the rows of older buckets, their counts and the total the
// page reports are those the layout saw, until the next announcement replaces it.
import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import { BUCKET_MS } from './feed-buckets.js';

export interface FeedLayout {
  readonly total: number;
  /** The scope's non-empty buckets, oldest first: start (ms), videos older than it, videos in it. */
  readonly starts: readonly number[];
  readonly below: readonly number[];
  readonly counts: readonly number[];
}

/** Where the row at `offset` from the newest end is: the end of its bucket and how many newer rows of that bucket come first. */
export interface LocatedOffset {
  readonly end: Date;
  readonly skip: number;
}

/**
 * Buckets a layout may hold: nearly two years of ten-minute buckets with videos (a ~3 MB
 * read). A scope that spans more is located in SQL per page instead (two statements), so a long
 * history never makes every change cost a large read in every API process.
 */
export const MAX_LAYOUT_BUCKETS = 100_000;

/** Reads a scope's layout, total included, in one statement; null when it spans more than MAX_LAYOUT_BUCKETS. */
export async function readFeedLayout(db: Kysely<Database>, scope: number): Promise<FeedLayout | null> {
  const rows = await db
    .selectFrom('feed_scopes as s')
    .leftJoin('feed_buckets as b', (join) => join.onRef('b.scope', '=', 's.scope').on('b.n', '>', 0))
    .select(['s.total', 'b.bucket_start', 'b.below', 'b.n'])
    .where('s.scope', '=', scope)
    .orderBy('b.below')
    .limit(MAX_LAYOUT_BUCKETS + 1)
    .execute();
  if (rows.length > MAX_LAYOUT_BUCKETS) return null;
  const starts: number[] = [];
  const below: number[] = [];
  const counts: number[] = [];
  for (const row of rows) {
    if (row.bucket_start === null || row.below === null || row.n === null) continue;
    starts.push(row.bucket_start.getTime());
    below.push(Number(row.below));
    counts.push(Number(row.n));
  }
  return { total: Number(rows[0]?.total ?? 0), starts, below, counts };
}

/**
 * The bucket holding the row at `offset` (0 = newest) and the rows of that bucket before it, as
 * video-repository.ts pageByOffset finds them in SQL; null past the end.
 */
export function locateOffset(layout: FeedLayout, offset: number): LocatedOffset | null {
  const { total, starts, below, counts } = layout;
  if (offset < 0 || offset >= total || starts.length === 0) return null;
  const bottomRank = total - 1 - offset;
  // The last bucket whose `below` is at most bottomRank.
  let lo = 0;
  let hi = below.length - 1;
  if (below[0]! > bottomRank) return null;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (below[mid]! <= bottomRank) lo = mid;
    else hi = mid - 1;
  }
  // Never negative, even with counts that drifted (a rebuild repairs them).
  return { end: new Date(starts[lo]! + BUCKET_MS), skip: Math.max(0, below[lo]! + counts[lo]! - 1 - bottomRank) };
}
