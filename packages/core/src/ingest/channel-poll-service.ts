// Polling of the followed channels: each due channel's uploads playlist is read with
// playlistItems.list (1 unit of the units bucket per page of 50, through the key pool), newest
// first, until it reaches the channel's high-water mark (the newest upload an earlier complete
// read stored) or the end of the playlist. The uploads playlist lists every public upload the
// moment it is public, so, unlike search, a complete read misses nothing; the first read of a
// channel stores its whole history. New videos are stored with upsertBatch without a query:
// they enter the `all` and `c:<channel id>` feeds, with their outbox rows in the same
// transaction. A video a search stored already is left as it is: a playlist item does not say
// whether a video is live, and storing it again would overwrite what the search said.
//
// How often, and how much: channel-pacing.ts (at most CHANNEL_UNITS_SHARE of the day's units,
// spread until Pacific midnight, never more often than CHANNEL_POLL_INTERVAL_MS per channel).
// The units spent are counted per Pacific day in Redis as each call is sent, so the share holds
// across runs, retries, restarts and workers.
//
// Idempotent and restartable: a page's videos are stored before the next page is asked for, and
// the mark moves only when a read is complete, in the same row update as the poll's outcome. A
// poll that dies (or runs out of today's units) half way is read again from the newest page next
// time: its pages are stored again (no change, no new events), nothing is lost.
import { AbortError } from 'p-retry';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { RedisClient } from '../platform/redis/create-redis.js';
import { pacificDayKey } from '../platform/time/pacific-time.js';
import type { FollowedChannelRepository } from '../catalog/followed-channel-repository.js';
import type { VideoRepository } from '../catalog/video-repository.js';
import type { FollowedChannelRow } from '../platform/db/schema.js';
import { channelSpendKey, createChannelPacingReader } from './channel-pacing.js';
import type { ChannelClient } from './youtube/channel-client.js';
import type { KeyPool } from './youtube/key-pool.js';
import { createPooledCall, type RetrySettings } from './youtube/pooled-call.js';
import { NoUsableKeyError, QuotaExhaustedError, YoutubeApiError } from './youtube/youtube-errors.js';

export interface ChannelPollSettings {
  /** CHANNEL_POLL_INTERVAL_MS. */
  readonly pollIntervalMs: number;
  /** CHANNEL_UNITS_SHARE. */
  readonly unitsShare: number;
}

/**
 * What a tick did: polled (due channels read, or the tick's units ran out), nothing-due,
 * no-channels, no-budget (no usable key, or the share or the bucket spent: nothing asked),
 * quota-exhausted (every project's units bucket turned out spent during the tick), no-usable-key.
 */
export const CHANNEL_RUN_OUTCOMES = ['polled', 'nothing-due', 'no-channels', 'no-budget', 'quota-exhausted', 'no-usable-key'] as const;
export type ChannelRunOutcome = (typeof CHANNEL_RUN_OUTCOMES)[number];

export interface ChannelRunResult {
  readonly outcome: ChannelRunOutcome;
  readonly reason: string;
  /** playlistItems.list calls sent by this run (1 unit each). */
  readonly units: number;
  readonly polled: number;
  /** Videos stored for the first time. */
  readonly inserted: number;
  /** Each channel's interval when the run started. */
  readonly intervalMs: number;
}

/** What one poll of one channel did. */
export type ChannelPollOutcome = 'new-videos' | 'no-change' | 'partial' | 'gone' | 'failed';

export interface ChannelPollServiceDeps {
  readonly channels: Pick<FollowedChannelRepository, 'due' | 'countEnabled' | 'storedVideoIds' | 'recordPoll'>;
  readonly videos: Pick<VideoRepository, 'upsertBatch'>;
  readonly pool: Pick<KeyPool, 'acquire' | 'recordError' | 'recordSuccess' | 'markExhausted' | 'disable' | 'refund' | 'status'>;
  readonly youtube: Pick<ChannelClient, 'uploadsPage'>;
  /** Where the day's channel spend is counted. */
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly settings: ChannelPollSettings;
  readonly retry: RetrySettings;
  /** Told after a run stored new videos (the worker kicks its feed relay and page-1 snapshot). */
  readonly onStored?: (inserted: number, scopes: readonly number[]) => void | Promise<void>;
  /**
   * Units of every project polling never takes (ENRICH_UNITS_RESERVE, shared with enrichment):
   * kept for key checks and operator actions.
   */
  readonly reserveUnits?: number;
}

export type ChannelPollService = ReturnType<typeof createChannelPollService>;

const DAY_COUNT_TTL_SECONDS = 3 * 24 * 3600;
/** Due channels read per run at most (the next tick takes the rest). */
const DUE_PER_RUN = 500;

/** What a run spent and which followed channels' feed scopes it wrote to, kept as it goes. */
interface RunTally {
  units: number;
  readonly scopes: Set<number>;
}

export function createChannelPollService(deps: ChannelPollServiceDeps) {
  const { channels, videos, pool, youtube, redis, prefix, clock, log, settings } = deps;
  const call = createPooledCall({ pool, retry: deps.retry });

  const { spentToday, pacing } = createChannelPacingReader({ pool, channels, redis, prefix, clock, settings, ...(deps.reserveUnits === undefined ? {} : { reserveUnits: deps.reserveUnits }) });

  async function countSpent(units: number): Promise<void> {
    if (units <= 0) return;
    const key = channelSpendKey(prefix, pacificDayKey(clock.now()));
    await redis.multi().incrby(key, units).expire(key, DAY_COUNT_TTL_SECONDS).exec();
  }

  /** Reads one channel's new uploads, spending at most `maxUnits`; records the outcome on its row. */
  async function poll(
    channel: FollowedChannelRow,
    maxUnits: number,
    runLog: Logger,
    tally: RunTally,
  ): Promise<{ units: number; inserted: number; outcome: ChannelPollOutcome }> {
    const startedAt = clock.now();
    const mark = channel.newest_published_at;
    const pollLog = runLog.child({ channelId: channel.channel_id });
    let units = 0;
    let inserted = 0;
    let newest: Date | null = null;
    let complete = false;
    let pageToken: string | undefined;
    try {
      while (units < maxUnits) {
        let sent = 0;
        let page;
        try {
          page = await call('playlistItems.list', (secret) => youtube.uploadsPage(secret, channel.uploads_playlist_id, pageToken), {
            log: pollLog,
            countCall: () => void sent++,
            ...(deps.reserveUnits === undefined ? {} : { reserve: deps.reserveUnits }),
          });
        } finally {
          units += sent;
          // Counted for the run as it is spent: a poll cut short by quota still reports it.
          tally.units += sent;
          await countSpent(sent);
        }
        const newer = mark === null ? page.videos : page.videos.filter((video) => video.publishedAt > mark);
        const known = await channels.storedVideoIds(newer.map((video) => video.videoId));
        const fresh = newer.filter((video) => !known.has(video.videoId));
        if (fresh.length > 0) {
          const stored = await videos.upsertBatch(fresh);
          inserted += stored.inserted;
          for (const scope of stored.channelScopes) tally.scopes.add(scope);
        }
        for (const video of page.videos) if (newest === null || video.publishedAt > newest) newest = video.publishedAt;
        const reachedMark = mark !== null && page.videos.some((video) => video.publishedAt <= mark);
        if (reachedMark || page.nextPageToken === null) {
          complete = true;
          break;
        }
        pageToken = page.nextPageToken;
      }
    } catch (error) {
      const cause = error instanceof AbortError ? error.originalError : error;
      // Out of quota or keys: the run stops; the channel stays due.
      if (cause instanceof QuotaExhaustedError || cause instanceof NoUsableKeyError) throw cause;
      const gone = cause instanceof YoutubeApiError && cause.reason === 'playlistNotFound';
      const message = cause instanceof Error ? cause.message : String(cause);
      pollLog.warn({ units, inserted, err: message }, gone ? 'channel uploads playlist not found; the channel may be gone' : 'channel poll failed; its stored pages stay');
      await channels.recordPoll(channel.id, { at: startedAt, outcome: gone ? 'gone' : 'failed', error: message, newVideos: inserted });
      return { units, inserted, outcome: gone ? 'gone' : 'failed' };
    }
    const outcome: ChannelPollOutcome = !complete ? 'partial' : inserted > 0 ? 'new-videos' : 'no-change';
    await channels.recordPoll(channel.id, {
      // When it started: the next poll is due an interval after this one began.
      at: startedAt,
      outcome,
      error: complete ? null : `stopped after ${units} units (today's share spent); read again from the newest page next time`,
      newVideos: inserted,
      // Never past the poll's start: a premiere scheduled for later can be listed with its
      // future time, and a mark there would hide every upload published before it.
      ...(complete && newest !== null ? { newestPublishedAt: newest > startedAt ? startedAt : newest } : {}),
    });
    if (inserted > 0 || !complete) pollLog.info({ units, inserted, outcome }, 'channel polled');
    return { units, inserted, outcome };
  }

  async function run(options: { signal?: AbortSignal } = {}): Promise<ChannelRunResult> {
    const startedAt = clock.now();
    const runLog = log.child({ run: startedAt.toISOString() });
    const [status, plan, count] = await Promise.all([pool.status(), pacing(), channels.countEnabled()]);
    const totals = { polled: 0, inserted: 0 };
    const tally: RunTally = { units: 0, scopes: new Set() };
    const finish = async (outcome: ChannelRunOutcome, reason: string): Promise<ChannelRunResult> => {
      if (totals.inserted > 0) await deps.onStored?.(totals.inserted, [...tally.scopes]);
      const result = { outcome, reason, intervalMs: plan.intervalMs, units: tally.units, ...totals };
      // Ticks come every few seconds: only what stored something, or a quota surprise, is
      // worth a line at info level; a day without budget would otherwise log all afternoon.
      const level = outcome === 'quota-exhausted' ? 'warn' : outcome === 'polled' && totals.inserted > 0 ? 'info' : 'debug';
      runLog[level]({ ...result, reason: undefined }, `channels: ${reason}`);
      return result;
    };

    if (count === 0) return finish('no-channels', 'no channel is followed');
    if (status.state === 'no_keys') return finish('no-usable-key', 'no YouTube API key is configured');
    if (plan.unitsLeftToday <= 0 || plan.limit === 'no-usable-key') return finish('no-budget', plan.summary);
    const due = await channels.due(new Date(startedAt.getTime() - plan.intervalMs), DUE_PER_RUN);
    if (due.length === 0) return finish('nothing-due', 'no channel is due');
    try {
      for (const channel of due) {
        const left = plan.unitsLeftToday - tally.units;
        if (left <= 0 || options.signal?.aborted === true) break;
        const done = await poll(channel, left, runLog, tally);
        totals.inserted += done.inserted;
        totals.polled += 1;
      }
    } catch (error) {
      if (error instanceof QuotaExhaustedError) return finish('quota-exhausted', `every project's units bucket is spent until ${error.resetAt.toISOString()}`);
      if (error instanceof NoUsableKeyError) return finish('no-usable-key', error.message);
      runLog.warn({ ...totals, units: tally.units, err: error instanceof Error ? error.message : String(error) }, 'channel polling failed; what it stored stays');
      if (totals.inserted > 0) await deps.onStored?.(totals.inserted, [...tally.scopes]);
      throw error;
    }
    return finish('polled', `${totals.polled} channel${totals.polled === 1 ? '' : 's'} polled, ${totals.inserted} new videos, ${tally.units} units (${plan.summary})`);
  }

  return { run, pacing, spentToday };
}
