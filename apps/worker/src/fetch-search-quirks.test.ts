// The fetch pipeline against search as YouTube really answers it (youtube-api.md): videos
// indexed hours late, pages shorter than asked that still carry a token, videos from outside the
// window asked for, old windows that return fewer results than they once did, and videos
// deleted or made private after upload.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSweepMarks, type FetchRunResult } from '@tubefeed/core';
import { createPipelineHarness, type HarnessOptions, type PipelineHarness } from './testing/pipeline-harness.js';

const START = '2024-05-14T18:00:00Z'; // 11:00 Pacific (PDT)
const HOUR = 3_600_000;
let harness: PipelineHarness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function setUp(options: HarnessOptions): Promise<PipelineHarness> {
  harness = await createPipelineHarness(options);
  return harness;
}

/** Runs every `everyMs` for `forMs` of simulated time; returns every run's result. */
async function runFor(h: PipelineHarness, forMs: number, everyMs: number, options?: Parameters<PipelineHarness['run']>[0]): Promise<FetchRunResult[]> {
  const results: FetchRunResult[] = [];
  for (let t = 0; t < forMs; t += everyMs) {
    results.push(await h.run(options));
    h.advance(everyMs);
  }
  return results;
}

/** Runs until a run ends with nothing pending (at most `max` runs, `stepMs` apart); `lastRunAt` is the last run's time. */
async function runUntilOk(h: PipelineHarness, max: number, stepMs: number): Promise<{ results: FetchRunResult[]; lastRunAt: Date }> {
  const results: FetchRunResult[] = [];
  let lastRunAt = h.clock.now();
  for (let i = 0; i < max && results.at(-1)?.outcome !== 'ok'; i++) {
    lastRunAt = h.clock.now();
    results.push(await h.run());
    h.advance(stepMs);
  }
  return { results, lastRunAt };
}

const sum = (results: readonly FetchRunResult[], field: 'searchCalls' | 'foundBelowHead' | 'outsideWindow' | 'sweepsQueued' | 'unverifiedSeconds') =>
  results.reduce((total, r) => total + r[field], 0);

describe('videos search indexes hours late', () => {
  // A fifth of the uploads become searchable between 1 minute and 5 hours after publication.
  const lateWorld = {
    start: START,
    publishIntervalMs: 300_000,
    quota: { searchCallsPerDay: 10_000, unitsPerDay: 10_000 },
    sim: { indexLag: [{ share: 0.8, maxMs: 60_000 }, { share: 0.2, maxMs: 5 * HOUR }], shortPageShare: 0, windowLeakShare: 0 },
    settings: { sweepDelaysMs: [HOUR, 6 * HOUR] },
  };

  it('are all found by the sweeps, at a cost of a few searches', async () => {
    const h = await setUp(lateWorld);
    const from = new Date(h.clock.now().getTime() - h.settings.lookbackMs);
    const results = await runFor(h, 21 * HOUR, 900_000, { sweepSearchesPerHour: 10 });
    // Everything published in the first 8 hours is indexed (at most 5 h late) and swept: a stretch
    // is searched again 6 h after it, once it would fill a page or spans 6 h.
    const until = new Date(from.getTime() + 8 * HOUR);
    const expected = h.publishedIds(from, until);
    const late = h.sim.groundTruth('cricket', { publishedAfter: from, publishedBefore: until }).filter((v) => Date.parse(v.indexedAt) - Date.parse(v.publishedAt) > h.settings.overlapMs + 900_000);
    expect(late.length).toBeGreaterThan(5);
    expect(await h.storedIdsWithin(from, until)).toEqual(expected);
    expect(sum(results, 'foundBelowHead')).toBeGreaterThanOrEqual(late.length);
    // One head search per run; the sweeps of 12 videos an hour add about one page per 6-hour
    // stretch and delay, and the 1-hour look rides on the head's page.
    expect(sum(results, 'searchCalls')).toBeLessThanOrEqual(results.length + 8);
    const marks = decodeSweepMarks((await h.queries.findById(h.query.id))!.sweep_marks);
    expect([...marks.keys()]).toEqual([h.settings.overlapMs, HOUR, 6 * HOUR]);
    expect(marks.get(6 * HOUR)!.getTime()).toBeGreaterThanOrEqual(until.getTime());
  });

  it('are skipped, not paid for, when the quota leaves no room for sweeps', async () => {
    const h = await setUp(lateWorld);
    const from = new Date(h.clock.now().getTime() - h.settings.lookbackMs);
    const results = await runFor(h, 14 * HOUR, 900_000, { sweepSearchesPerHour: 0 });
    expect(sum(results, 'searchCalls')).toBe(results.length); // the head alone
    expect(sum(results, 'sweepsQueued')).toBe(0);
    const until = new Date(from.getTime() + 8 * HOUR);
    const stored = new Set(await h.storedIdsWithin(from, until));
    expect(h.publishedIds(from, until).filter((id) => !stored.has(id)).length).toBeGreaterThan(0);
  });
});

describe('pages that do not prove the end', () => {
  it('keeps paging past pages shorter than asked that carry a token', async () => {
    const h = await setUp({ start: START, sim: { shortPageShare: 1, windowLeakShare: 0 } });
    const from = new Date(h.clock.now().getTime() - h.settings.lookbackMs);
    const { results } = await runUntilOk(h, 6, 1000);
    expect(results.at(-1)?.outcome).toBe('ok');
    const expected = h.publishedIds(from, new Date(Date.parse(START)));
    expect(expected.length).toBeGreaterThan(150);
    expect((await h.storedIdsWithin(from, new Date(Date.parse(START)))).length).toBe(expected.length);
    // Every page was short: more calls than full pages would have needed.
    const calls = h.searchCalls();
    expect(calls.every((c) => c.results === null || c.results < 50)).toBe(true);
    expect(calls.length).toBeGreaterThan(Math.ceil(expected.length / 50));
  });

  it('does not take a short last page at the ~500-result cap for the end of the results', async () => {
    // A third of the pages are short, so the page that reaches the cap can be short too: 900
    // uploads while no worker ran, 15 pages a run, enough for one sequence to reach the cap.
    const h = await setUp({ start: START, publishIntervalMs: 2000, sim: { shortPageShare: 0.3, windowLeakShare: 0 }, settings: { maxPages: 15, lookbackMs: 120_000 } });
    await h.run();
    const from = new Date(h.clock.now().getTime() - h.settings.lookbackMs);
    h.advance(30 * 60_000);
    const { results, lastRunAt } = await runUntilOk(h, 6, 1000);
    // The head's sequence ran into the cap on a short page (no token, fewer than 50 items).
    expect(results[0]).toMatchObject({ capHits: 1, outcome: 'partial' });
    const head = h.searchCalls().filter((c) => c.params.publishedBefore === undefined && Date.parse(c.at) === Date.parse(START) + 30 * 60_000);
    expect(head.reduce((n, c) => n + (c.results ?? 0), 0)).toBeGreaterThanOrEqual(450);
    expect(head.at(-1)!.results).toBeLessThan(50);
    expect(results.at(-1)?.outcome).toBe('ok');
    expect(await h.storedIdsWithin(from, lastRunAt)).toEqual(h.publishedIds(from, lastRunAt));
  });

  it('stores videos from outside the window asked for without counting them as new or letting them end the paging', async () => {
    const h = await setUp({ start: START, sim: { windowLeakShare: 1, shortPageShare: 0 } });
    await h.run();
    const from = new Date(h.clock.now().getTime() - h.settings.lookbackMs);
    h.advance(4 * HOUR); // 720 uploads while no worker ran: several pages and ranges, each with leaks
    const { results, lastRunAt } = await runUntilOk(h, 10, 10_000);
    expect(results.at(-1)?.outcome).toBe('ok');
    expect(sum(results, 'outsideWindow')).toBeGreaterThan(0);
    expect(await h.storedIdsWithin(from, lastRunAt)).toEqual(h.publishedIds(from, lastRunAt));
    // New means new inside the window: every insert is a video of the window searched.
    const inserted = results.reduce((total, r) => total + r.inserted, 0);
    expect(inserted).toBeLessThanOrEqual(h.publishedIds(from).length);
  });
});

describe('old windows', () => {
  it('recovers what search still returns after a long outage and says it cannot know the rest', async () => {
    const h = await setUp({
      start: START,
      publishIntervalMs: HOUR,
      sim: { fadeAfterMs: 7 * 86_400_000, fadeShare: 0.5, shortPageShare: 0, windowLeakShare: 0, historyMs: 2 * HOUR },
      settings: { lookbackMs: 2 * HOUR, sweepDelaysMs: [] },
    });
    await h.run();
    const from = new Date(h.clock.now().getTime() - h.settings.lookbackMs);
    h.advance(9 * 86_400_000); // nine days without a worker
    const { results } = await runUntilOk(h, 10, 10_000);
    expect(results.at(-1)?.outcome).toBe('ok');
    const reliableFrom = new Date(h.clock.now().getTime() - 7 * 86_400_000);
    // Within the last seven days, everything; before, what search still returns.
    expect(await h.storedIdsWithin(reliableFrom)).toEqual(h.publishedIds(reliableFrom));
    const older = h.sim.groundTruth('cricket', { publishedAfter: from, publishedBefore: reliableFrom });
    const stored = new Set(await h.storedIdsWithin(from, reliableFrom));
    const missing = older.filter((v) => !stored.has(v.videoId));
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.every((v) => !v.searchable)).toBe(true);
    // Said, in the result and the log, for about the two days older than seven.
    expect(sum(results, 'unverifiedSeconds')).toBeGreaterThan(1.5 * 86_400);
    expect(h.logLines.some((line) => line.includes('searched a range older than search keeps complete'))).toBe(true);
  });
});

describe('videos deleted or made private on YouTube', () => {
  it('keeps a video stored before it went, and does not count one that went before any search listed it as lost', async () => {
    // Only the removals made here (no drawn ones), so each is the one the test means.
    const h = await setUp({ start: START, publishIntervalMs: 60_000, sim: { removalShare: 0, shortPageShare: 0, windowLeakShare: 0 } });
    const from = new Date(h.clock.now().getTime() - h.settings.lookbackMs);
    await h.run();
    const storedFirst = await h.storedIds();
    const kept = storedFirst[0]!;
    h.sim.removeVideo(kept, 'deleted');
    h.advance(5 * 60_000);
    // Published since the run and removed before the next one: no search ever listed it.
    const unseen = h.publishedIds(from).find((id) => !storedFirst.includes(id))!;
    expect(unseen).toBeDefined();
    h.sim.removeVideo(unseen, 'private');
    await h.run();
    h.advance(h.settings.overlapMs);
    await h.run();

    const stored = await h.storedIds();
    expect(stored).toContain(kept);
    expect(stored).not.toContain(unseen);
    // The no-loss check expects the first (listed, then deleted) and not the second.
    expect(h.publishedIds(from)).toContain(kept);
    expect(h.publishedIds(from)).not.toContain(unseen);
    expect(await h.storedIdsWithin(from)).toEqual(h.publishedIds(from));
  });
});
