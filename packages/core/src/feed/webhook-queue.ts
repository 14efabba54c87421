// Webhook deliveries as BullMQ jobs: the queue, the job payload, the retry plan and the sink the
// worker's feed relay hands new-video events to. One job per (webhook, event), its id made from
// both, so the relay handing the same events again (it may, after a crash) adds nothing: BullMQ
// ignores an add whose job id it already holds, for as long as it keeps that job (completed
// ones for WEBHOOK_JOB_OPTIONS' removeOnComplete age). The id is also the delivery id receivers
// see on every attempt. Job data holds the public video JSON and ids, never the secret: the
// processor reads that from MySQL when it signs, and a webhook deleted meanwhile ends its
// pending deliveries unsent.
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Logger } from '../platform/logger.js';
import type { FeedEvent, FeedEventSink, FeedKey } from './feed-events.js';
import type { WebhookRepository } from './webhook-repository.js';

export const WEBHOOK_QUEUE = 'webhook-deliveries';
/** The backoff type the delivery worker computes (webhookBackoffMs): exponential, capped per attempt. */
export const WEBHOOK_BACKOFF = 'webhook';

export interface WebhookJobData {
  readonly webhookId: number;
  /** Same on every attempt: the receiver's idempotency key (the Tubefeed-Delivery header and the body's `id`). */
  readonly deliveryId: string;
  readonly seq: number;
  readonly feed: FeedKey;
  readonly videoId: string;
  /** ISO 8601: when the video entered the feed. */
  readonly storedAt: string;
  /** The video as `/videos` lists it (JSON text): public. */
  readonly video: string;
}

export interface WebhookJobResult {
  readonly outcome: 'delivered' | 'webhook-deleted';
  /** The receiver's status, when delivered. */
  readonly status?: number;
}

/** The delivery (and job) id of one event for one webhook: a custom BullMQ id (not an integer, no colon). */
export const webhookDeliveryId = (webhookId: number, seq: number): string => `whd-${webhookId}-${seq}`;

export interface WebhookRetrySettings {
  readonly retryForMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/** The wait before attempt `attemptsMade + 1`: base, doubling, capped. */
export function webhookBackoffMs(attemptsMade: number, settings: WebhookRetrySettings): number {
  const doubled = settings.backoffBaseMs * 2 ** Math.min(Math.max(attemptsMade - 1, 0), 40);
  return Math.min(doubled, settings.backoffMaxMs);
}

/**
 * Attempts of one delivery: the first, and one more for every backoff wait that still starts
 * within `retryForMs` of it. BullMQ counts attempts, the setting is a period: this turns one into
 * the other (24 h with 10 s doubling up to 1 h: 32 attempts).
 */
export function webhookAttempts(settings: WebhookRetrySettings): number {
  let attempts = 1;
  let elapsed = 0;
  for (;;) {
    const wait = webhookBackoffMs(attempts, settings);
    if (wait >= settings.backoffMaxMs) break;
    if (elapsed + wait > settings.retryForMs) return attempts;
    elapsed += wait;
    attempts += 1;
  }
  // The rest at the cap, counted rather than looped over.
  return attempts + Math.floor((settings.retryForMs - elapsed) / settings.backoffMaxMs);
}

export const WEBHOOK_JOB_OPTIONS: JobsOptions = {
  backoff: { type: WEBHOOK_BACKOFF },
  // Kept a day: the relay's repeats (after a crash, seconds later) find the id and add nothing.
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  // Failed deliveries stay visible, and retryable, in Bull Board for two weeks.
  removeOnFail: { age: 14 * 24 * 3600, count: 50_000 },
};

/** `bullPrefix` is BullMQ's key prefix of the deployment (ingest/fetch-queue.ts), the same for every queue. */
export function createWebhookQueue(connection: ConnectionOptions, bullPrefix: string, log: Logger): Queue<WebhookJobData, WebhookJobResult> {
  const queue = new Queue<WebhookJobData, WebhookJobResult>(WEBHOOK_QUEUE, { connection, prefix: bullPrefix });
  let last: string | undefined;
  queue.on('error', (error: Error) => {
    if (error.message === last) return;
    last = error.message;
    log.warn({ queue: WEBHOOK_QUEUE, err: error.message }, 'queue connection problem');
  });
  return queue;
}

/** How many jobs one add sends to Redis at most. */
const ADD_BATCH = 500;

/**
 * The relay's sink for webhooks: each event becomes one delivery job per webhook following its
 * feed. Taking the same events again adds nothing (job ids). A failure (MySQL or Redis away)
 * rejects, and the relay hands the events again later.
 */
export function createWebhookSink({
  queue,
  webhooks,
  retry,
}: {
  queue: Pick<Queue<WebhookJobData, WebhookJobResult>, 'addBulk'>;
  webhooks: Pick<WebhookRepository, 'following'>;
  retry: WebhookRetrySettings;
}): FeedEventSink {
  const attempts = webhookAttempts(retry);
  return {
    name: 'webhooks',
    async take(events: readonly FeedEvent[]) {
      if (events.length === 0) return;
      const following = await webhooks.following(events.map((event) => event.feed));
      if (following.length === 0) return;
      const byFeed = new Map<FeedKey, number[]>();
      for (const { id, feed } of following) byFeed.set(feed, [...(byFeed.get(feed) ?? []), id]);
      const jobs = events.flatMap((event) =>
        (byFeed.get(event.feed) ?? []).map((webhookId) => {
          const deliveryId = webhookDeliveryId(webhookId, event.seq);
          return {
            name: 'deliver',
            data: {
              webhookId,
              deliveryId,
              seq: event.seq,
              feed: event.feed,
              videoId: event.videoId,
              storedAt: event.storedAt.toISOString(),
              video: event.video,
            },
            opts: { ...WEBHOOK_JOB_OPTIONS, attempts, jobId: deliveryId },
          };
        }),
      );
      for (let i = 0; i < jobs.length; i += ADD_BATCH) await queue.addBulk(jobs.slice(i, i + ADD_BATCH));
    },
  };
}
