// Cross-site admin requests: every admin route that can change state, found in the app itself so
// that a route added later is covered without touching this file (Bull Board's included), is
// refused when the browser says the request comes from another site, and nothing changes; the
// same request from this origin, or from a client that sends neither header, gets the route's
// own answer. GET and HEAD are never refused. The refusal comes before the credentials check.
import type { FastifyInstance } from 'fastify';
import { Worker, type Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullPrefix, connectRedis, createFetchQueue, FETCH_QUEUE, systemClock, type FetchJobData, type RedisClient } from '@tubefeed/core';
import { createTestRedis, silentLogger, testRedisUrl } from '@tubefeed/core/testing';
import { createYoutubeSimulator } from '@tubefeed/youtube-sim';
import { useTestApis, type TestApi } from '../testing/test-api.js';

const USER = 'ops';
const PASSWORD = 'correct horse battery';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const RIGHT = basic(USER, PASSWORD);
const HOST = 'admin.test:3000';
const SAME_ORIGIN = 'http://admin.test:3000';
const REFUSED = /^Cross-site admin request refused: /;

/** Headers a browser sends for a request from another site, one kind of evidence each. */
const CROSS_SITE: Record<string, Record<string, string>> = {
  'a foreign Origin': { origin: 'https://evil.example' },
  'Sec-Fetch-Site: cross-site': { 'sec-fetch-site': 'cross-site' },
  'Sec-Fetch-Site: same-site': { 'sec-fetch-site': 'same-site', origin: 'http://sibling.admin.test:3000' },
  'Origin: null': { origin: 'null' },
};

/** Headers of requests that may change state: a page of this origin, and a client that is not a browser. */
const ALLOWED: Record<string, Record<string, string>> = {
  'Origin of this server': { origin: SAME_ORIGIN },
  'Sec-Fetch-Site: same-origin': { 'sec-fetch-site': 'same-origin', origin: SAME_ORIGIN },
  'neither header': {},
};

const sim = createYoutubeSimulator({ seed: 44, keys: [{}], maxIndexDelayMs: 0 });
const apis = useTestApis({ clock: systemClock, env: { ADMIN_USER: USER, ADMIN_PASSWORD: PASSWORD } });
let api: TestApi;
let connection: RedisClient;
let queue: Queue<FetchJobData>;
let simUrl: string;

beforeAll(async () => {
  simUrl = await sim.listen();
  api = await apis.start({ YOUTUBE_API_KEYS: sim.apiKeys()[0]!, YOUTUBE_API_ROOT: `${simUrl}/` });
  connection = createTestRedis();
  queue = createFetchQueue(connection, api.config.redis.prefix, silentLogger);
});
afterAll(async () => {
  await queue.close();
  connection.disconnect();
  await sim.close();
});

interface Route {
  readonly method: string;
  readonly url: string;
}

/** Every route of the app with its methods, read from Fastify's own route tree (printRoutes). */
function routesOf(app: FastifyInstance): Route[] {
  const found: Route[] = [];
  const path: string[] = [];
  for (const line of app.printRoutes().split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (match === null) continue;
    path.length = match[1]!.length / 4;
    path.push(match[2]!);
    for (const method of match[3]?.split(', ') ?? []) found.push({ method, url: path.join('') });
  }
  return found;
}

const isAdmin = (url: string) => url.startsWith('/admin/') || url === '/metrics';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

async function send(method: string, url: string, headers: Record<string, string>, payload?: object) {
  return api.app.inject({
    method: method as 'GET',
    url,
    headers: { host: HOST, authorization: RIGHT, ...headers },
    ...(payload === undefined ? {} : { payload }),
  });
}

/** Jobs of every kind Bull Board can act on: failed, waiting, delayed, and a scheduler's next run. */
async function seedQueue(): Promise<{ failed: string; delayed: string; scheduler: string }> {
  // A job failed by hand: a worker that takes the one waiting job and fails it, nothing else.
  await queue.add('fetch', { queryId: 900, query: 'failed' });
  const workerConnection = connectRedis(testRedisUrl(), { maxRetriesPerRequest: null });
  const worker = new Worker<FetchJobData>(FETCH_QUEUE, null, { connection: workerConnection, prefix: bullPrefix(api.config.redis.prefix), autorun: false });
  const token = 'cross-site-test';
  const failed = await worker.getNextJob(token);
  if (failed === undefined) throw new Error('no job to fail');
  await failed.moveToFailed(new Error('failed on purpose'), token);
  await worker.close();
  workerConnection.disconnect();
  await queue.add('fetch', { queryId: 901, query: 'waiting' });
  const delayed = await queue.add('fetch', { queryId: 902, query: 'delayed' }, { delay: 3_600_000 });
  const scheduler = 'cross-site-probe';
  await queue.upsertJobScheduler(scheduler, { every: 3_600_000, startDate: Date.now() + 3_600_000 }, { name: 'fetch', data: { queryId: 903, query: 'scheduled' } });
  return { failed: failed.id!, delayed: delayed.id!, scheduler };
}

/** Everything an admin change could touch: the keys, the queries and the fetch queue. */
async function adminState() {
  const read = async (url: string) => (await send('GET', url, {})).json<unknown>();
  const jobs = await queue.getJobs(['waiting', 'delayed', 'failed', 'completed', 'active', 'prioritized', 'waiting-children']);
  const jobViews = await Promise.all(
    jobs.map(async (job) => ({ id: job.id, data: job.data, priority: job.priority, delay: job.delay, attempts: job.attemptsMade, state: await job.getState() })),
  );
  return {
    keys: await read('/admin/keys'),
    queries: await read('/admin/queries'),
    meta: await queue.getMeta(),
    paused: await queue.isPaused(),
    counts: await queue.getJobCounts(),
    jobs: jobViews.sort((a, b) => String(a.id).localeCompare(String(b.id))),
    schedulers: await queue.getJobSchedulers(0, -1),
    concurrency: await queue.getGlobalConcurrency(),
    rateLimit: await queue.getGlobalRateLimit(),
  };
}

/** A concrete request for a route: its parameters filled in, and a body that would change something. */
function requestFor(route: Route, ids: { key: number; query: number; failed: string; delayed: string; scheduler: string }) {
  const url = route.url
    .replace(':queueName', FETCH_QUEUE)
    .replace(':queueStatus', 'failed')
    .replace(':schedulerId', ids.scheduler)
    .replace(':jobId', route.url.endsWith('/:jobId/promote') || route.url.endsWith('/delay') ? ids.delayed : ids.failed)
    .replace(':id', String(route.url.startsWith('/admin/keys') ? ids.key : ids.query))
    .replace('*', 'any');
  const bodies: Array<[RegExp, object]> = [
    [/^POST \/admin\/keys$/, { key: sim.addKey(), label: 'from elsewhere' }],
    [/^PATCH \/admin\/keys\/:id$/, { enabled: false, label: 'from elsewhere' }],
    [/^POST \/admin\/queries$/, { text: 'cross site probe' }],
    [/\/add$/, { name: 'fetch', data: { queryId: 904, query: 'added' } }],
    [/\/update-data$/, { jobData: { queryId: 905, query: 'changed' } }],
    [/\/delay$/, { runAt: Date.now() + 60_000 }],
    [/\/priority$/, { priority: 7 }],
    [/\/concurrency$/, { concurrency: 3 }],
    [/\/rate-limit$/, { max: 5, duration: 1000 }],
    [/\/obliterate$/, { force: true }],
    [/^PATCH .*\/job-schedulers\/:schedulerId$/, { every: 120_000 }],
  ];
  const body = bodies.find(([pattern]) => pattern.test(`${route.method} ${route.url}`))?.[1];
  return { url, body };
}

describe('state-changing admin requests', () => {
  it('from another site are refused with 403 on every route, Bull Board included, and change nothing', async () => {
    const seeded = await seedQueue();
    const followed = await send('POST', '/admin/queries', {}, { text: 'kept query' });
    const key = (await send('GET', '/admin/keys', {})).json<{ keys: Array<{ id: number }> }>().keys[0]!.id;
    const ids = { key, query: followed.json<{ id: number }>().id, ...seeded };
    const routes = routesOf(api.app).filter((route) => isAdmin(route.url) && !SAFE.has(route.method));
    // The enumeration found the routes we know of (so a parse failure cannot pass as "nothing to check").
    const names = routes.map((route) => `${route.method} ${route.url}`);
    for (const known of [
      'POST /admin/keys',
      'PATCH /admin/keys/:id',
      'DELETE /admin/keys/:id',
      'POST /admin/queries',
      'DELETE /admin/queries/:id',
      'PUT /admin/queues/api/queues/pause',
      'PUT /admin/queues/api/queues/:queueName/pause',
      'PUT /admin/queues/api/queues/:queueName/retry/:queueStatus',
      'PUT /admin/queues/api/queues/:queueName/clean/:queueStatus',
      'PUT /admin/queues/api/queues/:queueName/empty',
      'PUT /admin/queues/api/queues/:queueName/:jobId/remove-unprocessed-children',
      'POST /admin/queues/api/queues/:queueName/add',
    ]) {
      expect(names).toContain(known);
    }
    expect(routes.length).toBeGreaterThan(25);

    const before = await adminState();
    expect(before.paused).toBe(false);
    // The scheduler's next run is a delayed job too.
    expect(before.counts).toMatchObject({ waiting: 1, delayed: 2, failed: 1 });
    expect(before.schedulers).toHaveLength(1);
    for (const route of routes) {
      const { url, body } = requestFor(route, ids);
      for (const [evidence, headers] of Object.entries(CROSS_SITE)) {
        const response = await send(route.method, url, headers, body);
        const where = `${route.method} ${route.url} with ${evidence}`;
        expect(response.statusCode, where).toBe(403);
        expect(response.headers['content-type'], where).toBe('application/json; charset=utf-8');
        expect(response.json(), where).toEqual({ isError: true, message: expect.stringMatching(REFUSED) as unknown });
      }
    }
    expect(await adminState()).toEqual(before);

    // The same requests from this origin, or from a client that is not a browser, get the
    // route's own answer (whatever it is: this loop pauses, empties and obliterates the queue).
    for (const route of routes) {
      const { url, body } = requestFor(route, ids);
      for (const [evidence, headers] of Object.entries(ALLOWED)) {
        const response = await send(route.method, url, headers, body);
        const where = `${route.method} ${route.url} with ${evidence}: ${response.body}`;
        expect(response.statusCode, where).not.toBe(403);
        expect(response.body, where).not.toMatch(/Cross-site admin request refused/);
      }
    }
    expect(await adminState()).not.toEqual(before);
  });

  it('pausing the queue through Bull Board: refused from another site, done from this origin and by curl', async () => {
    const pause = (headers: Record<string, string>) => send('PUT', `/admin/queues/api/queues/${FETCH_QUEUE}/pause`, headers);
    const resume = (headers: Record<string, string>) => send('PUT', `/admin/queues/api/queues/${FETCH_QUEUE}/resume`, headers);
    await queue.resume();
    for (const headers of Object.values(CROSS_SITE)) {
      expect((await pause(headers)).statusCode).toBe(403);
      expect(await queue.isPaused()).toBe(false);
    }
    // What Bull Board's own page sends (a fetch from this origin).
    expect((await pause({ 'sec-fetch-site': 'same-origin', origin: SAME_ORIGIN })).statusCode).toBe(200);
    expect(await queue.isPaused()).toBe(true);
    for (const headers of Object.values(CROSS_SITE)) {
      expect((await resume(headers)).statusCode).toBe(403);
      expect(await queue.isPaused()).toBe(true);
    }
    expect((await resume({})).statusCode).toBe(200);
    expect(await queue.isPaused()).toBe(false);
  });

  it('following a query: refused from another site, done from this origin', async () => {
    const texts = async () => (await send('GET', '/admin/queries', {})).json<{ queries: Array<{ text: string }> }>().queries.map((q) => q.text);
    const follow = (headers: Record<string, string>) => send('POST', '/admin/queries', headers, { text: 'origin check' });
    for (const headers of Object.values(CROSS_SITE)) expect((await follow(headers)).statusCode).toBe(403);
    expect(await texts()).not.toContain('origin check');
    expect((await follow({ origin: SAME_ORIGIN })).statusCode).toBe(201);
    expect(await texts()).toContain('origin check');
  });

  it('are refused before the credentials are checked: no login prompt, and no failed login counted', async () => {
    const probe = (headers: Record<string, string>) =>
      api.app.inject({ method: 'DELETE', url: '/admin/queries/4000000000', headers: { host: HOST, origin: 'https://evil.example', ...headers } });
    const anonymous = await probe({});
    expect(anonymous.statusCode).toBe(403);
    expect(anonymous.headers['www-authenticate']).toBeUndefined();
    expect(anonymous.json<{ message: string }>().message).toMatch(REFUSED);
    // More wrong passwords than the lockout allows (10): none of them counts.
    for (let i = 0; i < 12; i++) expect((await probe({ authorization: basic(USER, 'wrong') })).statusCode).toBe(403);
    expect((await send('GET', '/admin/keys', {})).statusCode).toBe(200);
  });

  it('say why they are refused', async () => {
    const why = async (headers: Record<string, string>) =>
      (await api.app.inject({ method: 'DELETE', url: '/admin/queries/4000000000', headers: { host: HOST, authorization: RIGHT, ...headers } })).json<{
        message: string;
      }>().message;
    const tail = "admin changes are taken only from this server's own pages, or from clients that send neither Origin nor Sec-Fetch-Site.";
    expect(await why({ origin: 'https://Evil.example:443' })).toBe(
      `Cross-site admin request refused: Origin https://evil.example is not this server's origin (http://admin.test:3000); ${tail}`,
    );
    expect(await why({ 'sec-fetch-site': 'cross-site' })).toBe(`Cross-site admin request refused: Sec-Fetch-Site is cross-site; ${tail}`);
    expect(await why({ 'sec-fetch-site': 'same-site' })).toBe(`Cross-site admin request refused: Sec-Fetch-Site is same-site; ${tail}`);
    expect(await why({ origin: 'null' })).toBe(`Cross-site admin request refused: Origin is null (a sandboxed or opaque page); ${tail}`);
    expect(await why({ origin: 'not an origin' })).toBe(`Cross-site admin request refused: Origin is not a valid origin; ${tail}`);
  });

  it('compare scheme, host and port after normalising default ports', async () => {
    const status = async (host: string, headers: Record<string, string>) =>
      (await api.app.inject({ method: 'DELETE', url: '/admin/queries/4000000000', headers: { host, authorization: RIGHT, ...headers } })).statusCode;
    // 404: allowed through to the route, which has no such query.
    expect(await status('admin.test', { origin: 'http://admin.test' })).toBe(404);
    expect(await status('admin.test:80', { origin: 'http://admin.test' })).toBe(404);
    expect(await status('Admin.Test', { origin: 'HTTP://admin.test:80' })).toBe(404);
    expect(await status('[::1]:3000', { origin: 'http://[::1]:3000' })).toBe(404);
    expect(await status('admin.test', { origin: 'https://admin.test' })).toBe(403);
    expect(await status('admin.test:3000', { origin: 'http://admin.test:3001' })).toBe(403);
    expect(await status('admin.test', { origin: 'http://admin.test.evil.example' })).toBe(403);
    expect(await status('admin.test', { origin: 'http://sub.admin.test' })).toBe(403);
    // Sec-Fetch-Site decides when present: `none` is the operator's own navigation, and
    // `same-origin` the browser's own comparison (with the address the operator sees, which a
    // proxy rewriting Host can hide from the server).
    expect(await status('admin.test', { 'sec-fetch-site': 'none' })).toBe(404);
    expect(await status('api:3000', { 'sec-fetch-site': 'same-origin', origin: 'https://admin.example.com' })).toBe(404);
    expect(await status('admin.test', { 'sec-fetch-site': 'cross-site', origin: 'http://admin.test' })).toBe(403);
    expect(await status('admin.test', { 'sec-fetch-site': 'something-else' })).toBe(403);
  });

  it('GET and HEAD are never refused, and change nothing', async () => {
    const before = await adminState();
    const reads = routesOf(api.app).filter((route) => isAdmin(route.url) && (route.method === 'GET' || route.method === 'HEAD'));
    expect(reads.length).toBeGreaterThan(10);
    for (const route of reads) {
      const url = route.url.replace(':queueName', FETCH_QUEUE).replace(/:[A-Za-z]+/g, '1').replace('*', 'index.html');
      for (const headers of Object.values(CROSS_SITE)) {
        const response = await send(route.method, url, headers);
        expect(response.statusCode, `${route.method} ${url}`).not.toBe(403);
      }
    }
    expect(await adminState()).toEqual(before);
  });
});

describe('behind a trusted proxy', () => {
  it("compare the Origin with the forwarded scheme and host, and only a trusted proxy's", async () => {
    const proxied = await apis.start({ TRUST_PROXY: '10.0.0.0/8', YOUTUBE_API_KEYS: sim.apiKeys()[0]!, YOUTUBE_API_ROOT: `${simUrl}/` });
    const forwarded = { host: 'api:3000', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'admin.example.com' };
    const status = async (remoteAddress: string, origin: string) =>
      (
        await proxied.app.inject({
          method: 'DELETE',
          url: '/admin/queries/4000000000',
          remoteAddress,
          headers: { authorization: RIGHT, origin, ...forwarded },
        })
      ).statusCode;
    expect(await status('10.1.2.3', 'https://admin.example.com')).toBe(404);
    expect(await status('10.1.2.3', 'https://admin.example.com:443')).toBe(404);
    expect(await status('10.1.2.3', 'http://api:3000')).toBe(403);
    expect(await status('10.1.2.3', 'http://admin.example.com')).toBe(403);
    // From a peer that is not a trusted proxy, X-Forwarded-* says nothing: Host decides.
    expect(await status('203.0.113.9', 'https://admin.example.com')).toBe(403);
    expect(await status('203.0.113.9', 'http://api:3000')).toBe(404);
  });
});
