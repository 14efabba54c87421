// Webhook deliveries end to end on real MySQL and Redis (BullMQ): the relay's sink enqueues one
// delivery per webhook and event, the worker POSTs each to a local receiver (registered with
// allowPrivateNetwork), signed. The must-show: a receiver down for 5 simulated minutes
// gets every delivery once it is back, each signature valid, none lost, duplicates only with
// the same idempotency id.
//
// Time scale: BullMQ's delays run on real time, so the schedule is 100x shorter than deployed:
// backoff from 100 ms (deployed 10 s) doubling up to 36 s (1 h), retried for 864 s (24 h).
// 5 simulated minutes of outage are 3 s real. Waits are generous bounds, never assertions.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  createWebhookRepository,
  createWebhookSink,
  systemClock,
  webhookAttempts,
  type FeedEvent,
  type WebhookRepository,
} from '@tubefeed/core';
import { clearRedisPrefix, createTestDatabase, createTestRedis, sleep, testConfig, until, type TestDatabase } from '@tubefeed/core/testing';
import { WebhookReceiver } from './testing/webhook-receiver.js';
import { startWebhookRuntime, type WebhookRuntime } from './webhook-runtime.js';

const SCALE = 100;
const OUTAGE_MS = (5 * 60_000) / SCALE; // 5 simulated minutes
const SECRET = 'whsec-test-0123456789abcdef';

const logText: string[] = [];
const log = createLogger(
  { level: 'debug', format: 'json' },
  'test',
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logText.push(chunk.toString());
      done();
    },
  }),
);

const redis = createTestRedis();
let db: TestDatabase;
let runtime: WebhookRuntime;
let webhooks: WebhookRepository;
const receiver = new WebhookReceiver(SECRET);
const config = testConfig({
  WEBHOOK_BACKOFF_BASE_MS: String(10_000 / SCALE),
  WEBHOOK_BACKOFF_MAX_MS: String(3_600_000 / SCALE),
  WEBHOOK_RETRY_FOR_MS: String(86_400_000 / SCALE),
  WEBHOOK_TIMEOUT_MS: '5000',
});

beforeAll(async () => {
  db = await createTestDatabase({ url: config.mysql.url });
  webhooks = createWebhookRepository({ db: db.kysely, clock: systemClock });
  runtime = startWebhookRuntime({ config, log, clock: systemClock, db });
  await receiver.up();
});

afterAll(async () => {
  await runtime.close(1000);
  await receiver.down();
  await clearRedisPrefix(redis, config.redis.prefix);
  redis.disconnect();
  await db.drop();
});

let nextSeq = 1;
function events(count: number, feed = 'all'): FeedEvent[] {
  return Array.from({ length: count }, () => {
    const seq = nextSeq++;
    const videoId = `vid${String(seq).padStart(8, '0')}`;
    return {
      seq,
      feed,
      videoId,
      video: JSON.stringify({ id: videoId, title: `Video ${seq} – “quoted” ✓`, publishedAt: '2026-12-07T10:00:00Z' }),
      storedAt: new Date(Date.UTC(2026, 11, 7, 10, 0, seq)),
    };
  });
}

async function registered(feed = 'all'): Promise<number> {
  const row = await webhooks.create({ url: `http://127.0.0.1:${receiver.port}/hook`, feed, secret: SECRET, allowPrivateNetwork: true });
  return row.id;
}

/** Every delivery of these events to this webhook: its job, once it completed. */
async function completed(webhookId: number, sent: readonly FeedEvent[], timeoutMs = 60_000) {
  return until(
    'every delivery to complete',
    async () => {
      const ids = sent.map((event) => `whd-${webhookId}-${event.seq}`);
      const states = await Promise.all(ids.map((id) => runtime.queue.getJobState(id)));
      if (!states.every((state) => state === 'completed')) return undefined;
      // Read once completed: a job read before holds no return value yet.
      return Promise.all(ids.map(async (id) => (await runtime.queue.getJob(id))!));
    },
    timeoutMs,
    50,
  );
}

describe('webhook deliveries', () => {
  it('turns a 24 h retry period into attempts: 32 as deployed, the same at this scale', () => {
    expect(webhookAttempts({ retryForMs: 86_400_000, backoffBaseMs: 10_000, backoffMaxMs: 3_600_000 })).toBe(32);
    expect(webhookAttempts(config.webhooks)).toBe(32);
  });

  it('a receiver down for 5 simulated minutes gets every delivery once back: signatures valid, none lost, duplicates only with the same id', async () => {
    const webhookId = await registered();
    const sent = events(30);
    // Not followed by any webhook: no delivery.
    const unfollowed = events(3, 'c:UCnobodyFollowsThis');
    await receiver.down();
    const downAt = Date.now();
    await runtime.sink.take([...sent, ...unfollowed]);
    // Every delivery is tried and fails while the receiver is down...
    await until(
      'every delivery to fail once',
      async () => {
        const jobs = await Promise.all(sent.map((event) => runtime.queue.getJob(`whd-${webhookId}-${event.seq}`)));
        return jobs.every((job) => job !== undefined && job.attemptsMade >= 1) ? true : undefined;
      },
      20_000,
    );
    // ...for the rest of the 5 simulated minutes.
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
    expect(receiver.received).toHaveLength(0);
    await receiver.up();

    const jobs = await completed(webhookId, sent);
    const expected = new Set(sent.map((event) => `whd-${webhookId}-${event.seq}`));
    expect(receiver.ids()).toEqual(expected);
    for (const delivery of receiver.received) {
      expect(delivery.valid, delivery.header).toBe(true);
      const body = JSON.parse(delivery.body) as { id: string; type: string; feed: string; storedAt: string; video: { id: string } };
      expect(body.id).toBe(delivery.id);
      const event = sent.find((e) => `whd-${webhookId}-${e.seq}` === body.id)!;
      expect(body).toEqual({ id: delivery.id, type: 'video.created', feed: 'all', storedAt: event.storedAt.toISOString(), video: JSON.parse(event.video) as unknown });
    }
    // A delivery seen twice is the same delivery: same id, same body.
    const bodies = new Map<string, string>();
    for (const delivery of receiver.received) {
      expect(bodies.get(delivery.id) ?? delivery.body).toBe(delivery.body);
      bodies.set(delivery.id, delivery.body);
    }
    // Each was retried through the outage, then delivered.
    for (const job of jobs) {
      expect(job.attemptsMade).toBeGreaterThan(1);
      expect(job.returnvalue).toEqual({ outcome: 'delivered', status: 204 });
    }
    // The events of a feed no webhook follows made no job.
    expect(await runtime.queue.getJob(`whd-${webhookId}-${unfollowed[0]!.seq}`)).toBeUndefined();
    await webhooks.remove(webhookId);
  });

  it('a delivery the receiver read but answered 500 comes again with the same id and body', async () => {
    const webhookId = await registered();
    const sent = events(5);
    const ids = sent.map((event) => `whd-${webhookId}-${event.seq}`);
    for (const id of ids) receiver.failOnce.add(id);
    const before = receiver.received.length;
    await runtime.sink.take(sent);
    await completed(webhookId, sent);
    const got = receiver.received.slice(before);
    expect(got).toHaveLength(10);
    for (const id of ids) {
      const copies = got.filter((delivery) => delivery.id === id);
      expect(copies).toHaveLength(2);
      expect(copies[0]!.body).toBe(copies[1]!.body);
      expect(copies.every((delivery) => delivery.valid)).toBe(true);
    }
    await webhooks.remove(webhookId);
  });

  it('the relay handing the same events again (after a crash) adds no second job', async () => {
    const webhookId = await registered('q:7');
    const sent = events(8, 'q:7');
    await receiver.down();
    await runtime.sink.take(sent);
    await runtime.sink.take(sent);
    await runtime.sink.take(sent.slice(2, 5));
    const jobs = (await runtime.queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])).filter((job) => job.data.webhookId === webhookId);
    expect(jobs.map((job) => job.id).sort()).toEqual(sent.map((event) => `whd-${webhookId}-${event.seq}`).sort());
    await receiver.up();
    await completed(webhookId, sent);
    // Once delivered, handed again: still nothing new.
    await runtime.sink.take(sent);
    const after = await Promise.all(sent.map((event) => runtime.queue.getJob(`whd-${webhookId}-${event.seq}`)));
    expect(await Promise.all(after.map((job) => job!.getState()))).toEqual(sent.map(() => 'completed'));
    const delivered = receiver.received.filter((delivery) => delivery.id.startsWith(`whd-${webhookId}-`));
    expect(new Set(delivered.map((delivery) => delivery.id)).size).toBe(sent.length);
    await webhooks.remove(webhookId);
  });

  it("a deleted webhook's pending deliveries end without sending", async () => {
    const webhookId = await registered('c:UCdeleted');
    const sent = events(4, 'c:UCdeleted');
    await receiver.down();
    await runtime.sink.take(sent);
    await until(
      'every delivery to fail once',
      async () => {
        const jobs = await Promise.all(sent.map((event) => runtime.queue.getJob(`whd-${webhookId}-${event.seq}`)));
        return jobs.every((job) => job !== undefined && job.attemptsMade >= 1) ? true : undefined;
      },
      20_000,
    );
    await webhooks.remove(webhookId);
    await receiver.up();
    const jobs = await completed(webhookId, sent);
    expect(jobs.map((job) => job.returnvalue)).toEqual(sent.map(() => ({ outcome: 'webhook-deleted' })));
    expect(receiver.received.filter((delivery) => delivery.id.startsWith(`whd-${webhookId}-`))).toHaveLength(0);
  });

  describe("a worker whose lookups answer as an attacker's DNS would", () => {
    // A second worker (its own queue prefix) resolving every name to 127.0.0.1: a webhook whose
    // host resolved to a public address when it was registered, and to loopback now.
    const rebound = testConfig({ MYSQL_URL: config.mysql.url, WEBHOOK_BACKOFF_BASE_MS: '100', WEBHOOK_BACKOFF_MAX_MS: '36000', WEBHOOK_RETRY_FOR_MS: '864000' });
    let other: WebhookRuntime;
    beforeAll(() => {
      other = startWebhookRuntime({ config: rebound, log, clock: systemClock, db, resolve: async () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]) });
    });
    afterAll(async () => {
      await other.close(1000);
      await clearRedisPrefix(redis, rebound.redis.prefix);
    });

    it('refuses the connection (DNS rebinding) and does not retry it', async () => {
      const row = await webhooks.create({ url: 'https://hooks.example.com/hook', feed: 'c:UCrebind', secret: SECRET, allowPrivateNetwork: false });
      const [event] = events(1, 'c:UCrebind');
      await other.sink.take([event!]);
      const id = `whd-${row.id}-${event!.seq}`;
      await until('the delivery to fail', async () => ((await other.queue.getJobState(id)) === 'failed' ? true : undefined), 20_000);
      const job = (await other.queue.getJob(id))!;
      expect(job.failedReason).toBe(
        'url must reach a public address: hooks.example.com resolves to 127.0.0.1 is in a loopback range (set allowPrivateNetwork to deliver inside your network)',
      );
      // 32 attempts were allowed: the refusal is not retried.
      expect(job.opts.attempts).toBe(32);
      expect(job.attemptsMade).toBe(1);
      await webhooks.remove(row.id);
    });

    it("leaves a delivery out of attempts failed, and Bull Board's retry delivers it with the same id", async () => {
      const row = await webhooks.create({ url: `http://127.0.0.1:${receiver.port}/hook`, feed: 'c:UCretry', secret: SECRET, allowPrivateNetwork: true });
      // A sink whose deliveries get a single attempt (WEBHOOK_RETRY_FOR_MS=0).
      const oneShot = createWebhookSink({ queue: other.queue, webhooks, retry: { ...rebound.webhooks, retryForMs: 0 } });
      const [event] = events(1, 'c:UCretry');
      const id = `whd-${row.id}-${event!.seq}`;
      await receiver.down();
      await oneShot.take([event!]);
      await until('the delivery to fail for good', async () => ((await other.queue.getJobState(id)) === 'failed' ? true : undefined), 20_000);
      expect((await other.queue.getJob(id))!.failedReason).toMatch(/^could not deliver: ECONNREFUSED/);
      expect(logText.join('')).toContain('webhook delivery failed for good; retry it from Bull Board');
      await receiver.up();
      // What Bull Board's "retry" does.
      await (await other.queue.getJob(id))!.retry('failed');
      await until('the retried delivery', async () => ((await other.queue.getJobState(id)) === 'completed' ? true : undefined), 20_000);
      const got = receiver.received.filter((delivery) => delivery.id === id);
      expect(got).toHaveLength(1);
      expect(got[0]!.valid).toBe(true);
      await webhooks.remove(row.id);
    });
  });

  it('keeps the secret out of job data and logs, and logs no signature', async () => {
    const jobs = await runtime.queue.getJobs(['completed', 'failed', 'delayed', 'waiting']);
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(JSON.stringify(job.data)).not.toContain(SECRET);
    const logged = logText.join('');
    expect(logged).toContain('webhook delivery attempt failed');
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toMatch(/v1=[0-9a-f]{64}/);
  });
});
