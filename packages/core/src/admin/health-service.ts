// What /health reports: each dependency probed in parallel, each bounded, so the answer comes
// within the timeout even when a dependency hangs. The YouTube state is informational: with
// every key out of quota the stored feed is still served, so the service stays healthy. So is
// the live-update channel: while it is down page 1 is refreshed by time instead of on change,
// a degraded service, not an unavailable one. So is the MySQL read replica (MYSQL_READ_URL):
// while it is down listing and search read from the primary, which takes their load too.
import type { RedisClient } from '../platform/redis/create-redis.js';
import type { Db } from '../platform/db/create-db.js';
import type { ChannelState } from '../platform/redis/channel-subscriber.js';
import type { KeyState, PoolStatus, ProjectStatus, YoutubeState } from '../ingest/youtube/key-pool.js';
import type { QuotaBucket } from '../ingest/youtube/quota-buckets.js';
import { probeMysql, probeRedis, withTimeout, type ProbeState } from '../platform/health-check.js';

/** Whether the worker can search YouTube now, and what ends a pause. */
export interface YoutubeSummary {
  /** False while no search can be made; null while the key state cannot be read. */
  readonly searching: boolean | null;
  /** When searching resumes by itself (the earliest quota reset); null if only an operator can resume it. */
  readonly resumesAt: string | null;
  /** One sentence for people: the state and what ends it. */
  readonly message: string;
}

/** Says in words what a YouTube state means for fetching, and when it ends. */
export function describeYoutube(state: YoutubeState | 'unknown', resetAt: Date | null): YoutubeSummary {
  const served = 'stored videos are still served';
  switch (state) {
    case 'ok':
      return { searching: true, resumesAt: null, message: 'Searching YouTube: at least one key is usable.' };
    case 'quota_exhausted': {
      const at = resetAt?.toISOString() ?? null;
      return {
        searching: false,
        resumesAt: at,
        message: `Every usable YouTube project has spent its searches for the day: no search until ${at ?? 'the next reset'} (midnight Pacific time); ${served}.`,
      };
    }
    case 'keys_suspect':
      return {
        searching: false,
        resumesAt: resetAt?.toISOString() ?? null,
        message:
          'Every usable YouTube key kept getting answers no known error explains and is set aside until the next quota day ' +
          `(midnight Pacific time) or until an operator enables it (PATCH /admin/keys/:id); see lastError in /admin/keys; ${served}.`,
      };
    case 'keys_disabled':
      return {
        searching: false,
        resumesAt: null,
        message:
          'Every YouTube key was rejected by YouTube or switched off: no search until an operator adds a key (POST /admin/keys) ' +
          `or enables one (PATCH /admin/keys/:id); ${served}.`,
      };
    case 'no_keys':
      return { searching: false, resumesAt: null, message: `No YouTube API key is configured: set YOUTUBE_API_KEYS or add one (POST /admin/keys); ${served}.` };
    case 'unknown':
      return { searching: null, resumesAt: null, message: 'The state of the YouTube keys is unknown while Redis cannot be read.' };
  }
}

/** What is left today of one bucket, over every usable project. */
export interface QuotaSummary {
  readonly used: number;
  readonly limit: number;
  readonly remaining: number;
}

export interface HealthReport {
  readonly healthy: boolean;
  readonly checks: {
    readonly mysql: ProbeState;
    /** The read replica, when MYSQL_READ_URL is set (absent otherwise). */
    readonly mysqlReplica?: ProbeState;
    readonly redis: ProbeState;
    readonly youtube: YoutubeState | 'unknown';
    /** Whether page-1 change notices arrive (the feed-changed subscription). */
    readonly feedChannel: ChannelState;
  };
  /** When every key is out of quota: the earliest reset (next Pacific midnight). */
  readonly quotaResetAt: string | null;
  /** How many keys are in each state (null while Redis cannot be read). */
  readonly keys: Readonly<Record<KeyState, number>> | null;
  /** Today's quota of the usable projects by bucket (null while Redis cannot be read). */
  readonly quota: { readonly projects: number; readonly buckets: Readonly<Record<QuotaBucket, QuotaSummary>> } | null;
  readonly youtube: YoutubeSummary;
}

/** Each bucket summed over the usable projects (a spent bucket counts as nothing left). */
export function quotaSummary(projects: readonly ProjectStatus[]): NonNullable<HealthReport['quota']> {
  const usable = projects.filter((p) => p.usable);
  const sum = (bucket: QuotaBucket): QuotaSummary => {
    let used = 0;
    let limit = 0;
    let remaining = 0;
    for (const project of usable) {
      const b = project.buckets[bucket];
      used += b.used;
      limit += b.limit;
      remaining += b.remaining;
    }
    return { used, limit, remaining };
  };
  return { projects: usable.length, buckets: { search: sum('search'), units: sum('units') } };
}

export type HealthService = ReturnType<typeof createHealthService>;

export function createHealthService({
  db,
  replica = null,
  redis,
  youtube,
  feedChannel,
  timeoutMs = 1500,
}: {
  db: Pick<Db, 'kysely'>;
  /** The read replica's pool, when there is one. */
  replica?: Pick<Db, 'kysely'> | null;
  redis: RedisClient;
  youtube: () => Promise<Pick<PoolStatus, 'state' | 'resetAt' | 'keys' | 'projects'>>;
  /** The subscription's state, once a (re)subscription in progress has settled (bounded). */
  feedChannel: (timeoutMs: number) => Promise<ChannelState>;
  timeoutMs?: number;
}) {
  async function check(): Promise<HealthReport> {
    const started = performance.now();
    const [mysql, redisState, feedChannelState, replicaState] = await Promise.all([
      probeMysql(db, timeoutMs),
      probeRedis(redis, timeoutMs),
      feedChannel(timeoutMs),
      replica === null ? undefined : probeMysql(replica, timeoutMs),
    ]);
    // Key states live in Redis: read them once Redis answers, within what is left of the budget.
    const remaining = Math.max(100, timeoutMs - (performance.now() - started));
    const keys = redisState === 'up' ? await withTimeout(youtube(), remaining, 'youtube key state').catch(() => null) : null;
    return {
      healthy: mysql === 'up' && redisState === 'up',
      checks: {
        mysql,
        ...(replicaState === undefined ? {} : { mysqlReplica: replicaState }),
        redis: redisState,
        youtube: keys?.state ?? 'unknown',
        feedChannel: feedChannelState,
      },
      quotaResetAt: keys?.state === 'quota_exhausted' ? (keys.resetAt?.toISOString() ?? null) : null,
      youtube: describeYoutube(keys?.state ?? 'unknown', keys?.resetAt ?? null),
      keys:
        keys === null
          ? null
          : {
              ok: keys.keys.filter((k) => k.state === 'ok').length,
              exhausted: keys.keys.filter((k) => k.state === 'exhausted').length,
              suspect: keys.keys.filter((k) => k.state === 'suspect').length,
              disabled: keys.keys.filter((k) => k.state === 'disabled').length,
            },
      quota: keys === null ? null : quotaSummary(keys.projects),
    };
  }
  return { check };
}
