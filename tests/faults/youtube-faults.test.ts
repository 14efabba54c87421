// Fault: YouTube misbehaves. While the simulator keeps publishing (four uploads a second,
// indexed up to 5 s late, so runs page and sweep), it answers 20% of search calls with a 5xx,
// 10% of the rest with a rate limit (429 or 403), drops the connection of 10% of what is left
// (the socket dies with no answer) and holds 10% of the remainder for 5 seconds before
// answering normally. The worker and the
// API run as deployed (their runtimes, tests/e2e/stack.ts), with the deployed retry settings.
// Then the faults clear and the worker catches up.
//
// What is promised, checked against the simulator's ground truth and its call log:
// - no loss, no duplicates: every video published from the first run's look-back to the point
//   the query's copy is known complete (the overlap's sweep mark, which the worker moves past the
//   end of the faults once it has searched that stretch again after indexing settled) is stored exactly
//   once, nothing else is stored, and every maintained count equals the rows (the store audit;
//   /getData's totals agree). A video indexed late while a run was held up by a stall can sit
//   below what the next runs' first pages reach; the settled sweep is what brings it in, and a
//   run slowed by stalls and retries must not count as settled what was not yet indexed when
//   its pages were answered (this scenario found that bug);
// - bounded retries with backoff: within one run, a request is tried at most retries + 1 times,
//   the k-th retry arrives at least min(minDelay × 2^(k-1), maxDelay) after the attempt before
//   it, and a run makes at most FETCH_MAX_PAGES × (retries + 1) calls;
// - no hot loop: run attempts are at most one per scheduler tick plus one per failed attempt
//   (BullMQ's job retry), so calls stay within attempts × FETCH_MAX_PAGES × (retries + 1);
// - a dropped connection is transient (retried, the key stays good) and is not refunded: the
//   request had reached YouTube, which charges every request that arrives (youtube-api.md). Our
//   count of searches is therefore every call that reached the simulator, and equals what the
//   simulator charged its projects' search buckets.
//
// FAULT_YOUTUBE_WINDOW_MS sets how long the faults last (default 45,000).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, decodeSweepMarks, type FetchRunResult } from '@tubefeed/core';
import { auditStore, sleep, until } from '@tubefeed/core/testing';
import type { CallRecord } from '@tubefeed/youtube-sim';
import { DEFAULT_RETRY } from '../../apps/worker/src/worker-runtime.js';
import { startStack, type Stack } from '../e2e/stack.js';

const WINDOW_MS = Number(process.env.FAULT_YOUTUBE_WINDOW_MS ?? 45_000);
const QUERY = 'otter';
const INTERVAL_MS = 1000;
const MAX_PAGES = 5;
const LOOKBACK_MS = 120_000;
const PUBLISH_INTERVAL_MS = 250;
const MAX_INDEX_DELAY_MS = 5000;
/** Far above the indexing delay; short, so the settled sweep comes round soon after the faults. */
const OVERLAP_MS = 20_000;
const FAULTS = { serverErrorShare: 0.2, rateLimitShare: 0.1, dropShare: 0.1, stallShare: 0.1, stallMs: 5000 };
const ADMIN = `Basic ${Buffer.from('admin:fault-suite-secret').toString('base64')}`;
const RETRY = DEFAULT_RETRY;

/** One job attempt of the worker, from BullMQ's events. */
interface Run {
  readonly start: number;
  end?: number;
  outcome?: 'completed' | 'failed';
  result?: FetchRunResult;
}

/**
 * One fetch run as the processor saw it: from taking its query's lease to releasing it (the
 * worker's debug line), the span in which a run may call YouTube.
 */
interface Span {
  readonly jobId: string;
  readonly from: number;
  readonly to: number;
}

let stack: Stack;
const runs: Run[] = [];
const spans: Span[] = [];
let firstOkAt = 0;
let faultsFrom = 0;
let faultsUntil = 0;
let finalRun: Run;
/** Jobs BullMQ found stalled and ran again. */
let stalled = 0;
/** The query's overlap sweep mark after the final run. */
let completeUntil: Date;

const at = (call: CallRecord) => Date.parse(call.at);
const searchCalls = () => stack.sim.calls().filter((call) => call.endpoint === 'search.list');

beforeAll(async () => {
  stack = await startStack({
    sim: { seed: 2026_11_22, publishIntervalMs: PUBLISH_INTERVAL_MS, maxIndexDelayMs: MAX_INDEX_DELAY_MS, historyMs: 5 * 60_000, searchCallsPerDay: 1_000_000, unitsPerDay: 100_000_000 },
    env: {
      SEARCH_QUERIES: QUERY,
      FETCH_INTERVAL_MS: String(INTERVAL_MS),
      FETCH_OVERLAP_MS: String(OVERLAP_MS),
      FETCH_LOOKBACK_MS: String(LOOKBACK_MS),
      FETCH_MAX_PAGES: String(MAX_PAGES),
      YOUTUBE_SEARCH_CALLS_PER_DAY: '1000000',
      // Only the overlap's look: the copy is then known complete minutes after the faults end.
      FETCH_SWEEP_DELAYS_MS: 'none',
      ADMIN_PASSWORD: 'fault-suite-secret',
    },
    retry: RETRY,
    log: (runtime) =>
      createLogger({ level: runtime === 'worker' ? 'debug' : 'silent', format: 'json' }, runtime, {
        write(line: string) {
          if (!line.includes('fetch lease released')) return;
          const { jobId, leasedAt, releasedAt } = JSON.parse(line) as { jobId: string; leasedAt: number; releasedAt: number };
          spans.push({ jobId, from: leasedAt, to: releasedAt });
        },
      }),
  });
  const { worker } = stack.worker;
  // Jobs may overlap (FETCH_CONCURRENCY; a tick finding the query busy is skipped), so each
  // attempt's end is matched to its own start by job id.
  const open = new Map<string, Run>();
  worker.on('active', (job) => {
    const run: Run = { start: Date.now() };
    runs.push(run);
    open.set(job.id!, run);
  });
  const end = (jobId: string | undefined, outcome: Run['outcome'], result?: FetchRunResult) => {
    const run = jobId === undefined ? undefined : open.get(jobId);
    if (run === undefined) return;
    open.delete(jobId!);
    Object.assign(run, { end: Date.now(), outcome, ...(result === undefined ? {} : { result }) });
  };
  worker.on('completed', (job, result: FetchRunResult) => end(job.id, 'completed', result));
  worker.on('failed', (job) => end(job?.id, 'failed'));
  // A job whose lock lapsed (the process too busy to renew it) is run again by BullMQ: a second
  // attempt that is no tick of its own, and no loop either.
  worker.on('stalled', () => void stalled++);

  // Calm first: the first run takes the look-back.
  await until('a first complete run', () => (runs.some((run) => run.result?.outcome === 'ok') ? true : undefined), 30_000);
  firstOkAt = Date.now();

  faultsFrom = Date.now();
  stack.sim.setFaults(FAULTS);
  await sleep(WINDOW_MS);
  stack.sim.clearFaults();
  faultsUntil = Date.now();

  // Caught up: a run finished with nothing left pending, and the query's copy is known complete
  // past the end of the faults.
  const db = stack.api.db.kysely;
  const completeMark = async () => {
    const row = await db.selectFrom('search_queries').select('sweep_marks').where('text', '=', QUERY).executeTakeFirstOrThrow();
    return decodeSweepMarks(row.sweep_marks).get(OVERLAP_MS) ?? null;
  };
  await until(
    'the copy known complete past the faults',
    async () => {
      const done = runs.some((run) => run.start > faultsUntil && run.result?.outcome === 'ok' && run.result.pendingRanges === 0);
      const checked = await completeMark();
      return done && checked !== null && checked.getTime() >= faultsUntil ? true : undefined;
    },
    120_000,
    250,
  );
  await worker.pause();
  finalRun = runs.filter((run) => run.end !== undefined).at(-1)!;
  completeUntil = (await completeMark())!;
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

describe('YouTube answering 5xx, rate limits, 5-second stalls and dropped connections while videos keep coming', () => {
  it('stores every video published exactly once, with every maintained count right', async () => {
    const query = await stack.api.db.kysely.selectFrom('search_queries').select('id').where('text', '=', QUERY).executeTakeFirstOrThrow();
    const audit = await auditStore(stack.api.db.kysely, query.id);
    expect(audit.problems).toEqual([]);

    const stored = new Set(audit.ids);
    const expected = stack.sim
      .groundTruth(QUERY, { publishedAfter: new Date(firstOkAt - LOOKBACK_MS), publishedBefore: completeUntil })
      .map((video) => video.videoId);
    expect(expected.length).toBeGreaterThan(LOOKBACK_MS / PUBLISH_INTERVAL_MS);
    expect(expected.filter((id) => !stored.has(id))).toEqual([]);
    const published = new Set(stack.sim.groundTruth(QUERY).map((video) => video.videoId));
    expect(audit.ids.filter((id) => !published.has(id))).toEqual([]);

    // What clients see agrees: the feed's totals are the rows.
    const page = await stack.api.app.inject({ method: 'GET', url: `/getData?limit=1&pageNo=2&query=${QUERY}` });
    expect(page.json()).toMatchObject({ totalCount: audit.ids.length });
  });

  it('injected every kind of fault, and the worker got through them', () => {
    const during = searchCalls().filter((call) => at(call) >= faultsFrom && at(call) <= faultsUntil);
    const kinds = {
      ok: during.filter((call) => call.status === 200).length,
      serverError: during.filter((call) => (call.status ?? 0) >= 500).length,
      rateLimited: during.filter((call) => call.status === 429 || call.status === 403).length,
      dropped: during.filter((call) => call.reason === 'connectionDropped').length,
    };
    const runsDuring = runs.filter((run) => run.start >= faultsFrom && run.start <= faultsUntil);
    // eslint-disable-next-line no-console -- the scenario's figures, for the record
    console.info(`youtube-faults: ${WINDOW_MS} ms of faults: ${during.length} calls`, kinds, {
      runs: runsDuring.length,
      completed: runsDuring.filter((run) => run.outcome === 'completed').length,
      failed: runsDuring.filter((run) => run.outcome === 'failed').length,
    });
    for (const count of Object.values(kinds)) expect(count).toBeGreaterThan(0);
    expect(runsDuring.filter((run) => run.result?.outcome === 'ok' || run.result?.outcome === 'partial').length).toBeGreaterThan(0);
    // Transient trouble never takes a key out.
    expect(searchCalls().every((call) => call.reason !== 'quotaExceeded' && call.status !== 400)).toBe(true);
  });

  it('retries a request at most retries + 1 times in a run, each retry after a growing backoff', () => {
    // Runs are told apart by the processor's own spans (lease taken to lease released): BullMQ's
    // events can pair a start with another attempt's end (a stalled job run again), and a call
    // must be matched to the run that made it.
    const calls = searchCalls().filter((call) => at(call) >= spans[0]!.from);
    let retried = 0;
    let minSpacing = Number.POSITIVE_INFINITY;
    for (const span of spans) {
      const inRun = calls.filter((call) => at(call) >= span.from && at(call) <= span.to);
      expect(inRun.length).toBeLessThanOrEqual(MAX_PAGES * (RETRY.retries + 1));
      // Within a run a request is never repeated except as a retry: the same parameters (the
      // key is left out of the log) are the same request.
      const byRequest = new Map<string, CallRecord[]>();
      for (const call of inRun) {
        const request = JSON.stringify(call.params);
        byRequest.set(request, [...(byRequest.get(request) ?? []), call]);
      }
      for (const attempts of byRequest.values()) {
        expect(attempts.length).toBeLessThanOrEqual(RETRY.retries + 1);
        for (let k = 1; k < attempts.length; k++) {
          const spacing = at(attempts[k]!) - at(attempts[k - 1]!);
          const backoff = Math.min(RETRY.minDelayMs * 2 ** (k - 1), RETRY.maxDelayMs);
          // 2 ms for timer granularity
          expect(spacing).toBeGreaterThanOrEqual(backoff - 2);
          minSpacing = Math.min(minSpacing, spacing);
          retried++;
        }
      }
    }
    // Every call belongs to a run: nothing calls YouTube outside one. What a stray call was
    // near, if one is found: the spans and BullMQ's attempts within 10 s of it.
    const near = (t: number) => ({
      spans: spans.filter((span) => span.from <= t + 10_000 && span.to >= t - 10_000),
      attempts: runs.filter((run) => run.start <= t + 10_000 && (run.end ?? Number.POSITIVE_INFINITY) >= t - 10_000),
    });
    const outside = calls
      .filter((call) => !spans.some((span) => at(call) >= span.from && at(call) <= span.to))
      .map((call) => ({ at: at(call), status: call.status, reason: call.reason, params: call.params, ...near(at(call)) }));
    expect(outside).toEqual([]);
    expect(retried).toBeGreaterThanOrEqual(3); // the spacing above was checked on real retries
    // eslint-disable-next-line no-console -- the scenario's figures, for the record
    console.info(`youtube-faults: ${retried} retries in ${spans.length} runs, the closest ${minSpacing} ms after the attempt before`);
  });

  it('makes no hot loop: runs at most once per tick plus once per failed attempt, calls bounded by them', () => {
    const first = runs[0]!.start;
    const last = finalRun.end!;
    const attempts = runs.filter((run) => run.start >= first && run.start <= last);
    const failed = attempts.filter((run) => run.outcome === 'failed').length;
    // The first attempt may start up to an interval after its own tick (jobs wait for a busy
    // worker), so the ticks behind the window's attempts begin up to one interval before it.
    const ticks = Math.floor((last - first) / INTERVAL_MS) + 2;
    expect(attempts.length).toBeLessThanOrEqual(ticks + failed + stalled);
    const calls = searchCalls().filter((call) => at(call) >= first && at(call) <= last).length;
    const bound = attempts.length * MAX_PAGES * (RETRY.retries + 1);
    expect(calls).toBeLessThanOrEqual(bound);
    // eslint-disable-next-line no-console -- the scenario's figures, for the record
    console.info(
      `youtube-faults: ${calls} calls in ${attempts.length} run attempts (${failed} failed, ${stalled} stalled) over ${last - first} ms;` +
        ` bounds: ${ticks + failed + stalled} attempts, ${bound} calls`,
    );
  });

  it('counts a dropped connection as spent (it reached YouTube) and keeps every key in use', async () => {
    const response = await stack.api.app.inject({ method: 'GET', url: '/admin/keys', headers: { authorization: ADMIN } });
    expect(response.statusCode).toBe(200);
    const keys = response.json<{ keys: Array<{ state: string; quota: { search: { used: number } } }> }>().keys;
    expect(keys.map((key) => key.state)).toEqual(['active', 'active', 'active']);
    const all = searchCalls();
    // Each key is a project of its own: the sum of the projects' search buckets.
    const ourSearches = keys.reduce((sum, key) => sum + key.quota.search.used, 0);
    const simCharged = all.reduce((sum, call) => sum + call.units, 0);
    // No call here failed before reaching the simulator, so none is refunded: drops included.
    expect(all.filter((call) => call.reason === 'connectionDropped').length).toBeGreaterThan(0);
    expect(ourSearches).toBe(all.length);
    expect(simCharged).toBe(ourSearches);
  });
});
