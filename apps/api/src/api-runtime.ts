// Builds the API from a Config: connections, services and the Fastify app. server.ts (process
// concerns) and the tests both use it, so tests run the API exactly as deployed.
//
// Which MySQL each read uses, with MYSQL_READ_URL set (read-routing.ts; without it, all go to
// MYSQL_URL):
//   replica (the primary while the replica is unusable): /videos (cursor listing),
//     /videos/search, /getData pages the snapshot does not serve (page 2 on, or a limit above
//     the snapshot's);
//   primary: everything else. Page 1 is the worker's snapshot in Redis; rebuilding it here when
//     Redis has none reads the primary, so page 1 is as fresh as with no replica. Resolving a
//     query text (?query=) reads the primary: a query an operator just added must be found at
//     once (and the answer is cached). Admin key and query changes write there, and the reads
//     they are checked against (key lists, the pool's key source, /queries, /metrics' freshness
//     figures) see them there. Migrations run against MYSQL_URL only.
import type { FastifyInstance } from 'fastify';
import {
  backlogSeconds,
  bullPrefix,
  sharedSecret,
  buildSnapshot,
  bullmqFetchSchedule,
  createDb,
  createApiKeyRepository,
  createCatalogService,
  createChannelAdmin,
  createChannelClient,
  createChannelPacingReader,
  createChannelQueue,
  createChannelResolver,
  createChannelSubscriber,
  createControlChannel,
  createDeadlines,
  createEnrichQueue,
  createFeedService,
  createFetchQueue,
  createFollowedChannelRepository,
  createHealthMonitor,
  createHealthService,
  createKeyAdmin,
  createKeyPool,
  createQueryAdmin,
  createQueryOverview,
  createReadDb,
  createReadRouting,
  createRedis,
  createSearchFinder,
  createSearchQueryRepository,
  createSharedCounters,
  createSnapshotCache,
  createStreamHub,
  createFeedEventRepository,
  createFeedLog,
  createVideoFinder,
  createVideoRepository,
  createWebhookAdmin,
  createWebhookQueue,
  createWebhookRepository,
  createYoutubeClient,
  decodeRanges,
  describeMysqlUrl,
  maskKey,
  migrateDatabase,
  nextPacificMidnight,
  storedKeySource,
  withTimeout,
  type Clock,
  type Config,
  type Db,
  type HealthMonitor,
  type HealthTimers,
  type Logger,
} from '@tubefeed/core';
import { buildApp } from './app.js';
import { createApiMetrics, type ApiMetrics } from './metrics/api-metrics.js';
import { createSharedWindowCounter } from './plugins/shared-rate-limit-store.js';

/** An operator waits for the answer: a short backoff, few retries. */
const CHANNEL_LOOKUP_RETRY = { retries: 2, minDelayMs: 200, maxDelayMs: 1000 } as const;

export interface ApiRuntime {
  readonly app: FastifyInstance;
  readonly metrics: ApiMetrics;
  readonly db: Db;
  /** What /health answers from: the dependencies probed in the background once the app is ready. */
  readonly health: HealthMonitor;
  close(): Promise<void>;
}

export interface ApiRuntimeOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: Clock;
  /** Skip creating and migrating the database (tests that point at a dead server). */
  readonly prepareDatabase?: boolean;
  readonly connectTimeoutMs?: number;
  /** The health monitor's timers (tests fire them by hand); real ones by default. */
  readonly healthTimers?: HealthTimers;
}

export async function createApiRuntime({ config, log, clock, prepareDatabase = true, connectTimeoutMs, healthTimers }: ApiRuntimeOptions): Promise<ApiRuntime> {
  if (prepareDatabase) {
    const applied = await migrateDatabase(config.mysql.url);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
  }
  // Every wait for MySQL is bounded, and a request's waits together by MYSQL_QUERY_TIMEOUT_MS
  // (withDbDeadline below): with MySQL unreachable a request answers 503 instead of hanging.
  // The replica's pool has the same bounds and shares the request's deadline.
  const poolBounds = {
    connectTimeoutMs: connectTimeoutMs ?? config.mysql.connectTimeoutMs,
    acquireTimeoutMs: config.mysql.acquireTimeoutMs,
    queryTimeoutMs: config.mysql.queryTimeoutMs.api,
    deadlines: createDeadlines(),
  };
  const db = createDb(config.mysql, poolBounds);
  const readDb = createReadDb(config.mysql, poolBounds);
  const reads = createReadRouting({
    primary: db,
    replica: readDb,
    clock,
    log: log.child({ module: 'mysql-replica' }),
    deadlines: poolBounds.deadlines,
  });
  if (config.mysql.readUrl !== null) {
    log.info({ replica: describeMysqlUrl(config.mysql.readUrl) }, 'listing and search read from the MySQL replica');
  }
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
    feedEventsPending: () => createFeedEventRepository({ db: db.kysely }).backlog(),
  });
  // Pages beyond the snapshot may lag a little on the replica, as any page read a moment
  // earlier would; page 1 (snapshot) and query resolution stay on the primary.
  const onFeedPages = reads.over((kysely) => createVideoRepository({ db: kysely, clock }));
  const snapshots = createSnapshotCache({
    redis,
    channels,
    prefix: config.redis.prefix,
    clock,
    log: log.child({ module: 'snapshot-cache' }),
    fromDatabase: (scope) => buildSnapshot(videos, scope, clock.now()),
    // Where the deep pages' rows are read (the replica, the primary while it is away); a layout
    // read from a replica behind is kept at most layoutMaxAgeMs (5 s).
    layoutFromDatabase: (scope) => onFeedPages((repository) => repository.layout(scope)),
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
  // SSE: each feed's event log fanned out to this process's clients (stream-hub.ts).
  const streams = createStreamHub({
    log: createFeedLog({ redis, prefix: config.redis.prefix, maxLength: config.push.logMaxLength, maxAgeMs: config.push.logMaxAgeMs }),
    channels,
    prefix: config.redis.prefix,
    logger: log.child({ module: 'event-stream' }),
    pollMs: config.push.pollMs,
    heartbeatMs: config.push.heartbeatMs,
    onDelivered: (storedAtMs) => metrics.streamDelivered((clock.now().getTime() - storedAtMs) / 1000),
  });
  metrics.countStreams(() => ({ clients: streams.clients(), feeds: streams.feeds() }));
  streams.start();
  const control = createControlChannel({ redis, channels, prefix: config.redis.prefix, log });
  control.on((event) => {
    if (event === 'keys-changed') keySource.invalidate();
  });
  control.start();
  channels.start();
  const queue = createFetchQueue(queueConnection, config.redis.prefix, log);
  const schedule = bullmqFetchSchedule(queue);
  // Webhook deliveries are the worker's; the API shows them in Bull Board.
  const webhookQueue = createWebhookQueue(queueConnection, bullPrefix(config.redis.prefix), log);
  // So is enrichment (videos.list runs); shown there too.
  const enrichQueue = createEnrichQueue(queueConnection, bullPrefix(config.redis.prefix), log);
  // And channel polling (playlistItems.list ticks).
  const channelQueue = createChannelQueue(queueConnection, bullPrefix(config.redis.prefix), log);
  const followedChannels = createFollowedChannelRepository({ db: db.kysely, clock });
  const counters = createSharedCounters({ redis, prefix: config.redis.prefix });

  const feed = createFeedService({
    videos: {
      pageByOffset: async (scope, offset, limit) => onFeedPages((repository) => repository.pageByOffset(scope, offset, limit)),
      pageAt: async (scope, located, limit) => onFeedPages((repository) => repository.pageAt(scope, located, limit)),
    },
    queries,
    channels: followedChannels,
    clock,
    snapshots,
  });
  const onFinder = reads.over((kysely) => createVideoFinder(kysely));
  const onSearchFinder = reads.over((kysely) => createSearchFinder(kysely, { windowRows: config.search.windowRows }));
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
  // Probed once a second in the background, not per /health request (health-monitor.ts).
  const health = createHealthMonitor({
    check: createHealthService({ db, replica: readDb, redis, youtube: youtubeStatus, feedChannel: (ms) => channels.settledState(ms), timeoutMs: 1000 })
      .check,
    intervalMs: 1000,
    ...(healthTimers === undefined ? {} : { timers: healthTimers }),
  });
  const app = await buildApp({
    config,
    log,
    feed,
    streams,
    catalog: createCatalogService({
      // CURSOR_SECRET, or the deployment's own, made once and kept in MySQL (read when the
      // first cursor is made or checked: the API boots without MySQL).
      cursorSecret: config.cursorSecret === null ? () => sharedSecret(db.kysely, 'cursor', clock.now()) : config.cursorSecret.reveal(),
      finder: {
        find: async (request) => onFinder((finder) => finder.find(request)),
        lastChanged: async (videoIds) => onFinder((finder) => finder.lastChanged(videoIds)),
      },
      searchFinder: { find: async (request) => onSearchFinder((finder) => finder.find(request)) },
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
    // A channel is looked up with channels.list through the pool (1 unit), the way searches are charged.
    channelAdmin: createChannelAdmin({
      channels: followedChannels,
      resolve: createChannelResolver({
        pool,
        youtube: createChannelClient({ rootUrl: config.youtube.apiRoot, timeoutMs: config.youtube.timeoutMs }),
        retry: CHANNEL_LOOKUP_RETRY,
        log: log.child({ module: 'admin' }),
      }),
      pacing: createChannelPacingReader({ pool, channels: followedChannels, redis, prefix: config.redis.prefix, clock, settings: config.channels, reserveUnits: config.enrich.reserveUnits }),
      log: log.child({ module: 'admin' }),
    }),
    webhookAdmin: createWebhookAdmin({ webhooks: createWebhookRepository({ db: db.kysely, clock }), queries, log: log.child({ module: 'admin' }) }),
    metrics,
    health,
    withDbDeadline: (run) => db.withDeadline(config.mysql.queryTimeoutMs.api, run),
    queues: [queue, webhookQueue, enrichQueue, channelQueue],
    requestCounter,
    redis,
  });

  // Event streams never end by themselves: closed first, so closing waits for nothing (their
  // clients reconnect, to another process, with the id they got last).
  app.addHook('preClose', async () => {
    streams.stop();
    return Promise.resolve();
  });
  app.addHook('onReady', async () => {
    health.start();
    return Promise.resolve();
  });

  return {
    app,
    metrics,
    db,
    health,
    async close() {
      await app.close();
      // Before the connections it probes close: waits for a probe in flight.
      await health.stop();
      await requestCounter?.stop();
      control.stop();
      snapshots.stop();
      await channels.close();
      // With Redis unreachable BullMQ's close would wait for a connection that never comes.
      await withTimeout(queue.close(), 2000, 'queue close').catch(() => undefined);
      await withTimeout(webhookQueue.close(), 2000, 'queue close').catch(() => undefined);
      await withTimeout(enrichQueue.close(), 2000, 'queue close').catch(() => undefined);
      await withTimeout(channelQueue.close(), 2000, 'queue close').catch(() => undefined);
      await db.close();
      await readDb?.close();
      for (const connection of [redis, queueConnection]) connection.disconnect();
    },
  };
}
