// Builds the API from a Config: connections, services and the Fastify app. server.ts (process
// concerns) and the tests both use it, so tests run the API exactly as deployed.
import type { FastifyInstance } from 'fastify';
import {
  backlogSeconds,
  buildSnapshot,
  bullmqFetchSchedule,
  createDb,
  createApiKeyRepository,
  createCatalogService,
  createChannelSubscriber,
  createControlChannel,
  createFeedService,
  createFetchQueue,
  createHealthService,
  createKeyAdmin,
  createKeyPool,
  createQueryAdmin,
  createQueryOverview,
  createRedis,
  createSearchFinder,
  createSearchQueryRepository,
  createSharedCounters,
  createSnapshotCache,
  createVideoFinder,
  createVideoRepository,
  createYoutubeClient,
  decodeRanges,
  maskKey,
  migrateDatabase,
  nextPacificMidnight,
  storedKeySource,
  withTimeout,
  type Clock,
  type Config,
  type Db,
  type Logger,
} from '@tubefeed/core';
import { buildApp } from './app.js';
import { createApiMetrics, type ApiMetrics } from './metrics/api-metrics.js';
import { createSharedWindowCounter } from './plugins/shared-rate-limit-store.js';

export interface ApiRuntime {
  readonly app: FastifyInstance;
  readonly metrics: ApiMetrics;
  readonly db: Db;
  close(): Promise<void>;
}

export interface ApiRuntimeOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: Clock;
  /** Skip creating and migrating the database (tests that point at a dead server). */
  readonly prepareDatabase?: boolean;
  readonly connectTimeoutMs?: number;
}

export async function createApiRuntime({ config, log, clock, prepareDatabase = true, connectTimeoutMs }: ApiRuntimeOptions): Promise<ApiRuntime> {
  if (prepareDatabase) {
    const applied = await migrateDatabase(config.mysql.url);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
  }
  // Every wait for MySQL is bounded, and a request's waits together by MYSQL_QUERY_TIMEOUT_MS
  // (withDbDeadline below): with MySQL unreachable a request answers 503 instead of hanging.
  const db = createDb(config.mysql, {
    connectTimeoutMs: connectTimeoutMs ?? config.mysql.connectTimeoutMs,
    acquireTimeoutMs: config.mysql.acquireTimeoutMs,
    queryTimeoutMs: config.mysql.queryTimeoutMs.api,
  });
  const redisLog = log.child({ module: 'redis' });
  const redis = createRedis(config.redis, 'command', redisLog);
  // The process's one pub/sub connection: the snapshot cache and the control channel register
  // their channels on it, and it subscribes them (again after every reconnect) once started.
  const channels = createChannelSubscriber({ redis: config.redis, log: redisLog });
  const queueConnection = createRedis(config.redis, 'command', redisLog);

  const videos = createVideoRepository({ db: db.kysely, clock });
  const queries = createSearchQueryRepository({ db: db.kysely, clock });
  // Its sources are read at scrape time, by which point everything below exists.
  const metrics = createApiMetrics({
    clock,
    keyStatuses: async () => (await pool.status()).keys,
    keyLabels: async () => new Map((await keys.list(config.youtube.source)).map((row) => [row.fingerprint, maskKey(row.api_key)])),
    followedQueries: async () => {
      const [followed, scheduled] = await Promise.all([queries.list({ enabledOnly: true }), schedule.current()]);
      return Promise.all(
        followed.map(async (query) => {
          const pending = decodeRanges(query.pending_ranges);
          return {
            text: query.text,
            intervalMs: scheduled.get(query.id)?.everyMs ?? null,
            newestPublishedAt: await videos.newestPublishedAt(query.id),
            backlog: { ranges: pending.length, seconds: backlogSeconds(pending) },
          };
        }),
      );
    },
    quotaResetAt: () => nextPacificMidnight(clock.now()),
    feedChannel: () => ({ up: channels.state() === 'up', losses: channels.losses() }),
    sharedCounters: () => counters.read(),
  });
  const snapshots = createSnapshotCache({
    redis,
    channels,
    prefix: config.redis.prefix,
    clock,
    log: log.child({ module: 'snapshot-cache' }),
    fromDatabase: (scope) => buildSnapshot(videos, scope, clock.now()),
    onServe: (source) => metrics.snapshotServed(source),
  });
  snapshots.start();
  const keys = createApiKeyRepository({ db: db.kysely, clock });
  if (prepareDatabase) {
    await keys.importConfigured(
      config.youtube.apiKeys.map(({ key, project }) => ({ key: key.reveal(), project })),
      config.youtube.source,
    );
  }
  const keySource = storedKeySource({ keys, target: config.youtube.source, clock });
  const pool = createKeyPool({
    redis,
    prefix: config.redis.prefix,
    source: keySource,
    clock,
    quota: config.youtube.quota,
    log: log.child({ module: 'key-pool' }),
    store: keys,
  });
  // Keys an operator switched off are not in the pool: with only those, searching is off, not
  // unconfigured.
  const youtubeStatus = async () => {
    const status = await pool.status();
    if (status.state !== 'no_keys' || (await keys.list(config.youtube.source)).length === 0) return status;
    return { ...status, state: 'keys_disabled' as const };
  };
  const control = createControlChannel({ redis, channels, prefix: config.redis.prefix, log });
  control.on((event) => {
    if (event === 'keys-changed') keySource.invalidate();
  });
  control.start();
  channels.start();
  const queue = createFetchQueue(queueConnection, config.redis.prefix, log);
  const schedule = bullmqFetchSchedule(queue);
  const counters = createSharedCounters({ redis, prefix: config.redis.prefix });

  const feed = createFeedService({ videos, queries, clock, snapshots });
  const requestCounter =
    config.rateLimit.max === 0
      ? null
      : createSharedWindowCounter({
          redis,
          prefix: config.redis.prefix,
          name: 'public',
          windowMs: config.rateLimit.windowMs,
          now: () => clock.now().getTime(),
          log: log.child({ module: 'rate-limit' }),
        });
  requestCounter?.start();
  const app = await buildApp({
    config,
    log,
    feed,
    catalog: createCatalogService({
      cursorSecret: config.cursorSecret.reveal(),
      finder: createVideoFinder(db.kysely),
      searchFinder: createSearchFinder(db.kysely, { windowRows: config.search.windowRows }),
      resolveQuery: (text) => feed.resolveScope(text),
    }),
    queries: createQueryOverview({ queries, queue }),
    keyAdmin: createKeyAdmin({
      keys,
      pool,
      youtube: createYoutubeClient({ rootUrl: config.youtube.apiRoot, timeoutMs: config.youtube.timeoutMs }),
      control,
      target: config.youtube.source,
      clock,
      log: log.child({ module: 'admin' }),
    }),
    queryAdmin: createQueryAdmin({ queries, control, log: log.child({ module: 'admin' }) }),
    metrics,
    health: createHealthService({ db, redis, youtube: youtubeStatus, feedChannel: (ms) => channels.settledState(ms), timeoutMs: 1000 }),
    withDbDeadline: (run) => db.withDeadline(config.mysql.queryTimeoutMs.api, run),
    queues: [queue],
    requestCounter,
    redis,
  });

  return {
    app,
    metrics,
    db,
    async close() {
      await app.close();
      await requestCounter?.stop();
      control.stop();
      snapshots.stop();
      await channels.close();
      // With Redis unreachable BullMQ's close would wait for a connection that never comes.
      await withTimeout(queue.close(), 2000, 'queue close').catch(() => undefined);
      await db.close();
      for (const connection of [redis, queueConnection]) connection.disconnect();
    },
  };
}
