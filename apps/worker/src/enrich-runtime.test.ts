// The enrichment as the worker runs it: its own BullMQ queue with a Job Scheduler, against the
// YouTube simulator, real MySQL and Redis. A run that fails after storing a batch is retried
// by BullMQ (with backoff) and the next runs finish the work without asking again for the
// stored batch; after a restart the scheduler is still one, and a run with nothing due spends
// nothing.
import {
  ENRICH_QUEUE,
  ManualClock,
  createKeyPool,
  createVideoRepository,
  enrichSpendKey,
  pacificDayKey,
  staticKeySource,
  type EnrichRunResult,
} from '@tubefeed/core';
import { clearRedisPrefix, createTestDatabase, createTestRedis, silentLogger, testConfig, until, type TestDatabase } from '@tubefeed/core/testing';
import { createYoutubeSimulator, type YoutubeSimulator } from '@tubefeed/youtube-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEnrichRuntime, type EnrichRuntime } from './enrich-runtime.js';

const START = '2024-06-01T20:00:00.000Z';
let sim: YoutubeSimulator;
let url: string;
let db: TestDatabase;
const redis = createTestRedis();
const clock = new ManualClock(START);
let config: ReturnType<typeof testConfig>;
const results: EnrichRunResult[] = [];

beforeAll(async () => {
  sim = createYoutubeSimulator({ seed: 5, clock: { mode: 'manual', now: START }, maxIndexDelayMs: 0, historyMs: 6 * 3_600_000, queries: [{ q: 'tea', publishIntervalMs: 180_000 }] });
  // The second videos.list call is refused as a malformed request: the run fails after its
  // first batch is stored, and cannot go on with another key.
  let seen = 0;
  sim.app.addHook('onRequest', (request, _reply, done) => {
    if (request.url.startsWith('/youtube/v3/videos') && ++seen === 2) sim.setFaults({ failNext: [{ body: 'invalidParameter' }] });
    done();
  });
  url = await sim.listen();
  config = testConfig({ YOUTUBE_API_ROOT: `${url}/`, ENRICH_INTERVAL_MS: '5000', ENRICH_UNITS_PER_RUN: '50', ENRICH_UNITS_PER_DAY: '0' });
  db = await createTestDatabase({ url: config.mysql.url });
  await createVideoRepository({ db: db.kysely, clock }).upsertBatch(
    sim.groundTruth('tea').map((v) => ({
      videoId: v.videoId,
      title: v.title,
      description: v.description.slice(0, 160),
      channelId: v.channelId,
      channelTitle: v.channelTitle,
      publishedAt: new Date(v.publishedAt),
      thumbnails: { default: null, medium: null, high: null },
      liveBroadcastContent: v.liveBroadcastContent,
    })),
  );
});
afterAll(async () => {
  await sim.close();
  await clearRedisPrefix(redis, config.redis.prefix);
  redis.disconnect();
  await db.drop();
});

function start(): Promise<EnrichRuntime> {
  const pool = createKeyPool({ redis, prefix: config.redis.prefix, source: staticKeySource(sim.apiKeys()), clock, quota: config.youtube.quota, log: silentLogger });
  return startEnrichRuntime({
    config,
    log: silentLogger,
    clock,
    db,
    pool,
    redis,
    retry: { retries: 0, minDelayMs: 5, maxDelayMs: 10 },
    onResult: (result) => void results.push(result),
  });
}

const videoCalls = () => sim.calls().filter((c) => c.endpoint === 'videos.list');
const idsOf = (call: { params: Record<string, string | string[]> }) => String(call.params.id).split(',');

describe('the enrich-videos queue', () => {
  it('retries a failed run without asking again for what it stored, and keeps one scheduler across a restart', { timeout: 90_000 }, async () => {
    const n = (await db.kysely.selectFrom('videos').select('video_id').execute()).length;
    expect(n).toBeGreaterThan(100);

    let runtime = await start();
    const retried = await until(
      'the failed run retried and every video enriched',
      async () => {
        const jobs = await runtime.queue.getJobs(['completed']);
        const left = await db.kysely.selectFrom('videos').select('video_id').where('details_at', 'is', null).execute();
        // The failed job, retried with backoff after the next scheduled run did the rest.
        return left.length === 0 && jobs.some((job) => job.attemptsMade >= 2 && (job.stacktrace ?? []).length > 0) ? jobs : undefined;
      },
      60_000,
      100,
    );
    expect(retried.every((job) => job.data && Object.keys(job.data).length === 0)).toBe(true);
    const failed = videoCalls().filter((c) => c.status !== 200);
    expect(failed).toHaveLength(1);
    // ceil(n/50) answered calls and the refused one; the first batch was never asked again.
    expect(videoCalls()).toHaveLength(Math.ceil(n / 50) + 1);
    const asked = videoCalls().filter((c) => c.status === 200).flatMap(idsOf);
    expect(new Set(asked).size).toBe(asked.length);
    expect(asked).toHaveLength(n);
    const again = retried.find((job) => (job.stacktrace ?? []).length > 0)!;
    expect(again.stacktrace?.[0]).toContain('refused the request');
    expect(again.returnvalue).toMatchObject({ outcome: 'nothing-due', units: 0 });
    // No key in any job: data, results, failure reasons, stack traces.
    const stored = JSON.stringify(await runtime.queue.getJobs(['completed', 'failed', 'delayed', 'waiting']));
    for (const key of sim.apiKeys()) expect(stored).not.toContain(key);
    // Units spent: the day's count holds every call sent, the refused one included.
    expect(Number(await redis.get(enrichSpendKey(config.redis.prefix, pacificDayKey(clock.now()))))).toBe(Math.ceil(n / 50) + 1);

    // Restart: the scheduler is still one, and a run with nothing due spends nothing.
    await runtime.close(5000);
    const before = videoCalls().length;
    const seenResults = results.length;
    runtime = await start();
    const schedulers = await runtime.queue.getJobSchedulers(0, -1);
    expect(schedulers.map((s) => [s.key ?? s.id, s.every])).toEqual([['enrich-videos', 5000]]);
    const next = await until('a run after the restart', () => results[seenResults + 1] ?? undefined, 30_000, 100);
    expect(next).toMatchObject({ outcome: 'nothing-due', units: 0 });
    expect(videoCalls()).toHaveLength(before);
    expect(runtime.queue.name).toBe(ENRICH_QUEUE);
    await runtime.close(5000);
  });
});
