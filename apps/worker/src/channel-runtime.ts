// The worker's followed-channels side: YOUTUBE_CHANNELS resolved and followed at boot, the
// poll-channels queue with its Job Scheduler (a tick every few seconds, one at a time across the
// cluster) and the BullMQ worker that runs the ticks (jobs/poll-channel.job.ts). Each tick polls
// the channels that are due by the pacing (core's channel-pacing.ts). Started by
// worker-runtime.ts with its key pool (the same keys, quota counts and key states as searches
// and enrichment); tests start it alone.
import { Worker, type Queue } from 'bullmq';
import {
  CHANNEL_QUEUE,
  bullPrefix,
  channelTickMs,
  createChannelAdmin,
  createChannelClient,
  createChannelPacingReader,
  createChannelPollService,
  createChannelQueue,
  createChannelResolver,
  createFollowedChannelRepository,
  createRedis,
  createSharedCounters,
  createVideoRepository,
  scheduleChannelPolling,
  type ChannelJobData,
  type ChannelPollServiceDeps,
  type ChannelRunResult,
  type Clock,
  type Config,
  type Db,
  type Logger,
  type RedisClient,
  type RetrySettings,
} from '@tubefeed/core';
import { closeQueueRuntime, logWorkerFailures } from './close-worker.js';
import { pollChannelProcessor } from './jobs/poll-channel.job.js';

export interface ChannelRuntimeOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: Clock;
  /** The primary (videos are written). */
  readonly db: Pick<Db, 'kysely'>;
  /** The worker's key pool. */
  readonly pool: ChannelPollServiceDeps['pool'];
  /** A command connection (the day's spend, the shared counters). */
  readonly redis: RedisClient;
  /** Backoff of retried YouTube calls (tests shorten it). */
  readonly retry: RetrySettings;
  /** Told after a tick stored new videos, with their followed channels' feed scopes (the worker kicks its relay and rebuilds page 1). */
  readonly onStored?: (inserted: number, scopes: readonly number[]) => void | Promise<void>;
  readonly onResult?: (result: ChannelRunResult) => void | Promise<void>;
}

export interface ChannelRuntime {
  readonly queue: Queue<ChannelJobData, ChannelRunResult>;
  readonly worker: Worker<ChannelJobData, ChannelRunResult>;
  /** Stops taking ticks; the running one stops after its channel, within `graceMs` or is abandoned. */
  close(graceMs?: number): Promise<void>;
}

export async function startChannelRuntime({ config, log, clock, db, pool, redis, retry, onStored, onResult }: ChannelRuntimeOptions): Promise<ChannelRuntime> {
  const moduleLog = log.child({ module: 'channels' });
  const redisLog = log.child({ module: 'redis' });
  const queueConnection = createRedis(config.redis, 'worker', redisLog);
  const workerConnection = createRedis(config.redis, 'worker', redisLog);
  const prefix = bullPrefix(config.redis.prefix);
  const queue = createChannelQueue(queueConnection, prefix, moduleLog);
  const youtube = createChannelClient({ rootUrl: config.youtube.apiRoot, timeoutMs: config.youtube.timeoutMs });
  const channels = createFollowedChannelRepository({ db: db.kysely, clock });
  const admin = createChannelAdmin({
    channels,
    resolve: createChannelResolver({ pool, youtube, retry, log: moduleLog }),
    pacing: createChannelPacingReader({ pool, channels, redis, prefix: config.redis.prefix, clock, settings: config.channels, reserveUnits: config.enrich.reserveUnits }),
    log: moduleLog,
  });
  const polling = createChannelPollService({
    channels,
    videos: createVideoRepository({ db: db.kysely, clock }),
    pool,
    youtube,
    redis,
    prefix: config.redis.prefix,
    clock,
    log: moduleLog,
    settings: config.channels,
    retry,
    reserveUnits: config.enrich.reserveUnits,
    ...(onStored === undefined ? {} : { onStored }),
  });
  const counters = createSharedCounters({ redis, prefix: config.redis.prefix });

  // YOUTUBE_CHANNELS: entries that cannot be resolved now (no key yet, quota, YouTube away) are
  // tried again before each tick until they are.
  let unresolved: readonly string[] = config.channels.configured;
  let syncing: Promise<void> | null = null;
  let warned = '';
  const sync = async (): Promise<void> => {
    if (unresolved.length === 0 && syncing === null) return;
    syncing ??= (async () => {
      const { retry: again } = await admin.syncConfigured(config.channels.configured);
      // Said once per change, not at every tick.
      if (again.length > 0 && again.join(',') !== warned) moduleLog.warn({ channels: again }, 'YOUTUBE_CHANNELS entries cannot be looked up yet; trying again at every tick');
      warned = again.join(',');
      unresolved = again;
    })().finally(() => {
      syncing = null;
    });
    await syncing;
  };
  await sync().catch((error: unknown) => moduleLog.warn({ err: (error as Error).message }, 'could not follow YOUTUBE_CHANNELS yet'));

  const tickMs = channelTickMs(config.channels.pollIntervalMs);
  await scheduleChannelPolling(queue, tickMs);
  // Redis may come back empty (no persistence): the scheduler is put back on every reconnect.
  queueConnection.on('ready', () => {
    scheduleChannelPolling(queue, tickMs).catch((error: unknown) => moduleLog.warn({ err: (error as Error).message }, 'could not restore the channel schedule yet'));
  });

  const stopping = new AbortController();
  const worker = new Worker<ChannelJobData, ChannelRunResult>(
    CHANNEL_QUEUE,
    pollChannelProcessor({
      polling,
      log: moduleLog,
      beforeRun: () => sync().catch((error: unknown) => moduleLog.warn({ err: (error as Error).message }, 'could not follow YOUTUBE_CHANNELS yet')),
      signal: stopping.signal,
      onResult: async (result) => {
        await counters.add({ [`channel_runs:${result.outcome}`]: 1, channel_units: result.units, channel_videos_inserted: result.inserted });
        await onResult?.(result);
      },
    }),
    { connection: workerConnection, prefix, concurrency: 1, autorun: true },
  );
  logWorkerFailures(worker, moduleLog, {
    retrying: 'channel poll tick failed; retrying with backoff',
    failed: 'channel poll tick failed; the next tick polls what is still due',
    error: 'channel worker error',
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
      moduleLog.warn({ graceMs }, 'running channel poll did not finish in time; abandoning it (its stored pages stay)'),
    );
  }
}
