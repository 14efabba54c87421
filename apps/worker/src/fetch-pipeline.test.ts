// The fetch pipeline against the simulator, with a fake clock moved by hand on both sides:
// completeness (late indexing, outages), no duplicates, key rotation and quota, no leaked keys.
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { YoutubeApiError, nextPacificMidnight, type SearchPage, type SearchRequest, type VideoInput } from '@tubefeed/core';
import { createPipelineHarness, type PipelineHarness } from './testing/pipeline-harness.js';

const START = '2024-05-14T18:00:00Z'; // 11:00 Pacific (PDT)
let harness: PipelineHarness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function setUp(options: Parameters<typeof createPipelineHarness>[0]): Promise<PipelineHarness> {
  harness = await createPipelineHarness(options);
  return harness;
}

async function countRows(h: PipelineHarness): Promise<{ videos: number; distinct: number; links: number }> {
  const videos = await sql<{ n: number; d: number }>`SELECT COUNT(*) AS n, COUNT(DISTINCT video_id) AS d FROM videos`.execute(h.db.kysely);
  const links = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM video_queries`.execute(h.db.kysely);
  return { videos: Number(videos.rows[0]!.n), distinct: Number(videos.rows[0]!.d), links: Number(links.rows[0]!.n) };
}

describe('fetch pipeline', () => {
  it('stores everything published in the look-back window, with HTML entities decoded', async () => {
    const h = await setUp({ start: START });
    const result = await h.run();
    expect(result).toMatchObject({ outcome: 'ok', pendingRanges: 0 });
    const expected = h.publishedIds(new Date(h.clock.now().getTime() - h.settings.lookbackMs));
    expect(expected.length).toBeGreaterThan(150); // one upload every 20 s for an hour
    expect(await h.storedIdsWithin(new Date(h.clock.now().getTime() - h.settings.lookbackMs))).toEqual(expected);
    expect(result.searchCalls).toBe(Math.ceil((expected.length + 1) / 50));

    const truth = h.sim.groundTruth('cricket', { publishedAfter: new Date(h.clock.now().getTime() - h.settings.lookbackMs) });
    const stored = await h.videos.findByVideoIds(truth.map((v) => v.videoId));
    const storedTitles = new Map(stored.map((row) => [row.video_id, row.title]));
    const withEntities = truth.filter((v) => /[&"'<>]/.test(v.title));
    expect(withEntities.length).toBeGreaterThan(0);
    for (const video of truth) expect(storedTitles.get(video.videoId)).toBe(video.title);
    expect(stored.some((row) => /&(amp|quot|#39|lt|gt);/.test(row.title + row.description + row.channel_title))).toBe(false);
  });

  it('never stores a video twice across repeated and overlapping runs', async () => {
    const h = await setUp({ start: START });
    const from = new Date(h.clock.now().getTime() - h.settings.lookbackMs);
    for (let i = 0; i < 12; i++) {
      await h.run();
      await h.run(); // the same tick twice: everything it finds is already stored
      h.advance(7_000);
    }
    const counts = await countRows(h);
    expect(counts.videos).toBe(counts.distinct);
    expect(counts.links).toBe(counts.videos);
    expect(await h.storedIdsWithin(from)).toEqual(h.publishedIds(from));
    expect(await h.videos.total()).toBe(counts.videos);
  });

  it('does not lose a video that search indexes after newer ones (late indexing)', async () => {
    const h = await setUp({ start: START, maxIndexDelayMs: 120_000 });
    const from = new Date(h.clock.now().getTime() - h.settings.lookbackMs);
    // Videos that, at the time of some run, were older than the newest stored one and not yet
    // searchable: a watermark without overlap would skip them for good.
    const late = new Set<string>();
    for (let i = 0; i < 18; i++) {
      await h.run();
      const newest = (await h.videos.newestPublishedAt(h.query.id))!;
      for (const video of h.sim.groundTruth('cricket', { publishedBefore: newest })) {
        if (!video.indexed) late.add(video.videoId);
      }
      h.advance(10_000);
    }
    expect(late.size).toBeGreaterThan(0);
    h.advance(120_000);
    await h.run();
    const stored = new Set(await h.storedIds());
    expect([...late].filter((id) => !stored.has(id))).toEqual([]);
    // Everything published up to 2 minutes ago (surely indexed by now) is stored.
    const settled = h.publishedIds(from, new Date(h.clock.now().getTime() - 120_000));
    expect(settled.filter((id) => !stored.has(id))).toEqual([]);
  });

  it('does not lose late-indexed videos on a busy query (one page covers less than the overlap)', async () => {
    // An upload every 2 s and indexing up to 2 minutes late: a page of 50 reaches back less
    // than two minutes, so the overlap below it must still be searched once indexing settled.
    const h = await setUp({ start: START, publishIntervalMs: 2000, maxIndexDelayMs: 120_000, quota: { searchCallsPerDay: 10_000, unitsPerDay: 1_000_000 } });
    const from = new Date(h.clock.now().getTime() - h.settings.lookbackMs);
    for (let i = 0; i < 180; i++) {
      await h.run();
      h.advance(10_000);
    }
    const stored = new Set(await h.storedIds());
    const settled = h.publishedIds(from, new Date(h.clock.now().getTime() - h.settings.overlapMs - 60_000));
    expect(settled.length).toBeGreaterThan(1500);
    expect(settled.filter((id) => !stored.has(id))).toEqual([]);
    // Each video is fetched about twice (when new, and once more after indexing settled), but
    // runs cost whole pages: at 5 new videos a run, most calls are the runs themselves.
    expect(h.searchCalls().length).toBeLessThan(180 + 2 * (stored.size / 50));
  });

  it('does not lose late-indexed videos when a run takes longer than the overlap (stalls, retries)', async () => {
    // Each search takes 40 s of simulated time, so a run of several pages ends minutes after
    // its first page was answered. What counts as settled is measured from that first answer:
    // a video not yet indexed then must not be taken as checked because the run ended late.
    let slow = true;
    const h = await setUp({
      start: START,
      publishIntervalMs: 3000,
      maxIndexDelayMs: 120_000,
      quota: { searchCallsPerDay: 10_000, unitsPerDay: 1_000_000 },
      settings: { overlapMs: 120_000 },
      searchTakesMs: () => (slow ? 40_000 : 0),
    });
    const from = new Date(h.clock.now().getTime() - h.settings.lookbackMs);
    for (let i = 0; i < 25; i++) {
      await h.run();
      h.advance(10_000);
    }
    slow = false;
    h.advance(h.settings.overlapMs);
    for (let i = 0; i < 10; i++) {
      await h.run();
      h.advance(10_000);
    }
    const stored = new Set(await h.storedIds());
    const settled = h.publishedIds(from, new Date(h.clock.now().getTime() - 2 * h.settings.overlapMs));
    expect(settled.length).toBeGreaterThan(1000);
    expect(settled.filter((id) => !stored.has(id))).toEqual([]);
  });

  it('keeps the range below a page it could not store, even without settled sweeps', async () => {
    // The first run's second write fails (the process could as well be killed there): the
    // newest page is stored and the older ones are not. The head's state is saved only after
    // the head, so the next run starts the look-back again instead of starting above the stored
    // page. Sweeps are off, so nothing else would search there again.
    const h = await setUp({ start: START });
    const from = new Date(h.clock.now().getTime() - h.settings.lookbackMs);
    let writes = 0;
    const failing = h.fetchWith({
      videos: {
        ...h.videos,
        upsertBatch: (batch, options) => (++writes === 2 ? Promise.reject(new Error('write failed')) : h.videos.upsertBatch(batch, options)),
      },
    });
    await expect(failing.run(h.query.id, { sweepSearchesPerHour: 0 })).rejects.toThrow('write failed');
    expect((await h.storedIds()).length).toBe(50);
    for (let i = 0; i < 5; i++) {
      h.advance(10_000);
      await h.run({ sweepSearchesPerHour: 0 });
    }
    expect(await h.storedIdsWithin(from)).toEqual(h.publishedIds(from));
  });

  it('keeps the range below a page repeated by newer videos indexed between two calls', async () => {
    // One upload a second, indexed at once; the first run's first call takes 50 s, so when the
    // second page is asked for, 50 newer videos have pushed the first page's down to it: the
    // second page repeats the first (nothing new on it). Paging stops there, but what lies below
    // must stay pending: with sweeps off, nothing else would search there again.
    let calls = 0;
    const h = await setUp({
      start: START,
      publishIntervalMs: 1000,
      settings: { lookbackMs: 120_000, overlapMs: 10_000 },
      searchTakesMs: () => (++calls === 1 ? 50_000 : 0),
    });
    const from = new Date(h.clock.now().getTime() - h.settings.lookbackMs);
    await h.run({ sweepSearchesPerHour: 0 });
    // The head asked for two pages and stopped: the second one held nothing new.
    const head = h.searchCalls().filter((call) => call.params.publishedBefore === undefined);
    expect(head.map((call) => call.params.pageToken !== undefined)).toEqual([false, true]);
    for (let i = 0; i < 5; i++) {
      h.advance(10_000);
      await h.run({ sweepSearchesPerHour: 0 });
    }
    const stored = new Set(await h.storedIds());
    expect(h.publishedIds(from).filter((id) => !stored.has(id))).toEqual([]);
  });

  it('recovers everything published during a worker outage, beyond the ~500-result cap', async () => {
    const h = await setUp({ start: START });
    await h.run();
    const from = new Date(h.clock.now().getTime() - h.settings.lookbackMs);
    h.advance(4 * 3_600_000); // 720 uploads while no worker ran
    const outcomes = [];
    for (let i = 0; i < 8; i++) {
      const result = await h.run();
      outcomes.push(result.outcome);
      if (result.outcome === 'ok') break;
      h.advance(10_000);
    }
    expect(outcomes[0]).toBe('partial'); // 5 pages of 50 cannot cover 720 videos in one run
    expect(outcomes.at(-1)).toBe('ok');
    expect(await h.storedIdsWithin(from)).toEqual(h.publishedIds(from));
    const row = await h.queries.findById(h.query.id);
    expect(row?.pending_ranges).toBeNull();
  });

  it('keeps the missing range when a run is cut short, so a crash after storing newer videos loses nothing', async () => {
    const h = await setUp({ start: START, settings: { maxPages: 2 } });
    const first = await h.run(); // two pages of 50 cannot cover the hour of look-back
    expect(first).toMatchObject({ outcome: 'partial', pendingRanges: 1, searchCalls: 2, inserted: 100 });
    const row = await h.queries.findById(h.query.id);
    const ranges = JSON.parse(row!.pending_ranges!) as Array<{ after: string; before: string }>;
    // The newest 100 are stored and the watermark moved past the rest: the range below them is
    // what remembers that they are still to fetch.
    const oldestStored = (await h.db.kysely
      .selectFrom('video_queries')
      .select('published_at')
      .orderBy('published_at', 'asc')
      .executeTakeFirst())!.published_at;
    expect(ranges).toEqual([
      { after: new Date(Date.parse(START) - h.settings.lookbackMs).toISOString(), before: oldestStored.toISOString() },
    ]);
    let runs = 0;
    while ((await h.run()).outcome !== 'ok' && runs++ < 20) h.advance(1000);
    const lookbackStart = new Date(Date.parse(START) - h.settings.lookbackMs);
    expect(await h.storedIdsWithin(lookbackStart)).toEqual(h.publishedIds(lookbackStart));
    expect((await h.queries.findById(h.query.id))!.pending_ranges).toBeNull();
  });

  it('retries transient YouTube failures with backoff and succeeds', async () => {
    const h = await setUp({ start: START });
    h.sim.setFaults({
      failNext: [
        { status: 503, reason: 'backendError' },
        { status: 429, reason: 'rateLimitExceeded' },
      ],
    });
    const result = await h.run();
    expect(result.outcome).toBe('ok');
    expect(h.searchCalls().slice(0, 3).map((c) => c.status)).toEqual([503, 429, 200]);
  });

  it('moves to the next key in the same run when one is out of quota, and not back before Pacific midnight', async () => {
    const h = await setUp({ start: START, keys: [{}, {}] });
    h.sim.setQuotaUsed(0, { searchCalls: 100 }); // key 0's project is spent, which our own count cannot know
    for (let i = 0; i < 6; i++) {
      expect((await h.run()).outcome).toBe('ok');
      h.advance(10_000);
    }
    const byKey = h.searchCalls().map((c) => [c.keyIndex, c.status]);
    expect(byKey.filter(([key]) => key === 0)).toEqual([[0, 403]]);
    expect(byKey.filter(([key]) => key === 1).every(([, status]) => status === 200)).toBe(true);
    const status = await h.pool.status();
    expect(status.keys[0]).toMatchObject({ state: 'exhausted', exhaustedUntil: nextPacificMidnight(h.clock.now()) });

    h.setTime(new Date(nextPacificMidnight(h.clock.now()).getTime() - 1000));
    h.sim.resetCalls();
    await h.run();
    await h.run();
    expect(h.searchCalls().some((c) => c.keyIndex === 0)).toBe(false);
    h.advance(2000); // past Pacific midnight: both quotas reset
    h.sim.resetCalls();
    await h.run();
    await h.run();
    const afterReset = h.searchCalls();
    expect(afterReset.some((c) => c.keyIndex === 0 && c.status === 200)).toBe(true);
    expect(afterReset.every((c) => c.status === 200)).toBe(true);
  });

  it('disables a key YouTube rejects and keeps fetching with the others', async () => {
    const h = await setUp({ start: START, keys: [{}], pipelineKeys: (keys) => ['not-a-known-key-000000', ...keys] });
    for (let i = 0; i < 4; i++) expect((await h.run()).outcome).toBe('ok');
    const rejected = h.searchCalls().filter((c) => c.status === 400);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toBe('badRequest');
    const status = await h.pool.status();
    expect(status.keys.find((k) => k.masked === 'not-…0000')).toMatchObject({ state: 'disabled', disabledReason: 'API_KEY_INVALID' });
    expect(status.state).toBe('ok');
  });

  it('makes no call at all while every key is out of quota, and resumes after the reset', async () => {
    const h = await setUp({ start: START, keys: [{}, {}] });
    h.sim.setQuotaUsed(0, { searchCalls: 100 });
    h.sim.setQuotaUsed(1, { searchCalls: 100 });
    const first = await h.run();
    const reset = nextPacificMidnight(h.clock.now());
    expect(first).toMatchObject({ outcome: 'quota_exhausted', quotaResetAt: reset.toISOString() });
    expect(h.searchCalls().map((c) => c.status)).toEqual([403, 403]);
    h.sim.resetCalls();
    for (let i = 0; i < 10; i++) {
      h.advance(30 * 60_000);
      if (h.clock.now() >= reset) break;
      expect((await h.run()).outcome).toBe('quota_exhausted');
    }
    h.setTime(new Date(reset.getTime() - 1));
    expect((await h.run()).outcome).toBe('quota_exhausted');
    expect(h.searchCalls()).toEqual([]);
    expect(await h.pool.status()).toMatchObject({ state: 'quota_exhausted', resetAt: reset });
    h.setTime(reset);
    expect((await h.run()).outcome).toBe('ok');
    expect(h.searchCalls().length).toBeGreaterThan(0);
  });

  // That no key reaches logs, errors, jobs, Redis or the database is proven end to end, for
  // every path, by tests/e2e/key-secrecy.test.ts.
  it('charges no quota for calls that never reached YouTube', async () => {
    const h = await setUp({ start: START });
    expect((await h.run()).outcome).toBe('ok');
    await h.sim.close(); // nothing listens any more: connections are refused
    const spentBefore = (await h.pool.status()).keys.map((k) => k.quota.search.used);
    await expect(h.run()).rejects.toMatchObject({ kind: 'transient', reason: 'ECONNREFUSED' });
    expect((await h.pool.status()).keys.map((k) => k.quota.search.used)).toEqual(spentBefore);
  });
});

// Range bookkeeping against answers crafted to hit its edges (a stand-in YouTube client).
describe('pending ranges at their edges', () => {
  const video = (id: string, at: string): VideoInput => ({
    videoId: id.padEnd(11, '0'),
    title: `video ${id}`,
    description: '',
    channelId: 'UCxxxxxxxxxxxxxxxxxxxxxx',
    channelTitle: 'channel',
    publishedAt: new Date(at),
    thumbnails: { default: null, medium: null, high: null },
    liveBroadcastContent: 'none',
  });
  const page = (videos: VideoInput[], nextPageToken: string | null): SearchPage => ({ videos, itemCount: videos.length, nextPageToken, totalResults: null });

  async function withRanges(h: PipelineHarness, ranges: Array<{ after: string; before: string }>) {
    await h.queries.saveFetchState(h.query.id, { pendingRanges: JSON.stringify(ranges), headMark: new Date(Date.parse(START) - 60_000), sweepMarks: null });
  }

  it('keeps the next range when a page of one reaches below its sub-second start', async () => {
    // A range saved with milliseconds (as ranges were before marks were whole seconds): the
    // search's bound is that second, so its oldest video may sit just below the range's start.
    const h = await setUp({ start: START });
    await withRanges(h, [
      { after: '2024-05-14T16:00:00.500Z', before: '2024-05-14T16:30:00.000Z' },
      { after: '2024-05-14T12:00:00.000Z', before: '2024-05-14T13:00:00.000Z' },
    ]);
    const asked: string[] = [];
    const fetch = h.fetchWith({
      youtube: {
        search: (_key: string, request: SearchRequest) => {
          const before = request.publishedBefore?.toISOString() ?? 'head';
          asked.push(`${before}${request.pageToken === undefined ? '' : ` ${request.pageToken}`}`);
          if (before === '2024-05-14T16:30:00.000Z') {
            return Promise.resolve(request.pageToken === undefined ? page([video('a', '2024-05-14T16:00:00Z')], 'next') : page([], null));
          }
          if (before === '2024-05-14T13:00:00.000Z') return Promise.resolve(page([video('b', '2024-05-14T12:30:00Z')], null));
          return Promise.resolve(page([], null));
        },
      },
    });
    const result = await fetch.run(h.query.id);
    expect(asked).toContain('2024-05-14T13:00:00.000Z');
    expect(result).toMatchObject({ outcome: 'ok', pendingRanges: 0 });
    expect(await h.storedIds()).toEqual(['a0000000000', 'b0000000000']);
  });

  it('sets aside a range YouTube refuses as malformed instead of asking again every run, and goes on with the others', async () => {
    const h = await setUp({ start: START });
    await withRanges(h, [
      { after: '2024-05-14T16:00:00.000Z', before: '2024-05-14T16:30:00.000Z' },
      { after: '2024-05-14T12:00:00.000Z', before: '2024-05-14T13:00:00.000Z' },
    ]);
    let refused = 0;
    const fetch = h.fetchWith({
      youtube: {
        search: (_key: string, request: SearchRequest) => {
          if (request.publishedBefore?.toISOString() === '2024-05-14T16:30:00.000Z') {
            refused++;
            return Promise.reject(new YoutubeApiError('request', 400, 'invalidParameter', 'YouTube refused the request (HTTP 400, invalidParameter)'));
          }
          if (request.publishedBefore !== undefined) return Promise.resolve(page([video('c', '2024-05-14T12:30:00Z')], null));
          return Promise.resolve(page([], null));
        },
      },
    });
    expect(await fetch.run(h.query.id)).toMatchObject({ outcome: 'ok', rangesSetAside: 1, pendingRanges: 0 });
    expect(await fetch.run(h.query.id)).toMatchObject({ outcome: 'ok', rangesSetAside: 0 });
    expect(refused).toBe(1);
    expect(await h.storedIds()).toEqual(['c0000000000']);
    expect(h.logLines.some((line) => line.includes('a pending range YouTube refuses to search was set aside'))).toBe(true);
  });
});
