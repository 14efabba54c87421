// Fault: the worker is down for 30 minutes (simulated: one fake clock drives the service and the
// simulator) while videos keep being published, 900 of them, more than one search can return
// (YouTube stops paging at ~500 results). After the restart everything is recovered: the head
// search runs into the cap, which is reported (a log line, the cap-hit counter, the backlog
// gauges), and the stretch below it is kept as a pending range that later runs search with
// its own publishedBefore, so nothing beyond the cap is dropped either.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, createLogger } from '@tubefeed/core';
import { auditStore, sleep, until } from '@tubefeed/core/testing';
import { startStack, type Stack } from '../e2e/stack.js';

const START = '2026-11-20T12:00:00.000Z';
const QUERY = 'cricket';
const DOWN_MS = 30 * 60_000;
const AUTH = `Basic ${Buffer.from('admin:fault-suite-password').toString('base64')}`;

const clock = new ManualClock(START);
const workerLog: string[] = [];
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    clock,
    // One upload every 2 s: 900 in the 30 minutes. 20 ms per call keeps a run long enough for
    // the backlog to be seen from outside.
    sim: { seed: 30, clock: { mode: 'manual', now: START }, publishIntervalMs: 2000, historyMs: 10 * 60_000, searchCallsPerDay: 1_000_000, unitsPerDay: 100_000_000 },
    env: {
      SEARCH_QUERIES: QUERY,
      FETCH_INTERVAL_MS: '1000',
      QUOTA_PACING: 'off',
      // Twelve pages: enough for one search sequence to reach the cap (10 pages of 50).
      FETCH_MAX_PAGES: '12',
      YOUTUBE_SEARCH_CALLS_PER_DAY: '1000000',
      ADMIN_PASSWORD: 'fault-suite-password',
    },
    log: (runtime) =>
      runtime === 'worker'
        ? createLogger({ level: 'info', format: 'json' }, 'worker', { write: (line: string) => void workerLog.push(line) })
        : createLogger({ level: 'silent', format: 'json' }, 'api'),
  });
  stack.sim.setFaults({ latencyMs: 20 });
});

afterAll(async () => {
  await stack?.close();
});

async function queryId(): Promise<number> {
  const row = await stack.api.db.kysely.selectFrom('search_queries').select('id').where('text', '=', QUERY).executeTakeFirstOrThrow();
  return row.id;
}

/** Waits until every video the simulator published up to now is stored for the query. */
async function caughtUp(id: number, what: string): Promise<string[]> {
  const expected = stack.sim.groundTruth(QUERY, { publishedBefore: clock.now() }).map((video) => video.videoId);
  return until(
    what,
    async () => {
      const { ids } = await auditStore(stack.api.db.kysely, id);
      const stored = new Set(ids);
      return expected.every((videoId) => stored.has(videoId)) ? expected : undefined;
    },
    60_000,
    200,
  );
}

async function metric(name: string, labels = ''): Promise<number> {
  const response = await stack.api.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: AUTH } });
  expect(response.statusCode).toBe(200);
  const line = response.body.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? Number.NaN : Number(line.split(' ')[1]);
}

describe('the worker down for 30 simulated minutes while 900 videos are published', () => {
  it('recovers every video, beyond the result cap too, and reports the cap and the backlog', async () => {
    const id = await queryId();
    await caughtUp(id, 'the first worker to catch up');
    expect(await metric('tubefeed_fetch_result_cap_hits_total')).toBe(0);

    await stack.worker.close();
    const resultsBefore = stack.results.length;
    clock.advance(DOWN_MS);
    stack.sim.setTime(clock.now());
    const missed = stack.sim.groundTruth(QUERY, { publishedAfter: new Date(clock.now().getTime() - DOWN_MS) });
    expect(missed.length).toBeGreaterThanOrEqual(899);

    // Watch the backlog gauge from outside while the restarted worker recovers.
    let watching = true;
    let largestBacklog = 0;
    const watcher = (async () => {
      while (watching) {
        largestBacklog = Math.max(largestBacklog, await metric('tubefeed_fetch_backlog_seconds', `{query="${QUERY}"}`));
        await sleep(50);
      }
    })();
    await stack.startWorker();
    const expected = await caughtUp(id, 'the restarted worker to recover the 30 minutes');
    watching = false;
    await watcher;

    // Everything, exactly once, with consistent counts.
    const audit = await auditStore(stack.api.db.kysely, id);
    expect(audit.problems).toEqual([]);
    expect(audit.ids).toEqual([...new Set(stack.sim.groundTruth(QUERY).map((video) => video.videoId))].sort());
    expect(audit.ids.length).toBeGreaterThanOrEqual(expected.length);

    // The cap was reached and said so: in the run's result, in a log line, in the metrics.
    const recovery = stack.results.slice(resultsBefore);
    const capped = recovery.find((result) => result.capHits > 0);
    expect(capped?.pendingRanges).toBeGreaterThan(0);
    const logged = workerLog.map((line) => JSON.parse(line) as { msg: string; level: number; query?: string });
    expect(logged.some((line) => line.msg.startsWith('search result cap reached') && line.level === 40 && line.query === QUERY)).toBe(true);
    expect(await metric('tubefeed_fetch_result_cap_hits_total')).toBeGreaterThanOrEqual(1);
    expect(largestBacklog).toBeGreaterThan(0);
    // ... and the backlog is gone once it was fetched.
    await until('the backlog to be cleared', async () => ((await metric('tubefeed_fetch_backlog_seconds', `{query="${QUERY}"}`)) === 0 ? true : undefined));
    expect(await metric('tubefeed_fetch_backlog_ranges', `{query="${QUERY}"}`)).toBe(0);
  });
});
