// Kysely's view of the tables. Mapping decided once here and in create-db.ts: DATETIME(3)
// columns are UTC `Date`s, BIGINT/INT and DECIMAL come back as JS numbers (ids and counts stay
// far below 2^53), booleans are TINYINT(1) numbers.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

export interface VideosTable {
  id: Generated<number>;
  video_id: string;
  title: string;
  description: string;
  channel_id: string;
  channel_title: string;
  published_at: Date;
  thumbnail_default: string | null;
  thumbnail_medium: string | null;
  thumbnail_high: string | null;
  live_broadcast_content: string;
  first_seen_at: Date;
  updated_at: Date;
  /** Random token of the upsert that inserted the row: tells that upsert which rows are new. */
  ingest_token: number | null;
  /**
   * The video's public JSON (catalog/video-json.ts), UTF-8, rendered when the row is written:
   * listings are these bytes joined. Null on rows stored before it existed, until re-rendered.
   */
  json: ColumnType<Buffer | null, string | null | undefined, string | null>;
  /** The first 8 bytes of the SHA-1 of `json`: what a page's ETag is computed from. */
  json_hash: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>;
  /** The renderer's VIDEO_JSON_VERSION that wrote `json`: any other value means render again. */
  json_version: ColumnType<number | null, number | null | undefined, number | null>;
  // What videos.list tells (migration 20261211090000): NULL until the video is first enriched.
  description_full: Nullable<string>;
  /** JSON array of the video's tags. */
  tags: Nullable<string>;
  category_id: Nullable<string>;
  default_language: Nullable<string>;
  duration_s: Nullable<number>;
  /** 'hd' or 'sd'. */
  definition: Nullable<string>;
  has_captions: Nullable<number>;
  made_for_kids: Nullable<number>;
  view_count: Nullable<number>;
  /** NULL also when the owner hides it. */
  like_count: Nullable<number>;
  /** NULL also when comments are off. */
  comment_count: Nullable<number>;
  /** 'none', 'upcoming', 'live' or 'completed'. */
  live_state: Nullable<string>;
  scheduled_start_at: Nullable<Date>;
  actual_start_at: Nullable<Date>;
  actual_end_at: Nullable<Date>;
  /** 0 once videos.list no longer returns it (deleted or private); never deleted. */
  available: ColumnType<number, number | undefined, number>;
  unavailable_since: Nullable<Date>;
  /** When videos.list last answered for it. */
  details_at: Nullable<Date>;
  /** When to enrich it (again); NULL: never enriched, due at once. */
  details_due_at: Nullable<Date>;
}

/** A column that is NULL until written, and may be left out of an insert. */
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

/** Normalised title and description text of each video (search/search-text.ts). */
export interface VideoSearchTable {
  published_at: Date;
  video_pk: number;
  title_text: string;
  body_text: string;
}

export interface SearchQueriesTable {
  id: Generated<number>;
  text: string;
  /** 0, or the row's id for a query its collation made equal to an older one (migration 20261209090000). */
  text_variant: ColumnType<number, number | undefined, number>;
  enabled: ColumnType<number, number | undefined, number>;
  created_at: Date;
  last_fetch_at: Date | null;
  last_outcome: string | null;
  last_error: string | null;
  /** JSON list of {after, before} ranges still to fetch (see fetch-service.ts). */
  pending_ranges: string | null;
  /**
   * JSON {delayMs: RFC 3339}: for each sweep delay, every video published up to the mark was
   * searched for at least once when it was that old (fetch-service.ts).
   */
  sweep_marks: ColumnType<string | null, string | null | undefined, string | null>;
  /** Newest publish time a head search returned inside its own window: where the next head starts. */
  head_mark: ColumnType<Date | null, Date | null | undefined, Date | null>;
  last_new_videos: number | null;
  /**
   * Fencing token of the fetch state: the epoch the latest fetch run claimed. A run writes the
   * state only while it is still its own (search-query-repository.ts claimFetchEpoch).
   */
  fetch_epoch: ColumnType<number, number | undefined, number>;
  /** 'config' (SEARCH_QUERIES) or 'admin' (added at run time). */
  origin: ColumnType<string, string | undefined, string>;
}

export interface ApiKeysTable {
  id: Generated<number>;
  fingerprint: string;
  api_key: string;
  label: string;
  /** 'youtube' or 'simulator': which API the key belongs to. */
  target: string;
  /** 'config' (YOUTUBE_API_KEYS) or 'admin'. */
  origin: string;
  enabled: ColumnType<number, number | undefined, number>;
  added_at: Date;
  /** The Google Cloud project whose quota the key shares (null: a project of its own). */
  project: ColumnType<string | null, string | null | undefined, string | null>;
  /** The project's search bucket is spent until this Pacific midnight (a past value means nothing). */
  search_exhausted_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The project's units bucket (every method but search) is spent until this Pacific midnight. */
  units_exhausted_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** YouTube kept answering with errors no known reason explains: set aside until `suspect_until`. */
  suspect_reason: ColumnType<string | null, string | null | undefined, string | null>;
  suspect_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** YouTube refused the key (invalid, blocked, API not enabled): unusable until an operator enables it. */
  rejected_reason: ColumnType<string | null, string | null | undefined, string | null>;
  rejected_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface VideoQueriesTable {
  query_id: number;
  video_pk: number;
  /** Copy of videos.published_at so one index serves a query's feed in order. */
  published_at: Date;
  first_seen_at: Date;
  ingest_token: number | null;
  /** Copy of videos.available (1 = listed), so the listed feed index serves a query's pages. */
  available: Generated<number>;
}

/** Scope 0 is every stored video, a search query's id its videos, 2^31 + a followed channel's row id that channel's (feed-buckets.ts). */
export interface FeedScopesTable {
  scope: number;
  total: ColumnType<number, number | undefined, number>;
}

export interface FeedBucketsTable {
  scope: number;
  bucket_start: Date;
  /** Videos of this scope published within [bucket_start, bucket_start + 1 h). */
  n: number;
  /** Videos of this scope published before bucket_start. */
  below: number;
}

/** Secrets the service made for itself (service-secrets.ts). */
export interface ServiceSecretsTable {
  name: string;
  value: string;
  created_at: Date;
}

export interface FeedEventsTable {
  seq: Generated<number>;
  feed: string;
  video_pk: number;
  created_at: Date;
  relayed_at: Date | null;
}

/** Webhooks an operator registered (migration 20261210100000); `secret` is never returned. */
export interface WebhooksTable {
  id: Generated<number>;
  url: string;
  /** The feed it follows: all, q:<query id> or c:<channel id> (feed/feed-events.ts). */
  feed: string;
  secret: string;
  allow_private_network: ColumnType<number, number | undefined, number>;
  created_at: Date;
}

/** Channels followed through their uploads playlist (migration 20261211110000). */
export interface FollowedChannelsTable {
  id: Generated<number>;
  channel_id: string;
  /** The @handle it was followed by (without the @), or its customUrl; null when unknown. */
  handle: string | null;
  title: string;
  uploads_playlist_id: string;
  enabled: ColumnType<number, number | undefined, number>;
  /** 'config' (YOUTUBE_CHANNELS) or 'admin' (POST /admin/channels). */
  origin: string;
  created_at: Date;
  last_poll_at: Nullable<Date>;
  last_outcome: Nullable<string>;
  last_error: Nullable<string>;
  last_new_videos: Nullable<number>;
  /** High-water mark: the newest upload a complete read of the playlist stored. */
  newest_published_at: Nullable<Date>;
}

/**
 * The listed videos' rendered JSON in feed order (migration 20261213090000_feed_json): kept by
 * triggers on `videos`, read by the all-videos feed pages; never written by the code.
 */
export interface FeedJsonTable {
  published_at: Date;
  id: number;
  json: Buffer | null;
  json_hash: Buffer | null;
  json_version: number | null;
}

export interface Database {
  videos: VideosTable;
  feed_json: FeedJsonTable;
  search_queries: SearchQueriesTable;
  video_queries: VideoQueriesTable;
  feed_scopes: FeedScopesTable;
  feed_buckets: FeedBucketsTable;
  video_search: VideoSearchTable;
  api_keys: ApiKeysTable;
  service_secrets: ServiceSecretsTable;
  feed_events: FeedEventsTable;
  webhooks: WebhooksTable;
  followed_channels: FollowedChannelsTable;
}

export type VideoRow = Selectable<VideosTable>;
export type NewVideoRow = Insertable<VideosTable>;
export type SearchQueryRow = Selectable<SearchQueriesTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type FollowedChannelRow = Selectable<FollowedChannelsTable>;
