// A run whose writes fail because MySQL is unreachable: it retries them with backoff and keeps
// the pages it already paid for; past its retry budget it fails, and the next run searches again
// from the unchanged watermark. The pipeline is the worker's, with the video repository wrapped
// so its writes fail on cue.
import { afterEach, describe, expect, it } from 'vitest';
import { createFetchService, createYoutubeClient, type VideoRepository } from '@tubefeed/core';
import { silentLogger } from '@tubefeed/core/testing';
import { createPipelineHarness, type PipelineHarness } from './testing/pipeline-harness.js';

const START = '2024-05-14T18:00:00Z';
let harness: PipelineHarness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const unreachable = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });

/** The harness's pipeline, with `upsertBatch` failing while `fail()` says so. */
function pipeline(h: PipelineHarness, fail: (attempt: number) => Error | null, storeRetryMs: number) {
  let attempts = 0;
  const videos: Pick<VideoRepository, 'upsertBatch' | 'rebuildCounts' | 'countPublishedBetween' | 'publishedTimesSince'> = {
    upsertBatch: async (batch, options) => {
      const error = fail(++attempts);
      if (error !== null) throw error;
      return h.videos.upsertBatch(batch, options);
    },
    countPublishedBetween: async (queryId, from, to, cap) => h.videos.countPublishedBetween(queryId, from, to, cap),
    publishedTimesSince: async (queryId, from, limit) => h.videos.publishedTimesSince(queryId, from, limit),
    rebuildCounts: async () => h.videos.rebuildCounts(),
  };
  const fetch = createFetchService({
    videos,
    queries: h.queries,
    pool: h.pool,
    youtube: createYoutubeClient({ rootUrl: h.url, timeoutMs: 2000 }),
    clock: h.clock,
    log: silentLogger,
    settings: h.settings,
    retry: { retries: 1, minDelayMs: 5, maxDelayMs: 10 },
    storeRetryMs,
  });
  return { run: () => fetch.run(h.query.id), attempts: () => attempts };
}

describe('a run while MySQL is unreachable', () => {
  it('retries the write and keeps the page it paid for: no search is repeated', async () => {
    const h = (harness = await createPipelineHarness({ start: START }));
    const p = pipeline(h, (attempt) => (attempt <= 2 ? unreachable() : null), 30_000);
    const result = await p.run();
    expect(result.outcome).toBe('ok');
    expect(p.attempts()).toBeGreaterThan(2);
    const expected = h.publishedIds(new Date(h.clock.now().getTime() - h.settings.lookbackMs));
    expect(await h.storedIds()).toEqual(expected);
    // As many searches as pages: the failed writes cost none.
    expect(h.searchCalls().length).toBe(result.searchCalls);
    expect(result.searchCalls).toBe(Math.ceil((expected.length + 1) / 50));
  });

  it('fails the run past its retry budget; the next run searches again from the unchanged watermark', async () => {
    const h = (harness = await createPipelineHarness({ start: START }));
    let down = true;
    const p = pipeline(h, () => (down ? unreachable() : null), 300);
    await expect(p.run()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await h.storedIds()).toEqual([]);
    const wasted = h.searchCalls().length;
    expect(wasted).toBe(1); // the run stopped at its first page

    down = false;
    // The failed run had saved the stretch below its first page as pending (before storing it),
    // so the next run may leave some of it for the one after.
    const results = [await p.run(), await p.run()];
    expect(results.at(-1)!.outcome).toBe('ok');
    expect(await h.storedIds()).toEqual(h.publishedIds(new Date(h.clock.now().getTime() - h.settings.lookbackMs)));
  });

  it('does not retry a write that failed for another reason', async () => {
    const h = (harness = await createPipelineHarness({ start: START }));
    const p = pipeline(h, () => Object.assign(new Error("Data too long for column 'title'"), { code: 'ER_DATA_TOO_LONG' }), 30_000);
    await expect(p.run()).rejects.toMatchObject({ code: 'ER_DATA_TOO_LONG' });
    expect(p.attempts()).toBe(1);
  });
});
