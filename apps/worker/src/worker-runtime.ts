// Builds everything the worker process runs from a Config: the services, the fetch schedules
// (paced to the quota), the BullMQ worker and the run-time control channel. main.ts (process
// concerns) and the tests (several workers in one process) both start workers through here.
//
// Concurrency: each worker process runs up to FETCH_CONCURRENCY fetch jobs at once, and the
// queue has no global limit. What must never run twice at once, a query's fetch, is excluded by
// its lease (fetch-lease.ts), whichever worker runs it. What is shared stays exact with runs in
// parallel: the key pool counts each search in one atomic script, the pacing is planned once for
// the cluster (fetch-planner.ts), and page-1 snapshots may be rebuilt by several workers at once:
// each store is ordered by when its read began (feed-snapshot.ts), so a snapshot read before
// another worker's never replaces the newer one.
import { Worker } from 'bullmq';
import {
  ALL_VIDEOS_SCOPE,
  FETCH_QUEUE,
  bullPrefix,
  bullmqFetchSchedule,
  channelScope,
  createApiKeyRepository,
  createChannelSubscriber,
  createControlChannel,
  createDb,
  createFeedEventRepository,
  createFeedLog,
  createFeedRelay,
  feedLogSink,
  createFetchLeases,
  createFetchPlanner,
  createFetchQueue,
  createFetchStack,
  createFollowedChannelRepository,
  createRedis,
  createSharedCounters,
  createSnapshotWriter,
  migrateDatabase,
  nextPacificMidnight,
  storedKeySource,
  withTimeout,
  type Clock,
  type Config,
  type FetchJobData,
  type FetchRunResult,
  type Logger,
  type RetrySettings,
} from '@tubefeed/core';
import { fetchVideosProcessor } from './jobs/fetch-videos.job.js';
import { closeWorkerWithin } from './close-worker.js';
import { startChannelRuntime } from './channel-runtime.js';
import { startEnrichRuntime } from './enrich-runtime.js';
import { startWebhookRuntime } from './webhook-runtime.js';

export interface WorkerRuntimeOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: Clock;
  /** Backoff of retried YouTube calls (tests shorten it). */
  readonly retry?: RetrySettings;
  readonly onResult?: (result: FetchRunResult) => void | Promise<void>;
}

export interface WorkerRuntime {
  readonly worker: Worker<FetchJobData, FetchRunResult>;
  /** Stops taking jobs; waits for the running one up to `graceMs`, then abandons it. */
  close(graceMs?: number): Promise<void>;
}

/** Backoff of retried YouTube calls as deployed. */
export const DEFAULT_RETRY: RetrySettings = { retries: 3, minDelayMs: 1000, maxDelayMs: 8000 };

export async function startWorkerRuntime({ config, log, clock, retry = DEFAULT_RETRY, onResult }: WorkerRuntimeOptions): Promise<WorkerRuntime> {
  const applied = await migrateDatabase(config.mysql.url);
  if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
  // Bounded waits: a statement on a connection MySQL no longer answers fails instead of holding
  // the job forever (the run then retries its writes, see fetch-service.ts).
  // Always the primary, never MYSQL_READ_URL, reads included: the page-1 snapshot is rebuilt
  // right after a store, and a replica may not have that store yet; a snapshot read from it
  // would publish page 1 without the videos just found (and keep it until the next change).
  const db = createDb(config.mysql, {
    connectTimeoutMs: config.mysql.connectTimeoutMs,
    acquireTimeoutMs: config.mysql.acquireTimeoutMs,
    queryTimeoutMs: config.mysql.queryTimeoutMs.worker,
  });

  const redisLog = log.child({ module: 'redis' });
  const redis = createRedis(config.redis, 'worker', redisLog);
  const queueConnection = createRedis(config.redis, 'worker', redisLog);
  // Leases answer at once or fail (no queueing while Redis is away): a fence that cannot reach
  // Redis refuses the write instead of waiting.
  const leaseConnection = createRedis(config.redis, 'command', redisLog);
  const leases = createFetchLeases({ redis: leaseConnection, prefix: config.redis.prefix, ttlMs: config.fetch.jobLockMs, log: log.child({ module: 'fetch-lease' }) });
  // The process's one pub/sub connection (the control channel's), subscribed again after every
  // reconnect.
  const channels = createChannelSubscriber({ redis: config.redis, log: redisLog });
  const keys = createApiKeyRepository({ db: db.kysely, clock });
  const target = config.youtube.source;
  const imported = await keys.importConfigured(
    config.youtube.apiKeys.map(({ key, project }) => ({ key: key.reveal(), project })),
    target,
  );
  if (imported > 0) log.info({ imported, target }, 'API keys imported from the environment');
  const keySource = storedKeySource({ keys, target, clock });
  const { videos, queries, pool, fetch } = createFetchStack({
    db: db.kysely,
    redis,
    redisPrefix: config.redis.prefix,
    clock,
    log,
    keys: keySource,
    keyStates: keys,
    quota: config.youtube.quota,
    youtube: { rootUrl: config.youtube.apiRoot, timeoutMs: config.youtube.timeoutMs },
    settings: {
      overlapMs: config.fetch.overlapMs,
      lookbackMs: config.fetch.lookbackMs,
      sweepDelaysMs: config.fetch.sweepDelaysMs,
      maxPages: config.fetch.maxPages,
      pageSize: 50,
    },
    retry,
    storeRetryMs: config.fetch.storeRetryMs,
    fence: leases,
  });
  // No lock: a lock would only make rebuilds wait their turn (each still reads), and the store
  // itself refuses a snapshot older than the stored one.
  const snapshots = createSnapshotWriter({ redis, prefix: config.redis.prefix, videos, now: () => clock.now() });
  const counters = createSharedCounters({ redis, prefix: config.redis.prefix });
  const filled = await videos.fillMissingSearchRows();
  if (filled > 0) log.info({ videos: filled }, 'search rows written for videos stored before search existed');
  // Stored video JSON that is missing or from another renderer version (rows stored before it
  // existed, a new version of the shape, or rows an older process wrote during a rolling
  // deploy) is rendered again in the background, at boot and with the minute's schedule check:
  // readers render such rows themselves meanwhile, so nothing waits for it.
  const rendering = new AbortController();
  let rerender: Promise<void> | null = null;
  const renderStale = () => {
    rerender ??= videos
      .renderStaleJson({ signal: rendering.signal })
      .then(
        (count) => {
          if (count > 0) log.info({ videos: count }, 'stored video JSON rendered for the current version');
        },
        (error: unknown) => log.warn({ err: (error as Error).message }, 'could not render stored video JSON yet; readers render it meanwhile'),
      )
      .finally(() => {
        rerender = null;
      });
  };
  renderStale();

  // Followed queries: SEARCH_QUERIES, plus any an operator added at run time.
  const { dropped } = await queries.syncConfigured(config.fetch.queries);
  if (dropped.length > 0) log.info({ queries: dropped.map((q) => q.text) }, 'queries no longer in SEARCH_QUERIES are not followed any more');

  const queue = createFetchQueue(queueConnection, config.redis.prefix, log);
  // No limit across the cluster (older versions ran one fetch at a time, and left that limit in
  // Redis): a query's runs are kept apart by its lease, a tick that finds its query still
  // fetching is skipped, so jobs never pile up; the search spend is the pacing's business.
  await queue.removeGlobalConcurrency();
  const planner = createFetchPlanner({
    schedule: bullmqFetchSchedule(queue),
    queries,
    pool,
    redis,
    prefix: config.redis.prefix,
    clock,
    log: log.child({ module: 'pacing' }),
    minIntervalMs: config.fetch.intervalMs,
    pacing: config.fetch.pacing,
  });
  await planner.replan('boot');
  // Redis may come back empty (a restart without persistence): schedulers are then gone, and
  // with no scheduler no run would ever replan. Whenever the queue's connection is
  // re-established, and once a minute as a safety net, they are put back (idempotent: an intact
  // schedule is left as it is).
  const restoreQueue = (reason: string) => {
    planner
      .replan(reason)
      .catch((error: unknown) => log.warn({ err: (error as Error).message, reason }, 'could not restore the fetch schedule yet'));
  };
  queueConnection.on('ready', () => restoreQueue('redis reconnected'));
  const watchdog = setInterval(() => {
    restoreQueue('schedule check');
    renderStale();
  }, 60_000);
  watchdog.unref();
  // The push side: new-video events go from the MySQL outbox (written with the videos) to each
  // feed's Redis Stream log (SSE) and the webhook deliveries; every worker relays (feed-relay.ts).
  const webhooks = startWebhookRuntime({ config, log, clock, db });
  // Enrichment: stored videos read with videos.list from the units bucket, with the same pool.
  const enrichment = await startEnrichRuntime({ config, log, clock, db, pool, redis, retry });
  const relay = createFeedRelay({
    events: createFeedEventRepository({ db: db.kysely }),
    sinks: [
      feedLogSink(createFeedLog({ redis, prefix: config.redis.prefix, maxLength: config.push.logMaxLength, maxAgeMs: config.push.logMaxAgeMs })),
      webhooks.sink,
    ],
    clock,
    log: log.child({ module: 'feed-relay' }),
    intervalMs: config.push.relayIntervalMs,
    retentionMs: config.push.logMaxAgeMs,
  });
  relay.start();
  // Followed channels: uploads playlists read with playlistItems.list from the units bucket, with
  // the same pool; what a tick stores goes out through the relay and page 1 like a fetch's.
  const followedChannels = await startChannelRuntime({
    config,
    log,
    clock,
    db,
    pool,
    redis,
    retry,
    onStored: async (_inserted, scopes) => {
      relay.kick();
      await snapshots.refresh([ALL_VIDEOS_SCOPE, ...scopes]);
    },
  });
  const followed = await queries.list({ enabledOnly: true });
  const channelsFollowed = await createFollowedChannelRepository({ db: db.kysely, clock }).list();
  await snapshots.refresh([ALL_VIDEOS_SCOPE, ...followed.map((q) => q.id), ...channelsFollowed.map((c) => channelScope(c.id))]);

  // Keys or queries changed through the admin API: re-read them and reschedule.
  const control = createControlChannel({ redis, channels, prefix: config.redis.prefix, log });
  control.on((event) => {
    if (event === 'keys-changed') keySource.invalidate();
    planner.replan(event).catch((error: unknown) => log.error({ err: (error as Error).message }, 'replanning failed'));
  });
  control.start();
  channels.start();

  // Each Pacific midnight brings every key a new quota.
  let midnight: NodeJS.Timeout | undefined;
  const armMidnight = () => {
    const wait = nextPacificMidnight(clock.now()).getTime() - clock.now().getTime() + 1000;
    midnight = setTimeout(() => {
      // Exhaustion saved in MySQL ends by itself at its time; clearing it keeps the table honest.
      keys
        .clearEndedExhaustion(clock.now())
        .then(() => keySource.invalidate())
        .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'could not clear ended key exhaustion'));
      planner.replan('quota reset').catch((error: unknown) => log.error({ err: (error as Error).message }, 'replanning failed'));
      armMidnight();
    }, wait);
    midnight.unref();
  };
  armMidnight();

  const worker = new Worker<FetchJobData, FetchRunResult>(
    FETCH_QUEUE,
    fetchVideosProcessor({
      fetch,
      snapshots,
      leases,
      log: log.child({ module: 'fetch-job' }),
      sweepSearchesPerHour: () => planner.sweepSearchesPerHour(),
      onBusy: () => counters.add({ fetch_jobs_skipped_busy: 1 }),
      onResult: async (result) => {
        if (result.inserted > 0 || result.videosChanged) relay.kick();
        await counters.add({
          [`fetch_runs:${result.outcome}`]: 1,
          videos_inserted: result.inserted,
          videos_updated: result.updated,
          fetch_result_cap_hits: result.capHits,
          fetch_outside_window: result.outsideWindow,
          fetch_found_below_head: result.foundBelowHead,
          fetch_unverified_seconds: result.unverifiedSeconds,
        });
        await planner.observe(result.searchCalls);
        await planner.replan('run');
        await onResult?.(result);
      },
    }),
    {
      connection: redis,
      prefix: bullPrefix(config.redis.prefix),
      concurrency: config.fetch.concurrency,
      autorun: true,
      lockDuration: config.fetch.jobLockMs,
      stalledInterval: config.fetch.jobLockMs,
    },
  );
  worker.on('failed', (job, error) => {
    counters.add({ job_failures: 1, 'fetch_runs:failed': 1 }).catch(() => undefined);
    log.error({ jobId: job?.id, queryId: job?.data.queryId, attempt: job?.attemptsMade, err: error.message }, 'fetch job failed');
  });
  worker.on('error', (error) => log.error({ err: error.message }, 'worker error'));

  let closed: Promise<void> | undefined;
  return {
    worker,
    close(graceMs = config.shutdownGraceMs) {
      closed ??= shutdown(graceMs);
      return closed;
    },
  };

  async function shutdown(graceMs: number): Promise<void> {
    clearTimeout(midnight);
    clearInterval(watchdog);
    control.stop();
    // The relay first (it hands events to the webhook queue); what it has not relayed stays in
    // the outbox for the next worker. Then the fetch, the deliveries, the enrichment and the
    // channel polling, in parallel, within the one grace period.
    await relay.stop();
    const [timedOut] = await Promise.all([closeWorkerWithin(worker, graceMs), webhooks.close(graceMs), enrichment.close(graceMs), followedChannels.close(graceMs)]);
    // An abandoned run's lock expires, BullMQ re-runs it as stalled, and the run is idempotent.
    if (timedOut) log.warn({ graceMs }, 'running job did not finish in time; abandoning it');
    // With Redis unreachable BullMQ's close would wait for a connection that never comes.
    await withTimeout(queue.close(), 2000, 'queue close').catch(() => undefined);
    rendering.abort();
    await rerender;
    await db.close();
    await channels.close();
    for (const connection of [redis, queueConnection, leaseConnection]) connection.disconnect();
  }
}
