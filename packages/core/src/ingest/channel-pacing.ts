// How often each followed channel is polled, and how many units polling may still spend today.
//
// Polling reads a channel's uploads playlist with playlistItems.list: 1 unit of the units bucket
// per page, and a poll that finds nothing new is one page. All channels together may spend at
// most `share` of the daily units of the usable projects (CHANNEL_UNITS_SHARE, 0.5 by default:
// 5,000 of a default project's 10,000; the rest is left to enrichment and key checks). What is
// left of that share today is spread evenly until the next Pacific midnight, as pacing.ts spreads
// searches: each channel is polled every
//     max(CHANNEL_POLL_INTERVAL_MS, time left until 00:00 PT / (polls left per channel + 1))
// so a few channels are polled every CHANNEL_POLL_INTERVAL_MS (90 s by default: 960 units a day
// each) and many are polled less often rather than spending the bucket by noon. Recomputed at
// every tick from what the pool and the day's count say, so costly polls (new uploads, a first
// read of a whole playlist) lengthen the intervals that follow. With no usable key, or the
// share or the bucket spent (down to ENRICH_UNITS_RESERVE per project), nothing is polled until
// the reset.
import type { Clock } from '../platform/clock.js';
import { redisKey, type RedisClient } from '../platform/redis/create-redis.js';
import { nextPacificMidnight, pacificDayKey } from '../platform/time/pacific-time.js';
import type { FollowedChannelRepository } from '../catalog/followed-channel-repository.js';
import type { KeyPool, ProjectStatus } from './youtube/key-pool.js';

export interface ChannelPacingInput {
  readonly now: Date;
  /** Each project once, whatever its number of keys. */
  readonly projects: ReadonlyArray<Pick<ProjectStatus, 'usable' | 'buckets'>>;
  /** Units channel polling spent so far this Pacific day. */
  readonly spentToday: number;
  /** Followed (enabled) channels. */
  readonly channels: number;
  /** CHANNEL_UNITS_SHARE: the share (0..1] of the usable projects' daily units polling may spend. */
  readonly share: number;
  /** CHANNEL_POLL_INTERVAL_MS: never poll a channel more often. */
  readonly minIntervalMs: number;
  /** ENRICH_UNITS_RESERVE: units of every project's bucket polling never touches (key checks). */
  readonly reserveUnits?: number;
}

export type ChannelPacingLimit = 'no-usable-key' | 'share-spent' | 'units-spent' | 'paced' | 'min-interval';

export interface ChannelPacing {
  /** What polling may spend in a whole day now: share × the usable projects' daily units. */
  readonly dayCapUnits: number;
  /** What polling spent so far this Pacific day. */
  readonly spentToday: number;
  /** What polling may still spend before the reset. */
  readonly unitsLeftToday: number;
  /** How often each channel is polled now. */
  readonly intervalMs: number;
  readonly resetAt: Date;
  readonly limit: ChannelPacingLimit;
  /** One line for the log. */
  readonly summary: string;
}

export function computeChannelPacing({ now, projects, spentToday, channels, share, minIntervalMs, reserveUnits = 0 }: ChannelPacingInput): ChannelPacing {
  const resetAt = nextPacificMidnight(now);
  const msLeft = Math.max(0, resetAt.getTime() - now.getTime());
  const usable = projects.filter((p) => p.usable);
  const dayCapUnits = Math.floor(share * usable.reduce((sum, p) => sum + p.buckets.units.limit, 0));
  const bucketLeft = usable.reduce((sum, p) => {
    const units = p.buckets.units;
    return sum + (units.exhaustedUntil !== null && units.exhaustedUntil > now ? 0 : Math.max(0, units.remaining - reserveUnits));
  }, 0);
  const shareLeft = Math.max(0, dayCapUnits - spentToday);
  const unitsLeftToday = Math.min(shareLeft, bucketLeft);
  const common = { dayCapUnits, spentToday, unitsLeftToday, resetAt };
  const waitForReset = Math.max(minIntervalMs, msLeft);

  if (usable.length === 0) {
    return { ...common, intervalMs: waitForReset, limit: 'no-usable-key', summary: 'no usable YouTube key: no channel is polled' };
  }
  const perChannel = Math.floor(unitsLeftToday / Math.max(1, channels));
  if (perChannel === 0) {
    const limit = shareLeft <= bucketLeft ? 'share-spent' : 'units-spent';
    const why =
      limit === 'share-spent'
        ? `channels spent their share of ${dayCapUnits} units`
        : reserveUnits > 0
          ? `the units bucket is spent down to the reserve of ${reserveUnits} in every project`
          : 'the units bucket is spent';
    return { ...common, intervalMs: waitForReset, limit, summary: `${why}; next polls after 00:00 PT (${resetAt.toISOString()})` };
  }
  const paced = Math.ceil(msLeft / (perChannel + 1));
  const intervalMs = Math.max(minIntervalMs, paced);
  return {
    ...common,
    intervalMs,
    limit: paced > minIntervalMs ? 'paced' : 'min-interval',
    summary: `${channels} channel${channels === 1 ? '' : 's'}: one poll each every ${Math.round(intervalMs / 1000)} s (${unitsLeftToday} of ${dayCapUnits} units left today)`,
  };
}

/** The Redis key counting the units channel polling spent on a Pacific day. */
export const channelSpendKey = (prefix: string, day: string): string => redisKey(prefix, 'channels', 'units', day);

export interface ChannelPacingReaderDeps {
  readonly pool: Pick<KeyPool, 'status'>;
  readonly channels: Pick<FollowedChannelRepository, 'countEnabled'>;
  /** Where the day's channel spend is counted (channel-poll-service.ts adds to it). */
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly clock: Clock;
  readonly settings: { readonly pollIntervalMs: number; readonly unitsShare: number };
  /** ENRICH_UNITS_RESERVE, kept out of what polling may spend. */
  readonly reserveUnits?: number;
}

export type ChannelPacingReader = ReturnType<typeof createChannelPacingReader>;

/** The pacing as it stands now, from the pool, the day's count and the followed channels (the worker's ticks, GET /admin/channels). */
export function createChannelPacingReader({ pool, channels, redis, prefix, clock, settings, reserveUnits = 0 }: ChannelPacingReaderDeps) {
  async function spentToday(): Promise<number> {
    return Number((await redis.get(channelSpendKey(prefix, pacificDayKey(clock.now())))) ?? 0);
  }

  async function pacing(): Promise<ChannelPacing> {
    const [status, spent, count] = await Promise.all([pool.status(), spentToday(), channels.countEnabled()]);
    return computeChannelPacing({ now: clock.now(), projects: status.projects, spentToday: spent, channels: count, share: settings.unitsShare, minIntervalMs: settings.pollIntervalMs, reserveUnits });
  }

  return { spentToday, pacing };
}
