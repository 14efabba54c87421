// Webhooks from the YouTube simulator to a receiver, through everything the worker runs: a
// fetch stores videos (and their outbox rows) in MySQL, the feed relay hands the events to the
// webhook sink, BullMQ delivers them. The webhook is registered as an operator would (by query
// text, through the admin service). The receiver is down while the first videos arrive (5
// simulated minutes, 3 s real at the delivery schedule's 100x scale, as in
// webhook-delivery.test.ts), and the relay crashes once after the sink took a batch and before
// marking it: every video of the query still reaches the receiver, by one delivery id each,
// with a valid signature and the video as /videos lists it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFeedEventRepository,
  createFeedRelay,
  createWebhookAdmin,
  createWebhookRepository,
  systemClock,
  type FeedEventSink,
} from '@tubefeed/core';
import { clearRedisPrefix, silentLogger, sleep, testConfig, until } from '@tubefeed/core/testing';
import { createPipelineHarness, type PipelineHarness } from './testing/pipeline-harness.js';
import { WebhookReceiver } from './testing/webhook-receiver.js';
import { startWebhookRuntime, type WebhookRuntime } from './webhook-runtime.js';

const SECRET = 'pipeline-webhook-secret-42';
const OUTAGE_MS = 3000; // 5 simulated minutes at 100x
const log = silentLogger;
let harness: PipelineHarness;
let runtime: WebhookRuntime;
const receiver = new WebhookReceiver(SECRET);
let config: ReturnType<typeof testConfig>;

beforeAll(async () => {
  harness = await createPipelineHarness({ start: '2026-12-07T10:00:00Z', publishIntervalMs: 90_000 });
  config = testConfig({ WEBHOOK_BACKOFF_BASE_MS: '100', WEBHOOK_BACKOFF_MAX_MS: '36000', WEBHOOK_RETRY_FOR_MS: '864000' });
  runtime = startWebhookRuntime({ config, log, clock: systemClock, db: harness.db });
  await receiver.up();
});

afterAll(async () => {
  await runtime.close(1000);
  await receiver.down();
  await clearRedisPrefix(harness.redis, config.redis.prefix);
  await harness.close();
});

describe('webhooks fed by the relay', () => {
  it("delivers every video of a followed query once its receiver is back, through a relay crash, and new ones as they are stored", async () => {
    const admin = createWebhookAdmin({ webhooks: createWebhookRepository({ db: harness.db.kysely, clock: systemClock }), queries: harness.queries, log });
    const webhook = await admin.create({ url: `http://127.0.0.1:${receiver.port}/hook`, secret: SECRET, query: 'Cricket', allowPrivateNetwork: true });
    expect(webhook.feed).toBe(`q:${harness.query.id}`);
    const events = createFeedEventRepository({ db: harness.db.kysely });
    const relayWith = (sinks: FeedEventSink[]) => createFeedRelay({ events, sinks, clock: systemClock, log, intervalMs: 60_000, retentionMs: 3_600_000 });

    await receiver.down();
    const first = await harness.run();
    expect(first.inserted).toBeGreaterThan(10);
    // A relay that dies after the webhook sink took the batch, before marking it relayed...
    const crashing: FeedEventSink = {
      name: 'crash',
      take: () => Promise.reject(new Error('worker killed')),
    };
    expect(await relayWith([runtime.sink, crashing]).drain()).toBe(0);
    // ...and the next one, which hands the same events again.
    const relay = relayWith([runtime.sink]);
    expect(await relay.drain()).toBeGreaterThan(first.inserted);
    const stored = await harness.storedIds();
    const jobs = (await runtime.queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])).filter((job) => job.data.webhookId === webhook.id);
    expect(jobs.map((job) => job.data.videoId).sort()).toEqual(stored);

    await sleep(OUTAGE_MS);
    expect(receiver.received).toHaveLength(0);
    await receiver.up();
    const delivered = async () => until('every stored video delivered', () => (new Set(receiver.received.map((r) => r.id)).size === stored.length ? true : undefined), 60_000, 50);
    await delivered();

    // Later videos, stored while the receiver is up.
    harness.advance(15 * 60_000);
    const second = await harness.run();
    expect(second.inserted).toBeGreaterThan(0);
    await relay.drain();
    const all = await harness.storedIds();
    await until('the new videos delivered', () => (new Set(receiver.received.map((r) => r.id)).size === all.length ? true : undefined), 60_000, 50);

    const byVideo = new Map<string, Set<string>>();
    const rows = await harness.db.kysely.selectFrom('videos').select(['video_id', 'json']).execute();
    const json = new Map(rows.map((row) => [row.video_id, JSON.parse(row.json!.toString('utf8')) as unknown]));
    for (const delivery of receiver.received) {
      expect(delivery.valid).toBe(true);
      const body = JSON.parse(delivery.body) as { id: string; feed: string; video: { video_id: string } };
      expect(body.id).toBe(delivery.id);
      expect(body.feed).toBe(webhook.feed);
      expect(body.video).toEqual(json.get(body.video.video_id));
      byVideo.set(body.video.video_id, new Set([...(byVideo.get(body.video.video_id) ?? []), delivery.id]));
    }
    // Every stored video of the query, each under one delivery id.
    expect([...byVideo.keys()].sort()).toEqual(all);
    for (const ids of byVideo.values()) expect(ids.size).toBe(1);
  });
});
