// The shapes the admin API answers with (`/admin/keys`, `/admin/queries`), written once as JSON
// Schemas (TypeBox): the views key-admin.ts and query-admin.ts return are their types, and the
// API declares them as its responses (serialiser, OpenAPI document). Times are Date objects
// here and ISO 8601 strings on the wire: the serialiser formats them.
import { Type, type Static } from 'typebox';

const DateTime = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });
const nullableTime = Type.Union([DateTime, Type.Null()]);
const nullableText = Type.Union([Type.String(), Type.Null()]);

const QuotaBucketState = Type.Object({
  used: Type.Integer({ description: 'Spent in the current Pacific day (by our count, or all of it once YouTube said so)' }),
  limit: Type.Integer(),
  remaining: Type.Integer(),
  exhaustedUntil: nullableTime,
});

/** A YouTube API key as the admin API shows it: never the key itself. */
export const AdminKeySchema = Type.Object({
  id: Type.Integer(),
  fingerprint: Type.String({ description: 'Stable id of the key (a hash); the key itself is never returned' }),
  masked: Type.String({ examples: ['AIza…Xk3Q'] }),
  label: Type.String(),
  project: Type.Union([Type.String(), Type.Null()], {
    description: 'The Google Cloud project whose quota the key shares with its other keys; null: a project of its own',
  }),
  enabled: Type.Boolean(),
  origin: Type.String({ description: 'config (YOUTUBE_API_KEYS) or admin' }),
  state: Type.Union([Type.Literal('active'), Type.Literal('exhausted'), Type.Literal('suspect'), Type.Literal('rejected'), Type.Literal('disabled')], {
    description:
      "exhausted: its project's searches are spent until midnight Pacific time; suspect: set aside after answers no known error explains, " +
      'until the next quota day or an enable; rejected: refused by YouTube until an enable; disabled: switched off by an operator',
  }),
  addedAt: DateTime,
  exhaustedUntil: nullableTime,
  rejectedReason: nullableText,
  suspectReason: nullableText,
  suspectUntil: nullableTime,
  quota: Type.Object(
    { search: QuotaBucketState, units: QuotaBucketState },
    { description: "Its project's buckets today: search.list calls (search), and units of every other method (units)" },
  ),
  callsToday: Type.Object({ search: Type.Integer(), units: Type.Integer() }, { description: 'Calls made with this key today, by bucket' }),
  errorsToday: Type.Object({ quota: Type.Integer(), rejected: Type.Integer(), transient: Type.Integer(), request: Type.Integer(), unknown: Type.Integer() }),
  lastUsedAt: nullableTime,
  lastError: nullableText,
  lastErrorAt: nullableTime,
});
export type AdminKeyView = Static<typeof AdminKeySchema>;

/** `GET /admin/keys`. */
export const AdminKeyListSchema = Type.Object({ keys: Type.Array(AdminKeySchema) });

/** A search query as the admin API shows it, followed or not. */
export const AdminQuerySchema = Type.Object({
  id: Type.Integer(),
  text: Type.String(),
  followed: Type.Boolean(),
  origin: Type.String({ description: 'config (SEARCH_QUERIES) or admin' }),
  createdAt: DateTime,
  lastFetchAt: nullableTime,
  lastOutcome: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
});
export type AdminQueryView = Static<typeof AdminQuerySchema>;

/** `GET /admin/queries`. */
export const AdminQueryListSchema = Type.Object({ queries: Type.Array(AdminQuerySchema) });

/** A webhook as the admin API shows it: never its secret. */
export const AdminWebhookSchema = Type.Object({
  id: Type.Integer(),
  url: Type.String({ description: 'Where each new video is POSTed (as normalised when registered)' }),
  feed: Type.String({ description: 'The feed it follows: all, q:<query id> or c:<channel id>; sent as `feed` in each delivery', examples: ['all', 'q:3'] }),
  query: Type.Union([Type.String(), Type.Null()], { description: 'The followed query it gets the new videos of (null: not a query feed)' }),
  channel: Type.Union([Type.String(), Type.Null()], { description: 'The channel it gets the new videos of (null: not a channel feed)' }),
  allowPrivateNetwork: Type.Boolean({ description: 'Deliveries may go to loopback, private and link-local addresses, and over http:' }),
  createdAt: DateTime,
});
export type AdminWebhookView = Static<typeof AdminWebhookSchema>;

/** `GET /admin/webhooks`. */
export const AdminWebhookListSchema = Type.Object({ webhooks: Type.Array(AdminWebhookSchema) });

/** A followed channel as the admin API shows it. */
export const AdminChannelSchema = Type.Object({
  id: Type.Integer(),
  channelId: Type.String({ description: 'The YouTube channel id (UC…): its videos are in the c:<channelId> feed and `channel=` listings' }),
  handle: Type.Union([Type.String(), Type.Null()], { description: 'Its @handle, as YouTube gives it' }),
  title: Type.String(),
  uploadsPlaylistId: Type.String({ description: 'The uploads playlist polled with playlistItems.list' }),
  followed: Type.Boolean({ description: 'Being polled (false: a configured channel no longer in YOUTUBE_CHANNELS)' }),
  origin: Type.String({ description: 'config (YOUTUBE_CHANNELS) or admin' }),
  createdAt: DateTime,
  lastPollAt: nullableTime,
  lastOutcome: Type.Union([Type.String(), Type.Null()], { description: 'new-videos, no-change, partial (today\'s share ran out), gone (no uploads playlist) or failed' }),
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastNewVideos: Type.Union([Type.Integer(), Type.Null()], { description: 'Videos the last poll stored for the first time' }),
  newestPublishedAt: Type.Union([DateTime, Type.Null()], { description: 'High-water mark: the newest upload a complete read stored' }),
});
export type AdminChannelView = Static<typeof AdminChannelSchema>;

/** How channel polling is paced now (ingest/channel-pacing.ts). */
export const ChannelPacingSchema = Type.Object({
  intervalMs: Type.Integer({ description: 'Each channel is polled this often now (at least CHANNEL_POLL_INTERVAL_MS)' }),
  dayCapUnits: Type.Integer({ description: "CHANNEL_UNITS_SHARE of the usable projects' daily units" }),
  spentToday: Type.Integer({ description: 'Units polling spent this Pacific day' }),
  unitsLeftToday: Type.Integer({ description: 'Units polling may still spend before the reset (the share left, at most what the bucket has left)' }),
  resetAt: DateTime,
  limit: Type.String({ description: 'What sets the interval: min-interval, paced, share-spent, units-spent or no-usable-key' }),
  summary: Type.String(),
});

/** `GET /admin/channels`. */
export const AdminChannelListSchema = Type.Object({ channels: Type.Array(AdminChannelSchema), pacing: ChannelPacingSchema });
