// The worker's enrichment side: the enrich-videos queue with its Job Scheduler (a run every
// ENRICH_INTERVAL_MS, one at a time across the cluster) and the BullMQ worker that runs them
// (jobs/enrich-videos.job.ts). Started by worker-runtime.ts with its key pool (the same keys,
// quota counts and key states as the searches); tests start it alone.
import { Worker, type Queue } from 'bullmq';
import {
  ENRICH_QUEUE,
  bullPrefix,
  createEnrichQueue,
  createEnrichService,
  createRedis,
  createSharedCounters,
  createSnapshotWriter,
  createVideoDetailsRepository,
  createVideoRepository,
  createYoutubeClient,
  scheduleEnrichment,
  type Clock,
  type Config,
  type Db,
  type EnrichJobData,
  type EnrichRunResult,
  type EnrichServiceDeps,
  type Logger,
  type RedisClient,
  type RetrySettings,
} from '@tubefeed/core';
import { closeQueueRuntime, logWorkerFailures } from './close-worker.js';
import { enrichVideosProcessor } from './jobs/enrich-videos.job.js';

export interface EnrichRuntimeOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: Clock;
  /** The primary (videos are written). */
  readonly db: Pick<Db, 'kysely'>;
  /** The worker's key pool. */
  readonly pool: EnrichServiceDeps['pool'];
  /** A command connection (the day's spend, the shared counters). */
  readonly redis: RedisClient;
  /** Backoff of retried YouTube calls (tests shorten it). */
  readonly retry: RetrySettings;
  readonly onResult?: (result: EnrichRunResult) => void | Promise<void>;
}

export interface EnrichRuntime {
  readonly queue: Queue<EnrichJobData, EnrichRunResult>;
  readonly worker: Worker<EnrichJobData, EnrichRunResult>;
  /** Stops taking runs; the running one stops after its batch, within `graceMs` or is abandoned (retried later). */
  close(graceMs?: number): Promise<void>;
}

export async function startEnrichRuntime({ config, log, clock, db, pool, redis, retry, onResult }: EnrichRuntimeOptions): Promise<EnrichRuntime> {
  const moduleLog = log.child({ module: 'enrich' });
  const redisLog = log.child({ module: 'redis' });
  const queueConnection = createRedis(config.redis, 'worker', redisLog);
  const workerConnection = createRedis(config.redis, 'worker', redisLog);
  const prefix = bullPrefix(config.redis.prefix);
  const queue = createEnrichQueue(queueConnection, prefix, moduleLog);
  const enrich = createEnrichService({
    details: createVideoDetailsRepository({ db: db.kysely }),
    pool,
    youtube: createYoutubeClient({ rootUrl: config.youtube.apiRoot, timeoutMs: config.youtube.timeoutMs }),
    redis,
    prefix: config.redis.prefix,
    clock,
    log: moduleLog,
    settings: config.enrich,
    retry,
  });
  const counters = createSharedCounters({ redis, prefix: config.redis.prefix });
  // Enriched videos' JSON changes (counts, live state): page 1 of their scopes is rebuilt after a
  // run, from the primary, like the fetch's (worker-runtime.ts).
  const snapshots = createSnapshotWriter({ redis, prefix: config.redis.prefix, videos: createVideoRepository({ db: db.kysely, clock }), now: () => clock.now() });

  await scheduleEnrichment(queue, config.enrich.intervalMs);
  // Redis may come back empty (no persistence): the scheduler is put back on every reconnect.
  queueConnection.on('ready', () => {
    scheduleEnrichment(queue, config.enrich.intervalMs).catch((error: unknown) =>
      moduleLog.warn({ err: (error as Error).message }, 'could not restore the enrichment schedule yet'),
    );
  });

  const stopping = new AbortController();
  const worker = new Worker<EnrichJobData, EnrichRunResult>(
    ENRICH_QUEUE,
    enrichVideosProcessor({
      enrich,
      log: moduleLog,
      snapshots,
      signal: stopping.signal,
      onResult: async (result) => {
        await counters.add({
          [`enrich_runs:${result.outcome}`]: 1,
          enrich_units: result.units,
          videos_enriched: result.enriched,
          videos_unavailable: result.unavailable,
        });
        await onResult?.(result);
      },
    }),
    { connection: workerConnection, prefix, concurrency: 1, autorun: true },
  );
  logWorkerFailures(worker, moduleLog, {
    retrying: 'enrichment run failed; retrying with backoff',
    failed: 'enrichment run failed; the next scheduled run starts from what is still due',
    error: 'enrichment worker error',
  });

  let closed: Promise<void> | undefined;
  return {
    queue,
    worker,
    close(graceMs = config.shutdownGraceMs) {
      closed ??= shutdown(graceMs);
      return closed;
    },
  };

  async function shutdown(graceMs: number): Promise<void> {
    stopping.abort();
    await closeQueueRuntime({ worker, queue, connections: [queueConnection, workerConnection] }, graceMs, () =>
      moduleLog.warn({ graceMs }, 'running enrichment did not finish in time; abandoning it (its stored batches stay)'),
    );
  }
}
