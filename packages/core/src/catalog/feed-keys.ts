// The names of the feeds a client can follow (push side, feed/feed-events.ts). Here in catalog
// because the video repository writes them into the outbox in the storing transaction.

/**
 * A feed a client can follow: every stored video, one followed query, or one channel.
 * Written as text in the outbox and in Redis key names: `all`, `q:<query id>`, `c:<channel id>`.
 */
export type FeedKey = string;

export const ALL_FEED: FeedKey = 'all';
export const queryFeed = (queryId: number): FeedKey => `q:${queryId}`;
export const channelFeed = (channelId: string): FeedKey => `c:${channelId}`;

export type ParsedFeed = { readonly kind: 'all' } | { readonly kind: 'query'; readonly queryId: number } | { readonly kind: 'channel'; readonly channelId: string };

export function parseFeedKey(feed: FeedKey): ParsedFeed {
  if (feed === ALL_FEED) return { kind: 'all' };
  if (feed.startsWith('q:')) return { kind: 'query', queryId: Number(feed.slice(2)) };
  if (feed.startsWith('c:')) return { kind: 'channel', channelId: feed.slice(2) };
  throw new Error(`not a feed key: ${feed}`);
}

