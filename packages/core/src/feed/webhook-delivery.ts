// One webhook delivery attempt: the JSON body, signed (webhook-signature.ts), POSTed once to the
// webhook's URL through the destination guard (webhook-destination.ts: the address connected to
// is checked), within a timeout, with no redirect followed (a 3xx is an answer like any other
// non-2xx). A new connection each time: a pooled one opened for another webhook's checks could
// otherwise be reused.
import http from 'node:http';
import https from 'node:https';
import { checkWebhookUrl, guardedLookup, WebhookDestinationError, type HostResolver } from './webhook-destination.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signWebhookBody } from './webhook-signature.js';
import type { WebhookJobData } from './webhook-queue.js';

export const WEBHOOK_EVENT_TYPE = 'video.created';

/**
 * The body: `{"id", "type": "video.created", "feed", "storedAt", "video"}`, the video as `/videos`
 * lists it. The same bytes on every attempt of a delivery.
 */
export function webhookBody(data: Pick<WebhookJobData, 'deliveryId' | 'feed' | 'storedAt' | 'video'>): string {
  const head = JSON.stringify({ id: data.deliveryId, type: WEBHOOK_EVENT_TYPE, feed: data.feed, storedAt: data.storedAt });
  // The stored video JSON is spliced in as is (it is JSON already).
  return `${head.slice(0, -1)},"video":${data.video}}`;
}

/** The attempt reached the receiver, or tried to, and failed; the message holds no secret. */
export class WebhookDeliveryError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'WebhookDeliveryError';
  }
}

export interface WebhookAttempt {
  readonly url: string;
  readonly secret: string;
  readonly allowPrivateNetwork: boolean;
  readonly deliveryId: string;
  readonly body: string;
  /** When it is sent: the signature's timestamp. */
  readonly now: Date;
  readonly timeoutMs: number;
  /** Host resolution (tests); the system's by default. */
  readonly resolve?: HostResolver;
}

/**
 * POSTs once; resolves with the status of a 2xx answer. Throws WebhookDestinationError when the
 * destination is refused (no retry can help until the URL or DNS changes), WebhookDeliveryError
 * for anything else (a non-2xx answer, a network error, the timeout).
 */
export async function postWebhook(attempt: WebhookAttempt): Promise<number> {
  const url = checkWebhookUrl(attempt.url, attempt.allowPrivateNetwork);
  const body = Buffer.from(attempt.body, 'utf8');
  const signature = signWebhookBody(attempt.secret, attempt.body, Math.floor(attempt.now.getTime() / 1000));
  const transport = url.protocol === 'https:' ? https : http;
  const signal = AbortSignal.timeout(attempt.timeoutMs);
  return new Promise<number>((resolve, reject) => {
    const request = transport.request(
      url,
      {
        method: 'POST',
        agent: false,
        lookup: guardedLookup(attempt.allowPrivateNetwork, attempt.resolve),
        signal,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          'user-agent': 'tubefeed-webhooks/1',
          [EVENT_HEADER]: WEBHOOK_EVENT_TYPE,
          [DELIVERY_HEADER]: attempt.deliveryId,
          [SIGNATURE_HEADER]: signature,
        },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        // The answer's body is not needed: read and dropped, so the connection can close.
        response.resume();
        response.on('end', () => {
          if (status >= 200 && status < 300) resolve(status);
          else reject(new WebhookDeliveryError(`receiver answered ${status}`, status));
        });
        response.on('error', (error) => reject(failure(error)));
      },
    );
    request.on('error', (error) => reject(failure(error)));
    request.end(body);
  });

  function failure(error: Error): Error {
    if (error instanceof WebhookDestinationError) return error;
    if (signal.aborted) return new WebhookDeliveryError(`no answer within ${attempt.timeoutMs} ms`, null);
    const code = (error as NodeJS.ErrnoException).code;
    return new WebhookDeliveryError(`could not deliver: ${code ?? error.message}`, null);
  }
}
