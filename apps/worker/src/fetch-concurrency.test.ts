// Fetch runs in parallel as deployed: two workers in one process (each FETCH_CONCURRENCY 3:
// more slots than queries), four followed queries, every search slowed so that runs last longer than the interval and
// scheduler ticks keep arriving while a query is still being fetched. Watched from both ends:
// the simulator's own record of search calls in flight per query, and the span of every run
// the workers log. Never two runs (or calls) of one query at once; different queries at once.
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, createSharedCounters, dropDatabase, systemClock } from '@tubefeed/core';
import { clearRedisPrefix, createTestRedis, maxOverlap, sleep, testConfig, until } from '@tubefeed/core/testing';
import { createYoutubeSimulator } from '@tubefeed/youtube-sim';
import { startWorkerRuntime } from './worker-runtime.js';

const QUERIES = ['cricket', 'tea', 'chess', 'jazz'];
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});


describe('fetch concurrency across workers', () => {
  it('runs different queries in parallel and never two runs of one query at once', async () => {
    const sim = createYoutubeSimulator({ seed: 5, maxIndexDelayMs: 0, historyMs: 10 * 60_000, publishIntervalMs: 20_000 });
    // The simulator's side: search calls in flight, per query and in all.
    const inFlight = new Map<string, number>();
    const most = { perQuery: 0, all: 0 };
    let open = 0;
    const queryOf = (request: { url: string; query: unknown }) => (request.url.includes('/search') ? String((request.query as { q?: string }).q) : undefined);
    sim.app.addHook('onRequest', (request, _reply, done) => {
      const q = queryOf(request);
      if (q !== undefined) {
        inFlight.set(q, (inFlight.get(q) ?? 0) + 1);
        most.perQuery = Math.max(most.perQuery, inFlight.get(q)!);
        most.all = Math.max(most.all, ++open);
      }
      done();
    });
    sim.app.addHook('onResponse', (request, _reply, done) => {
      const q = queryOf(request);
      if (q !== undefined) {
        inFlight.set(q, inFlight.get(q)! - 1);
        open--;
      }
      done();
    });
    const url = await sim.listen();
    cleanups.push(() => sim.close());
    const config = testConfig({
      YOUTUBE_API_KEYS: sim.apiKeys().join(','),
      YOUTUBE_API_ROOT: `${url}/`,
      SEARCH_QUERIES: QUERIES.join(','),
      FETCH_INTERVAL_MS: '1000',
      FETCH_CONCURRENCY: '3',
      QUOTA_PACING: 'off',
    });
    const redis = createTestRedis();
    cleanups.push(async () => {
      await clearRedisPrefix(redis, config.redis.prefix);
      redis.disconnect();
      await dropDatabase(config.mysql.url);
    });

    // The workers' side: every run, as the span its lease was held (their debug lines).
    const spans: Array<{ queryId: number; start: number; end: number }> = [];
    const log = createLogger({ level: 'debug', format: 'json' }, 'worker', {
      write(line: string) {
        const record = JSON.parse(line) as { msg: string; queryId: number; leasedAt: number; releasedAt: number };
        if (record.msg === 'fetch lease released') spans.push({ queryId: record.queryId, start: record.leasedAt, end: record.releasedAt });
      },
    });
    const runtimes = [];
    for (let i = 0; i < 2; i++) {
      const runtime = await startWorkerRuntime({ config, log, clock: systemClock, retry: { retries: 1, minDelayMs: 10, maxDelayMs: 20 } });
      cleanups.push(() => runtime.close(5000));
      runtimes.push(runtime);
    }
    await until('every query fetched once', () => (new Set(spans.map((s) => s.queryId)).size === QUERIES.length ? true : undefined), 15_000);
    // Each search now takes 1.5 s against a 1 s interval: every query's next tick comes while
    // its run is still in its call.
    sim.setFaults({ latencyMs: 1500 });
    const slowFrom = Date.now();
    await sleep(7000);
    // Both workers stop taking jobs and finish the runs they have.
    await Promise.all(runtimes.map((runtime) => runtime.close(10_000)));
    expect(open).toBe(0);

    const slow = spans.filter((s) => s.end > slowFrom);
    const perQuery = QUERIES.map((_, i) => maxOverlap(slow.filter((s) => s.queryId === i + 1)));
    const parallel = maxOverlap(slow);
    const skipped = (await createSharedCounters({ redis, prefix: config.redis.prefix }).read()).fetch_jobs_skipped_busy ?? 0;
    // eslint-disable-next-line no-console -- the scenario's figures, for the record
    console.info(`fetch concurrency: ${slow.length} slow runs, at most ${parallel} at once (search calls in flight: ${most.all}), ${skipped} ticks skipped while their query was being fetched`);

    expect(perQuery).toEqual([1, 1, 1, 1]);
    expect(most.perQuery).toBe(1);
    // Six slots (two workers, three each) but four queries: several at a time, never more than four.
    expect(parallel).toBeGreaterThanOrEqual(3);
    expect(parallel).toBeLessThanOrEqual(4);
    expect(most.all).toBeGreaterThanOrEqual(3);
    expect(slow.length).toBeGreaterThanOrEqual(2 * QUERIES.length);
    expect(skipped).toBeGreaterThan(0);
  });
});
