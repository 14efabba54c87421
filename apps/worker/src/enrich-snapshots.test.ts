// What enrichment does to what readers are served: each stored batch renders its videos' JSON
// again, and after a run the page-1 snapshots of the scopes listing a changed video are rebuilt
// (every video's and the followed queries' that hold one; no other), against the simulator,
// real MySQL and Redis, through the worker's enrichment runtime. Then the processor alone:
// snapshots are rebuilt after a run that fails half way, and a rebuild that fails is retried
// after the next run.
import {
  ALL_VIDEOS_SCOPE,
  ManualClock,
  createKeyPool,
  createSearchQueryRepository,
  createSnapshotWriter,
  createVideoFinder,
  createVideoRepository,
  decodeSnapshot,
  snapshotKey,
  staticKeySource,
  type DetailsStoreResult,
  type EnrichRunResult,
  type EnrichService,
  type EnrichJobData,
  type FeedSnapshot,
} from '@tubefeed/core';
import type { VideoJson } from '@tubefeed/core/response-schemas';
import { clearRedisPrefix, createTestDatabase, createTestRedis, silentLogger, testConfig, until, type TestDatabase } from '@tubefeed/core/testing';
import { createYoutubeSimulator, type YoutubeSimulator } from '@tubefeed/youtube-sim';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEnrichRuntime } from './enrich-runtime.js';
import { enrichVideosProcessor } from './jobs/enrich-videos.job.js';

const START = '2024-06-01T20:00:00.000Z';
let sim: YoutubeSimulator;
let db: TestDatabase;
const redis = createTestRedis();
const clock = new ManualClock(START);
let config: ReturnType<typeof testConfig>;
let teaId: number;
let idleId: number;

beforeAll(async () => {
  sim = createYoutubeSimulator({ seed: 8, clock: { mode: 'manual', now: START }, maxIndexDelayMs: 0, historyMs: 3 * 3_600_000, queries: [{ q: 'tea', publishIntervalMs: 180_000 }] });
  const url = await sim.listen();
  config = testConfig({ YOUTUBE_API_ROOT: `${url}/`, ENRICH_INTERVAL_MS: '5000', ENRICH_UNITS_PER_RUN: '50', ENRICH_UNITS_PER_DAY: '0' });
  db = await createTestDatabase({ url: config.mysql.url });
  const queries = createSearchQueryRepository({ db: db.kysely, clock });
  teaId = (await queries.follow('tea')).id;
  idleId = (await queries.follow('nothing found')).id;
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
    { queryId: teaId },
  );
});
afterAll(async () => {
  await sim.close();
  await clearRedisPrefix(redis, config.redis.prefix);
  redis.disconnect();
  await db.drop();
});

const videos = () => createVideoRepository({ db: db.kysely, clock });
const snapshotOf = async (scope: number): Promise<FeedSnapshot | null> => {
  const text = await redis.get(snapshotKey(config.redis.prefix, scope));
  return text === null ? null : decodeSnapshot(text);
};
/** Page 1 of a scope as MySQL holds it now: the stored JSON of its newest 100. */
const storedPageOne = async (scope: number) => (await videos().newest(scope, 100)).videos.map((video) => video.json.toString('utf8'));

describe('enrichment and the page-1 snapshots', () => {
  it('rebuilds the snapshots of every video and of the queries listing an enriched one, with the details in their JSON', { timeout: 60_000 }, async () => {
    // Page 1 as a fetch left it: no details yet.
    await createSnapshotWriter({ redis, prefix: config.redis.prefix, videos: videos(), now: () => clock.now() }).refresh([ALL_VIDEOS_SCOPE, teaId]);
    const before = (await snapshotOf(ALL_VIDEOS_SCOPE))!;
    expect(before.videos.map((line) => (JSON.parse(line) as VideoJson).view_count).every((count) => count === null)).toBe(true);

    const results: EnrichRunResult[] = [];
    const pool = createKeyPool({ redis, prefix: config.redis.prefix, source: staticKeySource(sim.apiKeys()), clock, quota: config.youtube.quota, log: silentLogger });
    const runtime = await startEnrichRuntime({ config, log: silentLogger, clock, db, pool, redis, retry: { retries: 0, minDelayMs: 5, maxDelayMs: 10 }, onResult: (result) => void results.push(result) });
    try {
      // onResult is called after the run's snapshots were rebuilt.
      const run = await until('an enrichment run', () => results.find((result) => result.outcome === 'enriched'), 30_000, 50);
      const n = (await db.kysely.selectFrom('videos').select('id').execute()).length;
      expect(run).toMatchObject({ enriched: n, rendered: n, dueLeft: 0 });
    } finally {
      await runtime.close(5000);
    }

    for (const scope of [ALL_VIDEOS_SCOPE, teaId]) {
      const after = (await snapshotOf(scope))!;
      expect(after.seq!).toBeGreaterThan(before.seq!);
      // Exactly what MySQL now serves, and every video with its details.
      expect(after.videos).toEqual(await storedPageOne(scope));
      const items = after.videos.map((line) => JSON.parse(line) as VideoJson);
      expect(items.length).toBeGreaterThan(50);
      for (const item of items) {
        expect(item.details_updated_at).toBe(clock.now().toISOString());
        expect(item.view_count).toEqual(expect.any(Number));
        expect(item.live_state).toMatch(/^(none|upcoming|live|completed)$/);
      }
    }
    // A query that lists none of them is not rebuilt.
    expect(await snapshotOf(idleId)).toBeNull();
    // /videos (read from MySQL) says the same of each video as page 1.
    const listed = await createVideoFinder(db.kysely).find({ filters: {}, sort: { key: 'published', direction: 'desc' }, limit: 100 });
    expect(listed.map((video) => video.json.toString('utf8'))).toEqual(await storedPageOne(ALL_VIDEOS_SCOPE));
  });
});

describe('the enrich-videos processor', () => {
  const job = { id: '1', attemptsMade: 0 } as Job<EnrichJobData, EnrichRunResult>;
  const result = (overrides: Partial<EnrichRunResult> = {}): EnrichRunResult => ({
    outcome: 'enriched',
    reason: 'every due video read',
    units: 1,
    budgetUnits: 50,
    batches: 1,
    enriched: 1,
    unavailable: 0,
    rendered: 1,
    dueLeft: 0,
    ...overrides,
  });
  const stored = (scopes: number[]): DetailsStoreResult => ({ matched: 1, rendered: scopes.length === 0 ? 0 : 1, scopes });

  it('rebuilds the scopes of the batches stored before a run failed, and retries a failed rebuild after the next run', async () => {
    const refreshed: number[][] = [];
    let refreshFails = false;
    const snapshots = {
      refresh: (scopes: readonly number[]) => {
        if (refreshFails) return Promise.reject(new Error('redis away'));
        refreshed.push([...scopes]);
        return Promise.resolve([]);
      },
    };
    const runs: Array<(onStored: (s: DetailsStoreResult) => void) => EnrichRunResult> = [
      // Two batches stored, then the run fails.
      (onStored) => {
        onStored(stored([ALL_VIDEOS_SCOPE, 7]));
        onStored(stored([ALL_VIDEOS_SCOPE, 9]));
        throw new Error('videos.list failed');
      },
      // Nothing changed: nothing to rebuild.
      (onStored) => {
        onStored(stored([]));
        return result({ rendered: 0 });
      },
      (onStored) => {
        onStored(stored([ALL_VIDEOS_SCOPE, 3]));
        return result();
      },
      () => result({ outcome: 'nothing-due', units: 0, batches: 0, enriched: 0, rendered: 0 }),
    ];
    const enrich: Pick<EnrichService, 'run'> = {
      // A throw becomes the promise's rejection.
      run: (options = {}) => Promise.resolve().then(() => runs.shift()!((s) => options.onStored?.(s))),
    };
    const process = enrichVideosProcessor({ enrich, log: silentLogger, snapshots });

    await expect(process(job)).rejects.toThrow('videos.list failed');
    expect(refreshed).toEqual([[ALL_VIDEOS_SCOPE, 7, 9]]);
    await process(job);
    expect(refreshed).toHaveLength(1);
    refreshFails = true;
    await process(job);
    refreshFails = false;
    expect(refreshed).toHaveLength(1);
    // The next run, though it changed nothing, rebuilds what the failed rebuild left.
    await process(job);
    expect(refreshed).toEqual([[ALL_VIDEOS_SCOPE, 7, 9], [ALL_VIDEOS_SCOPE, 3]]);
  });
});
