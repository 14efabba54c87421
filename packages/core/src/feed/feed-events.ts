// What "a new video" means for the push side (SSE streams, webhooks): one event per feed a
// video newly enters. The event is written to MySQL's `feed_events` outbox in the same
// transaction that stores the video (catalog/video-repository.ts), so a crash between storing
// and telling cannot lose it; the worker's relay (feed-relay.ts) then hands each event to every
// sink (the Redis Stream log read by SSE clients, the webhook deliveries) and marks it relayed
// only after all of them took it. Sinks therefore see an event at least once and must take
// the same `seq` twice as once.

export { ALL_FEED, channelFeed, parseFeedKey, queryFeed, type FeedKey, type ParsedFeed } from '../catalog/feed-keys.js';
import type { FeedKey } from '../catalog/feed-keys.js';

/** One video newly in one feed. */
export interface FeedEvent {
  /** The outbox row's id: unique across all feeds, increasing in the order rows were written. */
  readonly seq: number;
  readonly feed: FeedKey;
  /** The YouTube video id. */
  readonly videoId: string;
  /** The video as `/videos` lists it: its stored JSON text (catalog/video-json.ts). */
  readonly video: string;
  /** When the video entered the feed (the storing transaction's clock). */
  readonly storedAt: Date;
}

/** Something the relay hands events to. `take` must be idempotent per (feed, seq). */
export interface FeedEventSink {
  readonly name: string;
  take(events: readonly FeedEvent[]): Promise<void>;
}
