// Run-time management of the followed channels (the admin API, and YOUTUBE_CHANNELS at the
// worker's boot). A channel is named by its id or its @handle and found with channels.list (1
// unit of the units bucket) before anything is stored: one YouTube does not know is refused with
// the field named. A channel already in the table is followed again without asking YouTube.
// The worker's poll job picks a new channel up at its next tick (it reads the table), so no
// message to the workers is needed; dropping a channel stops its polling and keeps its videos.
import { CHANNEL_REF_RULE, parseChannelRef, type ChannelRef } from '../platform/channel-ref.js';
import { InvalidRequestError, NotFoundError, UpstreamError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { FollowedChannelRow } from '../platform/db/schema.js';
import type { ChannelOrigin, FollowedChannelRepository } from '../catalog/followed-channel-repository.js';
import type { ChannelPacing, ChannelPacingReader } from '../ingest/channel-pacing.js';
import type { ChannelResolver } from '../ingest/channel-resolver.js';
import { NoUsableKeyError, QuotaExhaustedError, YoutubeApiError } from '../ingest/youtube/youtube-errors.js';
import type { AdminChannelView } from './admin-schemas.js';

export const toChannelView = (row: FollowedChannelRow): AdminChannelView => ({
  id: row.id,
  channelId: row.channel_id,
  handle: row.handle === null ? null : `@${row.handle}`,
  title: row.title,
  uploadsPlaylistId: row.uploads_playlist_id,
  followed: row.enabled === 1,
  origin: row.origin,
  createdAt: row.created_at,
  lastPollAt: row.last_poll_at,
  lastOutcome: row.last_outcome,
  lastError: row.last_error,
  lastNewVideos: row.last_new_videos,
  newestPublishedAt: row.newest_published_at,
});

export type ChannelAdmin = ReturnType<typeof createChannelAdmin>;

export interface ChannelAdminDeps {
  readonly channels: Pick<FollowedChannelRepository, 'list' | 'findById' | 'findByChannelId' | 'findByHandle' | 'follow' | 'remove' | 'disableConfiguredExcept'>;
  readonly resolve: ChannelResolver;
  /** How polling is paced now (shown with the list). */
  readonly pacing: Pick<ChannelPacingReader, 'pacing'>;
  readonly log: Logger;
}

export function createChannelAdmin({ channels, resolve, pacing, log }: ChannelAdminDeps) {
  async function list(): Promise<{ channels: AdminChannelView[]; pacing: ChannelPacing }> {
    const [rows, now] = await Promise.all([channels.list(), pacing.pacing()]);
    return { channels: rows.map(toChannelView), pacing: now };
  }

  async function known(ref: ChannelRef): Promise<FollowedChannelRow | undefined> {
    return ref.kind === 'id' ? channels.findByChannelId(ref.channelId) : channels.findByHandle(ref.handle);
  }

  /** Asks YouTube; what it cannot answer is the upstream's problem, never a 500. */
  async function lookUp(ref: ChannelRef, text: string) {
    try {
      const info = await resolve(ref);
      if (info === null) throw new InvalidRequestError('channel', `channel: YouTube knows no channel ${ref.kind === 'id' ? 'with the id' : 'with the handle'} ${text}`);
      return info;
    } catch (error) {
      if (error instanceof QuotaExhaustedError || error instanceof NoUsableKeyError) throw new UpstreamError('unavailable', `cannot look the channel up now: ${error.message}`);
      if (error instanceof YoutubeApiError) throw new UpstreamError('unavailable', `cannot look the channel up now: ${error.message}`);
      throw error;
    }
  }

  async function follow(text: string, origin: ChannelOrigin = 'admin'): Promise<{ channel: AdminChannelView; created: boolean }> {
    const ref = parseChannelRef(text);
    if (ref === null) throw new InvalidRequestError('channel', `channel must be ${CHANNEL_REF_RULE}`);
    const before = await known(ref);
    const row = await channels.follow(
      before === undefined
        ? await lookUp(ref, text.trim())
        : { channelId: before.channel_id, title: before.title, handle: before.handle, uploadsPlaylistId: before.uploads_playlist_id },
      origin,
    );
    const created = before === undefined || before.enabled !== 1;
    if (created) log.info({ channelId: row.channel_id, handle: row.handle, origin }, 'channel followed');
    return { channel: toChannelView(row), created };
  }

  async function drop(id: number): Promise<void> {
    const row = await channels.findById(id);
    if (row === undefined) throw new NotFoundError(`no followed channel with id ${id}`);
    await channels.remove(id);
    log.info({ channelId: row.channel_id }, 'channel dropped; its videos stay');
  }

  /**
   * Follows the YOUTUBE_CHANNELS entries (those not in the table yet cost 1 unit each) and stops
   * polling configured channels no longer listed. Entries that cannot be resolved now (no key,
   * quota, YouTube away) are returned to be tried again; unknown channels are logged and skipped.
   */
  async function syncConfigured(entries: readonly string[]): Promise<{ followed: AdminChannelView[]; retry: string[] }> {
    const followed: AdminChannelView[] = [];
    const retry: string[] = [];
    for (const entry of entries) {
      try {
        followed.push((await follow(entry, 'config')).channel);
      } catch (error) {
        if (error instanceof UpstreamError) retry.push(entry);
        else if (error instanceof InvalidRequestError) log.warn({ channel: entry, err: error.message }, 'YOUTUBE_CHANNELS entry skipped');
        else throw error;
      }
    }
    if (retry.length === 0) {
      const dropped = await channels.disableConfiguredExcept(followed.map((c) => c.channelId));
      if (dropped.length > 0) log.info({ channels: dropped.map((c) => c.channel_id) }, 'channels no longer in YOUTUBE_CHANNELS are not polled any more');
    }
    return { followed, retry };
  }

  return { list, follow, drop, syncConfigured };
}
