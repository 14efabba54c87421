// Processor of the webhook-deliveries queue: one attempt at one delivery. The webhook (URL,
// secret) is read from MySQL at each attempt: deleted meanwhile, the delivery ends without
// sending. A 2xx completes the job; a non-2xx answer, a network error or a timeout fails the
// attempt, and BullMQ tries again with the queue's backoff (webhook-queue.ts) until the attempts
// run out, the job then staying failed in Bull Board. A destination the guard refuses (the host
// now resolves to a private address) is not retried: UnrecoverableError. Nothing logged or
// thrown carries the secret or the signature.
import { UnrecoverableError, type Job } from 'bullmq';
import {
  WebhookDestinationError,
  postWebhook,
  webhookBody,
  type Clock,
  type HostResolver,
  type Logger,
  type WebhookJobData,
  type WebhookJobResult,
  type WebhookRepository,
} from '@tubefeed/core';

export interface DeliverWebhookJobDeps {
  readonly webhooks: Pick<WebhookRepository, 'forDelivery'>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Longest wait for one attempt (connect, send, answer). */
  readonly timeoutMs: number;
  /** Host resolution (tests); the system's by default. */
  readonly resolve?: HostResolver;
}

export function deliverWebhookProcessor({ webhooks, clock, log, timeoutMs, resolve }: DeliverWebhookJobDeps) {
  return async (job: Job<WebhookJobData, WebhookJobResult>): Promise<WebhookJobResult> => {
    const { webhookId, deliveryId } = job.data;
    const target = await webhooks.forDelivery(webhookId);
    if (target === undefined) {
      log.info({ webhookId, deliveryId }, 'webhook deleted; delivery dropped unsent');
      return { outcome: 'webhook-deleted' };
    }
    try {
      const status = await postWebhook({
        url: target.url,
        secret: target.secret,
        allowPrivateNetwork: target.allowPrivateNetwork,
        deliveryId,
        body: webhookBody(job.data),
        now: clock.now(),
        timeoutMs,
        ...(resolve === undefined ? {} : { resolve }),
      });
      return { outcome: 'delivered', status };
    } catch (error) {
      if (error instanceof WebhookDestinationError) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
}
