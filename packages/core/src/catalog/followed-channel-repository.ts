// The channels the service follows through their uploads playlists (followed_channels). A
// channel is found by channels.list before it is stored here; its videos live in the videos
// table like any other (the `all` and `c:<channel id>` feeds), so deleting a row stops the
// polling and keeps the videos. While a channel is here (polled or not) its videos are counted
// in a feed scope of its own (feed-buckets.ts), so `/getData?channel=` pages like a query's.
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../platform/clock.js';
import type { Database, FollowedChannelRow } from '../platform/db/schema.js';
import { withDeadlockRetry } from '../platform/db/deadlock-retry.js';
import { countChannelOnFollow, dropChannelCounts } from './feed-buckets.js';

/** What channels.list told about a channel (ingest/youtube/channel-client.ts ChannelInfo). */
export interface FollowedChannelInput {
  readonly channelId: string;
  readonly title: string;
  readonly handle: string | null;
  readonly uploadsPlaylistId: string;
}

export type ChannelOrigin = 'config' | 'admin';

/** What one poll did, written on the channel's row. */
export interface ChannelPollRecord {
  readonly at: Date;
  readonly outcome: string;
  readonly error: string | null;
  readonly newVideos: number;
  /** The new high-water mark (a complete read); undefined leaves it as it is. */
  readonly newestPublishedAt?: Date;
}

export type FollowedChannelRepository = ReturnType<typeof createFollowedChannelRepository>;

export function createFollowedChannelRepository({ db, clock }: { db: Kysely<Database>; clock: Clock }) {
  async function list(options: { enabledOnly?: boolean } = {}): Promise<FollowedChannelRow[]> {
    let query = db.selectFrom('followed_channels').selectAll().orderBy('id');
    if (options.enabledOnly === true) query = query.where('enabled', '=', 1);
    return query.execute();
  }

  async function findById(id: number): Promise<FollowedChannelRow | undefined> {
    return db.selectFrom('followed_channels').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async function findByChannelId(channelId: string): Promise<FollowedChannelRow | undefined> {
    return db.selectFrom('followed_channels').selectAll().where('channel_id', '=', channelId).executeTakeFirst();
  }

  /** A followed channel with this handle (any case, with or without the @), if any. */
  async function findByHandle(handle: string): Promise<FollowedChannelRow | undefined> {
    return db
      .selectFrom('followed_channels')
      .selectAll()
      .where(sql<string>`LOWER(handle)`, '=', handle.replace(/^@/, '').toLowerCase())
      .executeTakeFirst();
  }

  /**
   * Follows a channel (again): a new row, or the existing one enabled with what channels.list
   * says now. Its poll state and high-water mark stay. An operator's follow is never turned
   * into a configured one (a configured one becomes the operator's when they follow it).
   */
  async function follow(channel: FollowedChannelInput, origin: ChannelOrigin): Promise<FollowedChannelRow> {
    const fields = { title: channel.title.slice(0, 200), handle: channel.handle?.slice(0, 100) ?? null, uploads_playlist_id: channel.uploadsPlaylistId };
    return withDeadlockRetry(() =>
      db
        .transaction()
        .setIsolationLevel('read committed')
        .execute(async (trx) => {
          const existing = await trx.selectFrom('followed_channels').select('id').where('channel_id', '=', channel.channelId).executeTakeFirst();
          await trx
            .insertInto('followed_channels')
            .values({ channel_id: channel.channelId, ...fields, enabled: 1, origin, created_at: clock.now() })
            .onDuplicateKeyUpdate(origin === 'admin' ? { ...fields, enabled: 1, origin } : { ...fields, enabled: 1 })
            .execute();
          const row = await trx.selectFrom('followed_channels').selectAll().where('channel_id', '=', channel.channelId).executeTakeFirst();
          if (row === undefined) throw new Error(`followed channel ${channel.channelId} vanished after insert`);
          // A channel followed before has been counted all along.
          if (existing === undefined) await countChannelOnFollow(trx, row.id, row.channel_id);
          return row;
        }),
    );
  }

  async function remove(id: number): Promise<boolean> {
    return withDeadlockRetry(() =>
      db
        .transaction()
        .setIsolationLevel('read committed')
        .execute(async (trx) => {
          const result = await trx.deleteFrom('followed_channels').where('id', '=', id).executeTakeFirst();
          if (Number(result.numDeletedRows) === 0) return false;
          await dropChannelCounts(trx, id);
          return true;
        }),
    );
  }

  /** Stops polling configured channels no longer in YOUTUBE_CHANNELS (their rows and videos stay). */
  async function disableConfiguredExcept(channelIds: readonly string[]): Promise<FollowedChannelRow[]> {
    let query = db.selectFrom('followed_channels').selectAll().where('origin', '=', 'config').where('enabled', '=', 1);
    if (channelIds.length > 0) query = query.where('channel_id', 'not in', [...channelIds]);
    const dropped = await query.execute();
    if (dropped.length > 0) {
      await db
        .updateTable('followed_channels')
        .set({ enabled: 0 })
        .where(
          'id',
          'in',
          dropped.map((row) => row.id),
        )
        .execute();
    }
    return dropped;
  }

  /** Enabled channels not polled since `before` (never polled first, then the longest waiting). */
  async function due(before: Date, limit: number): Promise<FollowedChannelRow[]> {
    return db
      .selectFrom('followed_channels')
      .selectAll()
      .where('enabled', '=', 1)
      .where((eb) => eb.or([eb('last_poll_at', 'is', null), eb('last_poll_at', '<=', before)]))
      .orderBy(sql`last_poll_at IS NOT NULL`)
      .orderBy('last_poll_at')
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  async function countEnabled(): Promise<number> {
    const row = await db.selectFrom('followed_channels').select((eb) => eb.fn.countAll<number>().as('n')).where('enabled', '=', 1).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Which of these videos are stored already (by a search, or an earlier poll). */
  async function storedVideoIds(videoIds: readonly string[]): Promise<Set<string>> {
    if (videoIds.length === 0) return new Set();
    const rows = await db.selectFrom('videos').select('video_id').where('video_id', 'in', [...videoIds]).execute();
    return new Set(rows.map((row) => row.video_id));
  }

  async function recordPoll(id: number, record: ChannelPollRecord): Promise<void> {
    await db
      .updateTable('followed_channels')
      .set({
        last_poll_at: record.at,
        last_outcome: record.outcome,
        last_error: record.error?.slice(0, 500) ?? null,
        last_new_videos: record.newVideos,
        // The mark never moves back (two polls of one channel racing, a clock step).
        ...(record.newestPublishedAt === undefined
          ? {}
          : { newest_published_at: sql<Date>`GREATEST(COALESCE(newest_published_at, ${record.newestPublishedAt}), ${record.newestPublishedAt})` }),
      })
      .where('id', '=', id)
      .execute();
  }

  return { list, findById, findByChannelId, findByHandle, follow, remove, disableConfiguredExcept, due, countEnabled, storedVideoIds, recordPoll };
}
