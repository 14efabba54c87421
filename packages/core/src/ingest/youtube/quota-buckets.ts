// YouTube's quota as Google counts it today (youtube-api.md): each Google Cloud project has
// separate daily buckets, and each method draws from one of them. The service uses two:
// `search` (search.list: 100 calls a day by default, 1 per call, every page, even a failed one)
// and `units` (every other read method together: 10,000 units a day, 1 per videos.list,
// channels.list or playlistItems.list call). videos.insert has a bucket of its own, never used.
export const QUOTA_BUCKETS = ['search', 'units'] as const;
export type QuotaBucket = (typeof QUOTA_BUCKETS)[number];

/** What each method the service calls costs, and from which bucket. */
export const METHOD_COST = Object.freeze({
  'search.list': { bucket: 'search', cost: 1 },
  'videos.list': { bucket: 'units', cost: 1 },
  'channels.list': { bucket: 'units', cost: 1 },
  'playlistItems.list': { bucket: 'units', cost: 1 },
} as const satisfies Record<string, { bucket: QuotaBucket; cost: number }>);
