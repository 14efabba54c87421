// `npm start` as people run it: the launcher (apps/cli/dist/start.js) with no YouTube keys, so
// the simulator runs in its process and the API and the worker run as its children. Started 20
// times, because what broke here was a race at boot (the API's subscriber connection sent a
// SUBSCRIBE before its ready check, which then failed, and the reconnect re-subscribed only
// the control channel: 3 starts out of 3 came up with page 1 refreshed by time only). Each
// start gets a database and Redis prefix of its own (the simulator's world is the same every
// time, so on the database of the start before nothing would be new for a while) and shows:
// the API subscribed to the feed-changed channel and both children to the control channel (in
// Redis, and in /health), a video the worker stores next on page 1 within 1 s of the store,
// and a clean stop on SIGTERM (exit 0, both children stopped gracefully, none left running).
import type { RedisClient } from '@tubefeed/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dropDatabase } from '@tubefeed/core';
import { clearRedisPrefix, createTestRedis, testMysqlUrl, testRedisUrl, uniqueName } from '@tubefeed/core/testing';
import { freePort, waitForHttp } from '@tubefeed/core/testing';
import { pageOneServes, settledSubscriberCounts, subscriberCounts, watchPageOne, type PageOneWatch } from './support/page-one-watch.js';
import { Services, type ServiceProcess } from './support/services.js';

const RUNS = 20;
const LIMIT = 100;

const services = new Services();
let redis: RedisClient;

/** One start's database, Redis prefix and watch of page 1. */
interface Run {
  readonly prefix: string;
  readonly mysqlUrl: string;
  readonly watch: PageOneWatch;
}
const leftovers = new Set<Run>();

async function prepareRun(): Promise<Run> {
  const prefix = uniqueName('launch');
  const run = { prefix, mysqlUrl: testMysqlUrl(uniqueName('launch')), watch: await watchPageOne(testRedisUrl(), prefix) };
  leftovers.add(run);
  return run;
}

async function cleanUp(run: Run): Promise<void> {
  run.watch.close();
  await clearRedisPrefix(redis, run.prefix);
  await dropDatabase(run.mysqlUrl);
  leftovers.delete(run);
}

beforeAll(() => {
  redis = createTestRedis();
});

afterAll(async () => {
  await services.stopAll();
  for (const run of [...leftovers]) await cleanUp(run);
  redis?.disconnect();
});

/** The launcher's lines from one child, its prefix (`[api] `) removed, parsed where JSON. */
function childRecords(launcher: ServiceProcess, child: 'api' | 'worker'): Array<Record<string, unknown>> {
  return launcher.output().flatMap((line) => {
    if (!line.startsWith(`[${child}] {`)) return [];
    try {
      return [JSON.parse(line.slice(child.length + 3)) as Record<string, unknown>];
    } catch {
      return []; // a line cut short by the child's exit: not a log record
    }
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: no such process
  }
}

interface RunFigures {
  readonly bootMs: number;
  readonly pageOneMs: number;
  readonly stopMs: number;
}

// About two minutes alone (a start is mostly Node loading three programs); room for a busy machine.
it(`npm start, ${RUNS} times: live page 1 from the first request, a clean stop each time`, { timeout: 600_000 }, async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const figures: RunFigures[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const resources = await prepareRun();
    const { prefix, mysqlUrl, watch } = resources;
    const startedAt = performance.now();
    const launcher = services.start('launcher', {
      // What `npm start` gets on a developer's machine, pointed at this test's own database,
      // Redis prefix and port (the simulator's port is the launcher's choice: 8765 or any free one).
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      MYSQL_URL: mysqlUrl,
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: prefix,
      YOUTUBE_API_KEYS: '',
      SEARCH_QUERIES: 'cricket',
      FETCH_INTERVAL_MS: '1000',
      QUOTA_PACING: 'off',
      RATE_LIMIT_MAX: '0',
      ADMIN_PASSWORD: 'launch-pw',
    });
    const context = () => `run ${run}:\n${launcher.recentOutput().join('\n')}`;

    await waitForHttp(`${base}/health`, launcher, 30_000);
    const health = (await (await fetch(`${base}/health`)).json()) as { checks: { feedChannel: string } };
    expect(health.checks.feedChannel, context()).toBe('up');
    // The API on both channels, the worker on the control channel (it may still be booting).
    const subscribed = { feedChanged: 1, control: 2 };
    expect(await settledSubscriberCounts(redis, prefix, subscribed), context()).toEqual(subscribed);
    const bootMs = performance.now() - startedAt;

    // The worker's next store: it follows one more query (through the admin API, as an operator
    // would), fetches its last hour and stores it, putting new videos on page 1.
    const storesBefore = watch.stores.at(-1)?.seq ?? 0;
    const follow = await fetch(`${base}/admin/queries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('admin:launch-pw').toString('base64')}` },
      body: JSON.stringify({ text: 'chess' }),
    });
    expect(follow.status, context()).toBe(201);
    const store = await watch.nextStore(storesBefore, 15_000);
    const served = await pageOneServes(base, watch, store, LIMIT);
    expect(served.ms, context()).toBeLessThan(1000);
    if (served.etag === `"${store.version}-${LIMIT}"`) {
      expect(served.totalCount).toBe(store.total);
      expect(served.ids).toEqual(store.ids.slice(0, LIMIT));
    }
    expect(served.ids).toEqual(expect.arrayContaining([store.newIds[0]]));

    const children = (['api', 'worker'] as const).map((child) => ({ child, pid: Number(childRecords(launcher, child)[0]?.pid) }));
    const stopping = performance.now();
    launcher.signal('SIGTERM');
    const code = await launcher.exited;
    const stopMs = performance.now() - stopping;
    expect(code, context()).toBe(0);
    expect(stopMs, context()).toBeLessThan(10_000);
    for (const { child, pid } of children) {
      expect(childRecords(launcher, child).map((record) => record.msg), context()).toContain(`${child} stopped`);
      expect(isRunning(pid), `${child} (pid ${pid}) still running after the launcher exited`).toBe(false);
    }
    expect(await subscriberCounts(redis, prefix)).toEqual({ feedChanged: 0, control: 0 });
    expect(watch.problems).toEqual([]);
    figures.push({ bootMs, pageOneMs: served.ms, stopMs });
    await cleanUp(resources);
  }
  const worst = (pick: (f: RunFigures) => number) => Math.round(Math.max(...figures.map(pick)));
  const median = (pick: (f: RunFigures) => number) => Math.round([...figures.map(pick)].sort((a, b) => a - b)[Math.floor(figures.length / 2)]!);
  // eslint-disable-next-line no-console -- the scenario's figures, for the record
  console.info(
    `launcher x${RUNS}: boot to live page 1 median ${median((f) => f.bootMs)} ms (worst ${worst((f) => f.bootMs)}); ` +
      `store to page 1 median ${median((f) => f.pageOneMs)} ms (worst ${worst((f) => f.pageOneMs)}); ` +
      `SIGTERM to exit median ${median((f) => f.stopMs)} ms (worst ${worst((f) => f.stopMs)})`,
  );
});
