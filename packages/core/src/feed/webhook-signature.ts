// How a webhook delivery is signed, and how a receiver checks it. The header:
//
//   Tubefeed-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//
// The timestamp is signed with the body, so a receiver that refuses signatures older than a
// few minutes cannot be fed a recorded delivery again later; it changes on every attempt, the
// body and the delivery id (Tubefeed-Delivery) do not.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'tubefeed-signature';
export const DELIVERY_HEADER = 'tubefeed-delivery';
export const EVENT_HEADER = 'tubefeed-event';

/** The Tubefeed-Signature value for `body` sent at `unixSeconds`. */
export function signWebhookBody(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * A receiver's check: the header names a timestamp within `toleranceSeconds` of `nowSeconds`
 * and a v1 signature equal (compared in constant time) to the body's under the secret.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  if (header === undefined) return false;
  const fields = new Map(header.split(',').map((part) => [part.slice(0, part.indexOf('=')).trim(), part.slice(part.indexOf('=') + 1).trim()]));
  const t = Number(fields.get('t'));
  const given = fields.get('v1') ?? '';
  if (!Number.isSafeInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(given)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}
