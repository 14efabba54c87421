// Google's quota as it stands: a project has three daily buckets, and each method draws on one
// of them. search.list has a bucket of its own counted in calls (100 a day by default, every
// page one call), videos.insert another (100 calls), and every other method shares one counted
// in units (10,000 a day; videos.list, channels.list, playlistItems.list … cost 1 unit each).
// Older documentation charged 100 of the shared 10,000 units per search; that model is gone.

export const QUOTA_BUCKETS = ['search', 'units', 'insert'] as const;
export type QuotaBucket = (typeof QUOTA_BUCKETS)[number];

/** search.list: one call of the search bucket, every page, also when rejected. */
export const SEARCH_COST = 1;
/** videos.list: one unit of the units bucket per call (up to 50 ids per call). */
export const VIDEOS_COST = 1;
/** channels.list and playlistItems.list: one unit of the units bucket per call. */
export const LIST_COST = 1;
/** videos.insert: one call of the insert bucket (the simulator does not serve videos.insert). */
export const INSERT_COST = 1;

/** The methods the quota model knows, with the bucket each one draws on and its price. */
export const METHOD_QUOTA = Object.freeze({
  'search.list': Object.freeze({ bucket: 'search', cost: SEARCH_COST }),
  'videos.list': Object.freeze({ bucket: 'units', cost: VIDEOS_COST }),
  'channels.list': Object.freeze({ bucket: 'units', cost: LIST_COST }),
  'playlistItems.list': Object.freeze({ bucket: 'units', cost: LIST_COST }),
  'videos.insert': Object.freeze({ bucket: 'insert', cost: INSERT_COST }),
} as const satisfies Record<string, { bucket: QuotaBucket; cost: number }>);

export type QuotaMethod = keyof typeof METHOD_QUOTA;

/** The bucket a method draws on: `search` for search.list, `insert` for videos.insert, `units` for every other method. */
export function quotaBucketOf(method: string): QuotaBucket {
  return method in METHOD_QUOTA ? METHOD_QUOTA[method as QuotaMethod].bucket : 'units';
}

/** Default daily size of each bucket, per project. */
export const DEFAULT_BUCKET_LIMITS: Readonly<Record<QuotaBucket, number>> = Object.freeze({
  search: 100,
  units: 10_000,
  insert: 100,
});

/** The option / field naming each bucket's daily limit. */
export const BUCKET_LIMIT_FIELDS = {
  search: 'searchCallsPerDay',
  units: 'unitsPerDay',
  insert: 'insertCallsPerDay',
} as const satisfies Record<QuotaBucket, string>;

/** The patch field naming how much of each bucket a project has used today. */
export const BUCKET_USED_FIELDS = {
  search: 'searchCallsUsed',
  units: 'unitsUsed',
  insert: 'insertCallsUsed',
} as const satisfies Record<QuotaBucket, string>;

/** Daily limits of the three buckets (any left out: the simulator's defaults). */
export interface BucketLimits {
  /** search.list calls per project per Pacific day. */
  searchCallsPerDay?: number;
  /** Units per project per Pacific day shared by every method other than search.list and videos.insert. */
  unitsPerDay?: number;
  /** videos.insert calls per project per Pacific day. */
  insertCallsPerDay?: number;
}

/** How much of each bucket a project has used today (any left out: unchanged). */
export interface BucketUsage {
  searchCalls?: number;
  units?: number;
  insertCalls?: number;
}

export const BUCKET_USAGE_FIELDS = {
  search: 'searchCalls',
  units: 'units',
  insert: 'insertCalls',
} as const satisfies Record<QuotaBucket, keyof BucketUsage>;

export interface BucketView {
  limit: number;
  used: number;
  remaining: number;
}

export function checkCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number from 0, got ${value}`);
  return value;
}
