// Enrichment against the YouTube simulator, real MySQL and Redis, with one fake clock shared by
// the service and the simulator: units spent per video (50 ids a unit), what is stored is what
// videos.list says, statistics read again when due and not before, removed videos marked
// unavailable and kept, the reserve and the daily cap respected, and a run that dies after a
// call, started again, asking YouTube again for that one batch only.
import {
  ManualClock,
  createEnrichService,
  createKeyPool,
  createLogger,
  createVideoDetailsRepository,
  createVideoRepository,
  createYoutubeClient,
  staticKeySource,
  type EnrichBudgetSettings,
  type EnrichServiceDeps,
  type VideoDetailsRepository,
} from '@tubefeed/core';
import { clearRedisPrefix, createTestDatabase, createTestRedis, silentLogger, uniqueName, type TestDatabase } from '@tubefeed/core/testing';
import { createYoutubeSimulator, type YoutubeSimulator } from '@tubefeed/youtube-sim';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const START = '2024-06-01T20:00:00.000Z'; // 13:00 PDT: 11 hours to the quota reset
const MIN = 60_000;
const HOUR = 60 * MIN;

let db: TestDatabase;
const redis = createTestRedis();
let prefix: string;
let sim: YoutubeSimulator;
let url: string;
let clock: ManualClock;

const SETTINGS: EnrichBudgetSettings = { perRunUnits: 50, perDayUnits: 0, reserveUnits: 500, intervalMs: MIN };

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
  redis.disconnect();
});

async function startWorld(options: { unitsPerDay?: number; keys?: number } = {}): Promise<string[]> {
  clock = new ManualClock(START);
  prefix = uniqueName('enrich');
  sim = createYoutubeSimulator({
    seed: 11,
    clock: { mode: 'manual', now: START },
    maxIndexDelayMs: 0,
    historyMs: 6 * HOUR,
    unitsPerDay: options.unitsPerDay ?? 10_000,
    queries: [{ q: 'tea', publishIntervalMs: 3 * MIN }],
  });
  url = await sim.listen();
  for (const table of ['video_queries', 'feed_buckets', 'feed_events', 'video_search', 'videos']) await sql`DELETE FROM ${sql.table(table)}`.execute(db.kysely);
  const truth = sim.groundTruth('tea');
  await createVideoRepository({ db: db.kysely, clock }).upsertBatch(
    truth.map((v) => ({
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
  return sim.apiKeys().slice(0, options.keys ?? 1);
}

afterEach(async () => {
  await sim.close();
  await clearRedisPrefix(redis, prefix);
});

function service(keys: readonly string[], overrides: Partial<Omit<EnrichServiceDeps, 'settings'>> & { settings?: Partial<EnrichBudgetSettings>; unitsPerDay?: number } = {}) {
  const { settings, unitsPerDay, ...rest } = overrides;
  const pool = createKeyPool({ redis, prefix, source: staticKeySource(keys), clock, quota: { searchCallsPerDay: 100, unitsPerDay: unitsPerDay ?? 10_000 }, log: silentLogger });
  return createEnrichService({
    details: createVideoDetailsRepository({ db: db.kysely }),
    pool,
    youtube: createYoutubeClient({ rootUrl: url, timeoutMs: 2000 }),
    redis,
    prefix,
    clock,
    log: silentLogger,
    settings: { ...SETTINGS, ...settings },
    retry: { retries: 1, minDelayMs: 5, maxDelayMs: 10 },
    ...rest,
  });
}

const advance = (ms: number) => {
  clock.advance(ms);
  sim.setTime(clock.now());
};
const videoCalls = () => sim.calls().filter((c) => c.endpoint === 'videos.list');
const idsOf = (call: { params: Record<string, string | string[]> }) => String(call.params.id).split(',');
const rows = () => db.kysely.selectFrom('videos').selectAll().orderBy('video_id').execute();

/** A videos.list item as the wire carries it (the fields compared here). */
interface RawVideo {
  id: string;
  snippet: { description: string; tags?: string[]; categoryId: string; liveBroadcastContent: string; defaultLanguage?: string; defaultAudioLanguage?: string };
  contentDetails: { duration: string; definition: string; caption: string };
  status: { madeForKids: boolean };
  statistics: { viewCount: string; likeCount?: string; commentCount?: string };
  liveStreamingDetails?: { scheduledStartTime?: string; actualEndTime?: string };
}

/** What the simulator's videos.list says about ids now, read raw (not through the code under test). */
async function simSays(ids: readonly string[]): Promise<Map<string, RawVideo>> {
  const out = new Map<string, RawVideo>();
  for (let i = 0; i < ids.length; i += 50) {
    const response = await fetch(`${url}/youtube/v3/videos?part=snippet,contentDetails,statistics,status,liveStreamingDetails&id=${ids.slice(i, i + 50).join(',')}&key=${sim.apiKeys()[2]}`);
    for (const item of ((await response.json()) as { items: RawVideo[] }).items) out.set(item.id, item);
  }
  return out;
}

/** ISO 8601 duration in seconds, worked out independently of the parser under test. */
function seconds(iso: string): number {
  if (iso === 'P0D') return 0;
  const part = (unit: string) => Number(new RegExp(`(\\d+)${unit}`).exec(iso.split('T')[1] ?? '')?.[1] ?? 0);
  const days = Number(/P(\d+)D/.exec(iso)?.[1] ?? 0);
  return days * 86_400 + part('H') * 3600 + part('M') * 60 + part('S');
}

describe('enrichment against the simulator', () => {
  it('a run enriching N videos spends ceil(N/50) units and stores what videos.list holds', async () => {
    const keys = await startWorld();
    const stored = await rows();
    const n = stored.length;
    expect(n).toBeGreaterThan(100);
    const result = await service(keys).run();
    expect(result).toMatchObject({ outcome: 'enriched', units: Math.ceil(n / 50), batches: Math.ceil(n / 50), enriched: n, unavailable: 0, dueLeft: 0 });
    const calls = videoCalls();
    expect(calls).toHaveLength(Math.ceil(n / 50));
    expect(calls.every((c) => c.status === 200 && c.bucket === 'units' && c.units === 1)).toBe(true);
    expect(calls.flatMap(idsOf).sort()).toEqual(stored.map((r) => r.video_id));
    expect(sim.quota()[0]).toMatchObject({ units: { used: Math.ceil(n / 50) } });

    const truth = await simSays(stored.map((r) => r.video_id));
    let live = 0;
    let hiddenLikes = 0;
    for (const row of await rows()) {
      const item = truth.get(row.video_id)!;
      const state = item.liveStreamingDetails?.actualEndTime ? 'completed' : item.snippet.liveBroadcastContent === 'none' && item.liveStreamingDetails ? 'completed' : item.snippet.liveBroadcastContent;
      if (state !== 'none') live++;
      if (item.statistics.likeCount === undefined) hiddenLikes++;
      expect(row).toMatchObject({
        description_full: item.snippet.description,
        tags: JSON.stringify(item.snippet.tags ?? []),
        category_id: item.snippet.categoryId,
        default_language: item.snippet.defaultLanguage ?? item.snippet.defaultAudioLanguage ?? null,
        duration_s: seconds(item.contentDetails.duration),
        definition: item.contentDetails.definition,
        has_captions: item.contentDetails.caption === 'true' ? 1 : 0,
        made_for_kids: item.status.madeForKids ? 1 : 0,
        view_count: Number(item.statistics.viewCount),
        like_count: item.statistics.likeCount === undefined ? null : Number(item.statistics.likeCount),
        comment_count: item.statistics.commentCount === undefined ? null : Number(item.statistics.commentCount),
        live_state: state,
        scheduled_start_at: item.liveStreamingDetails?.scheduledStartTime ? new Date(item.liveStreamingDetails.scheduledStartTime) : null,
        available: 1,
        details_at: clock.now(),
      });
      expect(row.details_due_at!.getTime()).toBeGreaterThan(clock.now().getTime());
    }
    // The world has the cases the parser must get right (shown so a change of seed is noticed).
    expect({ live: live > 0, hiddenLikes: hiddenLikes > 0 }).toEqual({ live: true, hiddenLikes: true });
    // The search snippet's description is left as it was.
    expect(stored.every((r, i) => r.description === stored[i]!.description)).toBe(true);
  });

  it('reads statistics again when they are due and not before', async () => {
    const keys = await startWorld();
    const enrich = service(keys);
    await enrich.run();
    const first = new Map((await rows()).map((r) => [r.video_id, r]));
    sim.resetCalls();

    // 20 minutes on: videos under an hour old (15 min) and live ones (5 min) are due, no other.
    advance(20 * MIN);
    const due = [...first.values()].filter((r) => r.details_due_at!.getTime() <= clock.now().getTime()).map((r) => r.video_id).sort();
    expect(due.length).toBeGreaterThan(0);
    expect(due.length).toBeLessThan(first.size);
    const result = await enrich.run();
    expect(result).toMatchObject({ outcome: 'enriched', enriched: due.length, units: Math.ceil(due.length / 50) });
    expect(videoCalls().flatMap(idsOf).sort()).toEqual(due);

    const truth = await simSays([...first.keys()]);
    let grew = 0;
    for (const row of await rows()) {
      const before = first.get(row.video_id)!;
      if (due.includes(row.video_id)) {
        expect(row.view_count).toBe(Number(truth.get(row.video_id)!.statistics.viewCount));
        expect(row.details_at).toEqual(clock.now());
        if (row.view_count! > before.view_count!) grew++;
      } else {
        // Not due: what was stored stays, although YouTube's counts have moved on.
        expect(row.view_count).toBe(before.view_count);
        expect(row.details_at).toEqual(before.details_at);
        expect(row.details_due_at).toEqual(before.details_due_at);
      }
    }
    expect(grew).toBeGreaterThan(0);
    // Nothing due a moment later: no call at all.
    sim.resetCalls();
    expect(await enrich.run()).toMatchObject({ outcome: 'nothing-due', units: 0 });
    expect(videoCalls()).toHaveLength(0);
  });

  it('marks videos YouTube no longer returns unavailable, keeps them, and counts when they went', async () => {
    const keys = await startWorld();
    const enrich = service(keys);
    await enrich.run();
    const before = await rows();
    const gone = [before[3]!.video_id, before[40]!.video_id, before[77]!.video_id];
    sim.removeVideo(gone[0]!, 'deleted');
    sim.removeVideo(gone[1]!, 'private');
    sim.removeVideo(gone[2]!, 'deleted');
    advance(2 * 24 * HOUR);
    const result = await enrich.run();
    expect(result).toMatchObject({ outcome: 'enriched', unavailable: 3, enriched: before.length - 3 });
    const after = await rows();
    expect(after.map((r) => r.video_id)).toEqual(before.map((r) => r.video_id));
    for (const row of after) {
      if (gone.includes(row.video_id)) {
        const was = before.find((r) => r.video_id === row.video_id)!;
        expect(row).toMatchObject({ available: 0, unavailable_since: clock.now(), details_at: was.details_at, view_count: was.view_count, title: was.title });
      } else {
        expect(row).toMatchObject({ available: 1, unavailable_since: null, details_at: clock.now() });
      }
    }
    // A day later they are asked about again; unavailable_since stays the first time.
    const firstMissing = clock.now();
    advance(24 * HOUR + MIN);
    await enrich.run();
    for (const row of await rows()) if (gone.includes(row.video_id)) expect(row).toMatchObject({ available: 0, unavailable_since: firstMissing });
  });

  it('never spends the reserve: with 3 units above it, three one-unit runs, then nothing and why', async () => {
    const keys = await startWorld({ unitsPerDay: 503 });
    const enrich = service(keys, { unitsPerDay: 503 });
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await enrich.run());
    // Paced: 3 units over the 660 one-minute runs left today is one a run.
    expect(outcomes.map((o) => [o.outcome, o.units])).toEqual([
      ['enriched', 1],
      ['enriched', 1],
      ['enriched', 1],
      ['no-budget', 0],
    ]);
    expect(outcomes[3]!.reason).toContain('reserve of 500');
    expect(videoCalls()).toHaveLength(3);
    expect(sim.quota()[0]).toMatchObject({ units: { used: 3 } });
  });

  it('the reserve holds inside a run too, and the daily cap across runs', async () => {
    const keys = await startWorld();
    // Another reader (a key check) takes a unit while the run is under way, after the run
    // planned 2: the pool's acquire still stops at the reserve.
    const pool = createKeyPool({ redis, prefix, source: staticKeySource(keys), clock, quota: { searchCallsPerDay: 100, unitsPerDay: 502 }, log: silentLogger });
    const client = createYoutubeClient({ rootUrl: url, timeoutMs: 2000 });
    const enrich = service(keys, {
      unitsPerDay: 502,
      settings: { intervalMs: 24 * HOUR },
      youtube: {
        videoDetails: async (key, ids) => {
          await pool.charge((await pool.status()).keys[0]!, 'units', 1);
          return client.videoDetails(key, ids);
        },
      },
    });
    expect((await enrich.budget()).units).toBe(2);
    const result = await enrich.run();
    expect(result).toMatchObject({ outcome: 'quota-exhausted', units: 1, budgetUnits: 2 });
    expect(videoCalls()).toHaveLength(1);
    expect((await pool.status()).projects[0]!.buckets.units).toMatchObject({ used: 2, remaining: 500 });

    await clearRedisPrefix(redis, prefix);
    sim.resetCalls();
    const capped = service(keys, { settings: { perDayUnits: 2, intervalMs: 24 * HOUR } });
    expect(await capped.run()).toMatchObject({ outcome: 'enriched', units: 2 });
    expect(await capped.run()).toMatchObject({ outcome: 'no-budget', units: 0 });
    expect(videoCalls()).toHaveLength(2);
    expect(await capped.spentToday()).toBe(2);
  });

  it('with no key it does nothing and says why, once while it lasts', async () => {
    await startWorld();
    const lines: string[] = [];
    const log = createLogger({ level: 'info', format: 'json' }, 'test', { write: (line: string) => void lines.push(line) });
    const enrich = service([], { log });
    for (let i = 0; i < 3; i++) expect(await enrich.run()).toMatchObject({ outcome: 'no-usable-key', units: 0, reason: 'no YouTube API key is configured' });
    expect(videoCalls()).toHaveLength(0);
    const said = lines.map((line) => JSON.parse(line) as { level: number | string; msg: string });
    expect(said.map((l) => l.msg)).toEqual(['enrichment: no YouTube API key is configured']);
  });

  it('a run that dies after a call asks again for that batch only when started again', async () => {
    const keys = await startWorld();
    const n = (await rows()).length;
    const details = createVideoDetailsRepository({ db: db.kysely });
    let stores = 0;
    // The process dies between the second answer and its store.
    const dying: Pick<VideoDetailsRepository, 'due' | 'store' | 'countDue'> = {
      ...details,
      store: async (batch) => {
        if (++stores === 2) throw new Error('process killed');
        return details.store(batch);
      },
    };
    await expect(service(keys, { details: dying }).run()).rejects.toThrow('process killed');
    expect(videoCalls()).toHaveLength(2);
    const firstBatch = idsOf(videoCalls()[0]!);
    const secondBatch = idsOf(videoCalls()[1]!);

    // Started again (a new process: a new service on the same database and Redis).
    const result = await service(keys).run();
    expect(result).toMatchObject({ outcome: 'enriched', enriched: n - 50, dueLeft: 0 });
    const calls = videoCalls();
    expect(calls).toHaveLength(Math.ceil(n / 50) + 1);
    const askedAgain = calls.slice(2).flatMap(idsOf);
    expect(askedAgain.filter((id) => firstBatch.includes(id))).toEqual([]);
    expect(askedAgain.filter((id) => secondBatch.includes(id)).sort()).toEqual([...secondBatch].sort());
    expect((await rows()).every((r) => r.details_at !== null)).toBe(true);
  });
});
