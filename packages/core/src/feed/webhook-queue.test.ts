// The webhook retry plan (a period turned into BullMQ attempts, capped exponential waits), its
// settings as the configuration checks them, and the delivery body and signature.
import { describe, expect, it } from 'vitest';
import { loadConfig, type ConfigError } from '../platform/config.js';
import { webhookBody } from './webhook-delivery.js';
import { signWebhookBody, verifyWebhookSignature } from './webhook-signature.js';
import { webhookAttempts, webhookBackoffMs, webhookDeliveryId } from './webhook-queue.js';

const DEPLOYED = loadConfig({}).webhooks;

describe('retry plan', () => {
  it('waits 10 s, doubling up to 1 h, for 24 h: 32 attempts, the last within the period', () => {
    expect(DEPLOYED).toEqual({ retryForMs: 86_400_000, backoffBaseMs: 10_000, backoffMaxMs: 3_600_000, timeoutMs: 10_000, concurrency: 8 });
    const waits = Array.from({ length: 12 }, (_, i) => webhookBackoffMs(i + 1, DEPLOYED));
    expect(waits).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 1_280_000, 2_560_000, 3_600_000, 3_600_000, 3_600_000]);
    const attempts = webhookAttempts(DEPLOYED);
    expect(attempts).toBe(32);
    const startOf = (attempt: number) => Array.from({ length: attempt - 1 }, (_, i) => webhookBackoffMs(i + 1, DEPLOYED)).reduce((a, b) => a + b, 0);
    expect(startOf(attempts)).toBeLessThanOrEqual(DEPLOYED.retryForMs);
    expect(startOf(attempts + 1)).toBeGreaterThan(DEPLOYED.retryForMs);
  });

  it('makes one attempt with no retry period, and never overflows', () => {
    expect(webhookAttempts({ retryForMs: 0, backoffBaseMs: 10_000, backoffMaxMs: 3_600_000 })).toBe(1);
    expect(webhookAttempts({ retryForMs: 30 * 86_400_000, backoffBaseMs: 10, backoffMaxMs: 10 })).toBe(259_200_001);
    expect(webhookBackoffMs(5000, DEPLOYED)).toBe(3_600_000);
  });

  it('gives each delivery a job id BullMQ takes (not an integer, no colon)', () => {
    expect(webhookDeliveryId(12, 3456)).toBe('whd-12-3456');
  });
});

describe('settings', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('checks each variable, naming it', () => {
    expect(problems({ WEBHOOK_RETRY_FOR_MS: '-1' })).toEqual(['WEBHOOK_RETRY_FOR_MS: must be an integer from 0 to 2592000000 (got "-1")']);
    expect(problems({ WEBHOOK_BACKOFF_BASE_MS: '5' })).toEqual(['WEBHOOK_BACKOFF_BASE_MS: must be an integer from 10 to 3600000 (got "5")']);
    expect(problems({ WEBHOOK_TIMEOUT_MS: 'soon' })).toEqual(['WEBHOOK_TIMEOUT_MS: must be an integer from 100 to 120000 (got "soon")']);
    expect(problems({ WEBHOOK_CONCURRENCY: '0' })).toEqual(['WEBHOOK_CONCURRENCY: must be an integer from 1 to 256 (got "0")']);
    expect(problems({ WEBHOOK_BACKOFF_BASE_MS: '60000', WEBHOOK_BACKOFF_MAX_MS: '1000' })).toEqual([
      'WEBHOOK_BACKOFF_MAX_MS: must be at least WEBHOOK_BACKOFF_BASE_MS (60000) (got "1000")',
    ]);
  });
});

describe('body and signature', () => {
  const data = { deliveryId: 'whd-1-2', feed: 'q:3', storedAt: '2026-12-07T10:00:00.000Z', video: '{"id":"abc","title":"Tea \\u2028 “time”"}' };

  it('is the event with the video JSON as stored', () => {
    const body = webhookBody(data);
    expect(JSON.parse(body)).toEqual({ id: 'whd-1-2', type: 'video.created', feed: 'q:3', storedAt: '2026-12-07T10:00:00.000Z', video: { id: 'abc', title: 'Tea \u2028 “time”' } });
    expect(body.endsWith(`"video":${data.video}}`)).toBe(true);
  });

  it('signs timestamp and body; a receiver refuses another body, secret, or an old timestamp', () => {
    const body = webhookBody(data);
    const header = signWebhookBody('s3cret-s3cret-s3cret', body, 1_800_000_000);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', body, header, 1_800_000_100)).toBe(true);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', `${body} `, header, 1_800_000_100)).toBe(false);
    expect(verifyWebhookSignature('another-secret-here', body, header, 1_800_000_100)).toBe(false);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', body, header, 1_800_000_301)).toBe(false);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', body, 't=1800000000,v1=zz', 1_800_000_000)).toBe(false);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', body, undefined, 1_800_000_000)).toBe(false);
  });
});
