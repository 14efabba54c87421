// A fetch pipeline wired the way the worker wires it, against the YouTube simulator, a test
// database and a Redis prefix of its own, with one fake clock shared by the pipeline and the
// simulator, and every log line captured.
import {
  ManualClock,
  createFetchService,
  createFetchStack,
  createLogger,
  createYoutubeClient,
  staticKeySource,
  type FetchServiceDeps,
  type FetchSettings,
  type ProjectQuota,
  type RunOptions,
  type SearchQueryRow,
} from '@tubefeed/core';
import { clearRedisPrefix, createTestDatabase, createTestRedis, uniqueName, type TestDatabase } from '@tubefeed/core/testing';
import { createYoutubeSimulator, type NewKey, type YoutubeSimulator, type YoutubeSimulatorOptions } from '@tubefeed/youtube-sim';

export interface HarnessOptions {
  readonly start: string;
  readonly keys?: ReadonlyArray<string | NewKey>;
  /** Keys the pipeline uses; defaults to every simulator key. */
  readonly pipelineKeys?: (simKeys: string[]) => string[];
  /** Each project's daily quota, in the simulator and in the pool (default: YouTube's). */
  readonly quota?: ProjectQuota;
  readonly publishIntervalMs?: number;
  readonly maxIndexDelayMs?: number;
  readonly query?: string;
  readonly settings?: Partial<FetchSettings>;
  /** More simulator settings (index lag, short pages, window leaks, fading). */
  readonly sim?: Pick<YoutubeSimulatorOptions, 'indexLag' | 'shortPageShare' | 'windowLeakShare' | 'fadeAfterMs' | 'fadeShare' | 'historyMs' | 'removalShare'>;
  /**
   * Simulated time each search call takes (stalls, retries, a slow network): both clocks move
   * on by it after the simulator has computed its answer and before the answer is sent.
   */
  readonly searchTakesMs?: () => number;
}

export async function createPipelineHarness(options: HarnessOptions) {
  const clock = new ManualClock(options.start);
  const quota = options.quota ?? { searchCallsPerDay: 100, unitsPerDay: 10_000 };
  const sim: YoutubeSimulator = createYoutubeSimulator({
    seed: 7,
    clock: { mode: 'manual', now: options.start },
    ...(options.keys ? { keys: options.keys } : {}),
    searchCallsPerDay: quota.searchCallsPerDay,
    unitsPerDay: quota.unitsPerDay,
    publishIntervalMs: options.publishIntervalMs ?? 20_000,
    ...(options.sim?.indexLag === undefined ? { maxIndexDelayMs: options.maxIndexDelayMs ?? 0 } : {}),
    historyMs: 6 * 3_600_000,
    ...options.sim,
  });
  const { searchTakesMs } = options;
  if (searchTakesMs !== undefined) {
    sim.app.addHook('onSend', (request, _reply, payload, done) => {
      if (request.url.includes('/search')) {
        clock.advance(searchTakesMs());
        sim.setTime(clock.now());
      }
      done(null, payload);
    });
  }
  const url = await sim.listen();
  const db: TestDatabase = await createTestDatabase();
  const redis = createTestRedis();
  const prefix = uniqueName('pipe');
  const logLines: string[] = [];
  const log = createLogger({ level: 'trace', format: 'json' }, 'test', { write: (line: string) => void logLines.push(line) });
  const keys = options.pipelineKeys ? options.pipelineKeys(sim.apiKeys()) : sim.apiKeys();
  const settings: FetchSettings = { overlapMs: 600_000, lookbackMs: 3_600_000, maxPages: 5, pageSize: 50, ...options.settings };
  const retry = { retries: 2, minDelayMs: 5, maxDelayMs: 20 };
  const { videos, queries, pool, fetch } = createFetchStack({
    db: db.kysely,
    redis,
    redisPrefix: prefix,
    clock,
    log,
    keys: staticKeySource(keys),
    quota,
    youtube: { rootUrl: url, timeoutMs: 2000 },
    settings,
    retry,
  });
  const query: SearchQueryRow = await queries.follow(options.query ?? 'cricket');

  return {
    sim,
    url,
    clock,
    db,
    redis,
    prefix,
    videos,
    queries,
    pool,
    fetch,
    query,
    keys,
    logLines,
    settings,
    /** Moves the pipeline's clock and the simulator's together. */
    advance(ms: number): void {
      clock.advance(ms);
      sim.setTime(clock.now());
    },
    setTime(to: string | Date): void {
      clock.set(to);
      sim.setTime(clock.now());
    },
    run: (runOptions?: RunOptions) => fetch.run(query.id, runOptions),
    /** The same pipeline with some dependencies replaced, e.g. a store that fails. */
    fetchWith(overrides: Partial<FetchServiceDeps>) {
      const youtube = createYoutubeClient({ rootUrl: url, timeoutMs: 2000 });
      return createFetchService({ videos, queries, pool, youtube, clock, log, settings, retry, ...overrides });
    },
    searchCalls: () => sim.calls().filter((call) => call.endpoint === 'search.list'),
    /** Every video id stored for the query. */
    async storedIds(): Promise<string[]> {
      const rows = await db.kysely
        .selectFrom('video_queries')
        .innerJoin('videos', 'videos.id', 'video_queries.video_pk')
        .select('videos.video_id')
        .where('video_queries.query_id', '=', query.id)
        .execute();
      return rows.map((r) => r.video_id).sort();
    },
    /**
     * Stored ids published within [after, before]. YouTube sometimes returns videos from outside
     * the window asked for, and those are stored too: compare a window with this, not storedIds.
     * Throws if anything stored is no video of the query at all.
     */
    async storedIdsWithin(after: Date, before: Date = clock.now()): Promise<string[]> {
      const rows = await db.kysely
        .selectFrom('video_queries')
        .innerJoin('videos', 'videos.id', 'video_queries.video_pk')
        .select(['videos.video_id', 'videos.published_at'])
        .where('video_queries.query_id', '=', query.id)
        .execute();
      // Removed videos included: one stored before it was deleted or made private stays stored.
      const known = new Set(sim.groundTruth(options.query ?? 'cricket', { includeRemoved: true }).map((v) => v.videoId));
      const strangers = rows.filter((r) => !known.has(r.video_id));
      if (strangers.length > 0) throw new Error(`stored videos the query never had: ${strangers.map((r) => r.video_id).join(', ')}`);
      return rows
        .filter((r) => r.published_at >= new Date(Math.ceil(after.getTime() / 1000) * 1000) && r.published_at <= before)
        .map((r) => r.video_id)
        .sort();
    },
    /**
     * Ids the simulator published for the query between two instants (inclusive) that the
     * pipeline must hold: every one still public, and every one deleted or made private after a
     * search answer listed it (the service never deletes: enrichment marks it unavailable). One
     * removed before any search answer showed it could never be known, and is not lost.
     */
    publishedIds(after: Date, before: Date = clock.now()): string[] {
      const listed = new Set(sim.calls().flatMap((call) => (call.endpoint === 'search.list' && call.status === 200 ? (call.videoIds ?? []) : [])));
      return sim
        .groundTruth(options.query ?? 'cricket', { publishedAfter: after, publishedBefore: before, includeRemoved: true })
        .filter((v) => v.status === 'public' || listed.has(v.videoId))
        .map((v) => v.videoId)
        .sort();
    },
    async close(): Promise<void> {
      await sim.close();
      await clearRedisPrefix(redis, prefix);
      redis.disconnect();
      await db.drop();
    },
  };
}

export type PipelineHarness = Awaited<ReturnType<typeof createPipelineHarness>>;
