// The worker's webhook side: the delivery queue, the sink the feed relay hands new-video events
// to (one delivery job per webhook and event), and the BullMQ worker that makes the deliveries
// (jobs/deliver-webhook.job.ts). Started by worker-runtime.ts, which gives the sink to its
// relay; tests start it alone.
import { Worker, type Queue } from 'bullmq';
import {
  WEBHOOK_BACKOFF,
  WEBHOOK_QUEUE,
  bullPrefix,
  createRedis,
  createWebhookQueue,
  createWebhookRepository,
  createWebhookSink,
  webhookBackoffMs,
  type Clock,
  type Config,
  type Db,
  type FeedEventSink,
  type HostResolver,
  type Logger,
  type WebhookJobData,
  type WebhookJobResult,
} from '@tubefeed/core';
import { closeQueueRuntime, logWorkerFailures } from './close-worker.js';
import { deliverWebhookProcessor } from './jobs/deliver-webhook.job.js';

export interface WebhookRuntimeOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: Clock;
  /** The primary (the webhooks table). */
  readonly db: Pick<Db, 'kysely'>;
  /** Host resolution of the deliveries (tests); the system's by default. */
  readonly resolve?: HostResolver;
}

export interface WebhookRuntime {
  /** For the feed relay: enqueues the deliveries of the events it takes. */
  readonly sink: FeedEventSink;
  readonly queue: Queue<WebhookJobData, WebhookJobResult>;
  readonly worker: Worker<WebhookJobData, WebhookJobResult>;
  /** Stops taking deliveries; waits for the running ones up to `graceMs`, then abandons them (run again later: at least once). */
  close(graceMs?: number): Promise<void>;
}

export function startWebhookRuntime({ config, log, clock, db, resolve }: WebhookRuntimeOptions): WebhookRuntime {
  const moduleLog = log.child({ module: 'webhooks' });
  const redisLog = log.child({ module: 'redis' });
  // The sink's adds fail fast while Redis is away (the relay hands the events again later);
  // the worker's connection waits for Redis, as BullMQ workers must.
  const queueConnection = createRedis(config.redis, 'command', redisLog);
  const workerConnection = createRedis(config.redis, 'worker', redisLog);
  const prefix = bullPrefix(config.redis.prefix);
  const queue = createWebhookQueue(queueConnection, prefix, moduleLog);
  const webhooks = createWebhookRepository({ db: db.kysely, clock });
  const sink = createWebhookSink({ queue, webhooks, retry: config.webhooks });

  const worker = new Worker<WebhookJobData, WebhookJobResult>(
    WEBHOOK_QUEUE,
    deliverWebhookProcessor({ webhooks, clock, log: moduleLog, timeoutMs: config.webhooks.timeoutMs, ...(resolve === undefined ? {} : { resolve }) }),
    {
      connection: workerConnection,
      prefix,
      concurrency: config.webhooks.concurrency,
      autorun: true,
      // An attempt lasts at most the timeout: its lock outlives it.
      lockDuration: Math.max(30_000, config.webhooks.timeoutMs * 2),
      settings: {
        backoffStrategy: (attemptsMade: number, type?: string) => {
          if (type !== WEBHOOK_BACKOFF) throw new Error(`unknown backoff ${type ?? ''}`);
          return webhookBackoffMs(attemptsMade, config.webhooks);
        },
      },
    },
  );
  logWorkerFailures(worker, moduleLog, {
    retrying: 'webhook delivery attempt failed; retrying with backoff',
    failed: 'webhook delivery failed for good; retry it from Bull Board',
    error: 'webhook worker error',
    fields: (data) => ({ webhookId: data.webhookId, deliveryId: data.deliveryId }),
  });

  let closed: Promise<void> | undefined;
  return {
    sink,
    queue,
    worker,
    close(graceMs = config.shutdownGraceMs) {
      closed ??= shutdown(graceMs);
      return closed;
    },
  };

  async function shutdown(graceMs: number): Promise<void> {
    await closeQueueRuntime({ worker, queue, connections: [queueConnection, workerConnection] }, graceMs, () =>
      moduleLog.warn({ graceMs }, 'running deliveries did not finish in time; abandoning them (they are retried)'),
    );
  }
}
