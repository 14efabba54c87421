// The fetch pipeline wired together: repositories, key pool, YouTube client and fetch service.
// The worker, the quota-day simulation and the tests all build it here, so they run the same
// wiring.
import type { RedisClient } from '../platform/redis/create-redis.js';
import type { Kysely } from 'kysely';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/db/schema.js';
import type { ProjectQuota } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { createSearchQueryRepository } from '../catalog/search-query-repository.js';
import { createVideoRepository } from '../catalog/video-repository.js';
import { createKeyPool, type KeySource, type KeyStateStore } from './youtube/key-pool.js';
import { createYoutubeClient } from './youtube/youtube-client.js';
import { createFetchService, type FetchSettings, type RetrySettings } from './fetch-service.js';
import { fencedQueryWrites, type FetchLeases } from './fetch-lease.js';

export interface FetchStackOptions {
  readonly db: Kysely<Database>;
  readonly redis: RedisClient;
  readonly redisPrefix: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly keys: KeySource;
  /** Where exhaustion and rejection are kept durably (the api_keys table); Redis only without it. */
  readonly keyStates?: KeyStateStore;
  /** Each Google Cloud project's daily quota. */
  readonly quota: ProjectQuota;
  readonly youtube: { readonly rootUrl: string; readonly timeoutMs: number };
  readonly settings: FetchSettings;
  readonly retry: RetrySettings;
  /** How long a run retries a write while MySQL is unreachable (fetch-service.ts). */
  readonly storeRetryMs?: number;
  /**
   * The worker's per-query leases (fetch-lease.ts): checked before every write of a query's
   * fetch state (with the run's fetch epoch) and before every search call.
   */
  readonly fence?: Pick<FetchLeases, 'fence' | 'assertHeld'>;
}

export function createFetchStack(options: FetchStackOptions) {
  const { db, redis, redisPrefix, clock, log } = options;
  const videos = createVideoRepository({ db, clock });
  const queries = createSearchQueryRepository({ db, clock });
  const pool = createKeyPool({
    redis,
    prefix: redisPrefix,
    source: options.keys,
    clock,
    quota: options.quota,
    log: log.child({ module: 'key-pool' }),
    ...(options.keyStates === undefined ? {} : { store: options.keyStates }),
  });
  const fetch = createFetchService({
    videos,
    queries: options.fence === undefined ? queries : fencedQueryWrites(queries, options.fence.fence),
    ...(options.fence === undefined ? {} : { assertLeaseHeld: options.fence.assertHeld }),
    pool,
    youtube: createYoutubeClient(options.youtube),
    clock,
    log: log.child({ module: 'fetch' }),
    settings: options.settings,
    retry: options.retry,
    ...(options.storeRetryMs === undefined ? {} : { storeRetryMs: options.storeRetryMs }),
  });
  return { videos, queries, pool, fetch };
}

export type FetchStack = ReturnType<typeof createFetchStack>;
