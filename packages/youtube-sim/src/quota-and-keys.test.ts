// The three quota buckets per project, what each call costs, the Pacific-midnight reset and the
// key error bodies, through the real client.
import { afterEach, describe, expect, it } from 'vitest';
import { createYoutubeSimulator, METHOD_QUOTA, quotaBucketOf, SEARCH_COST, VIDEOS_COST } from './index.js';
import { failure, rawGet, startSim, type SimHarness } from './testing/sim-harness.js';

const QUOTA_MESSAGE = 'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.';
const QUOTA_BODY = {
  error: { code: 403, message: QUOTA_MESSAGE, errors: [{ message: QUOTA_MESSAGE, domain: 'youtube.quota', reason: 'quotaExceeded' }] },
};

let h: SimHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(options: Parameters<typeof startSim>[0] = {}): Promise<SimHarness> {
  h = await startSim({ publishIntervalMs: 60_000, historyMs: 3_600_000, ...options });
  return h;
}

const searchOnce = (harness: SimHarness, key?: string) =>
  harness.client(key).search.list({ part: ['snippet'], q: 'otter', type: ['video'], order: 'date', maxResults: 50 }, { retry: false });

describe('quota buckets', () => {
  it('charges a search 1 call of the search bucket, also when rejected, and videos.list 1 unit of the units bucket', async () => {
    const sim = await start();
    await searchOnce(sim);
    expect(sim.sim.quota()[0]).toMatchObject({
      search: { limit: 100, used: 1, remaining: 99 },
      units: { limit: 10_000, used: 0, remaining: 10_000 },
      insert: { limit: 100, used: 0, remaining: 100 },
    });
    await failure(sim.client().search.list({ part: ['snippet'], q: 'otter', maxResults: 99 }, { retry: false }));
    expect((await rawGet(sim.baseUrl, `/youtube/v3/search?q=otter&key=${sim.key}`)).status).toBe(400);
    await sim.client().videos.list({ part: ['id'], id: ['nope'] }, { retry: false });
    await failure(sim.client().videos.list({ part: ['id'] }, { retry: false }));
    expect(sim.sim.quota()[0]).toMatchObject({ search: { used: 3, remaining: 97 }, units: { used: 2, remaining: 9_998 } });
    expect(sim.sim.quota()[1]).toMatchObject({ search: { used: 0 }, units: { used: 0 } });
    expect(sim.sim.calls().map((c) => [c.endpoint, c.status, c.reason, c.bucket, c.units, c.keyIndex])).toEqual([
      ['search.list', 200, null, 'search', 1, 0],
      ['search.list', 400, 'invalidParameter', 'search', 1, 0],
      ['search.list', 400, 'required', 'search', 1, 0],
      ['videos.list', 200, null, 'units', 1, 0],
      ['videos.list', 400, 'missingRequiredParameter', 'units', 1, 0],
    ]);
  });

  it('names each method\'s bucket and price', () => {
    expect([SEARCH_COST, VIDEOS_COST]).toEqual([1, 1]);
    expect(METHOD_QUOTA).toEqual({
      'search.list': { bucket: 'search', cost: 1 },
      'videos.list': { bucket: 'units', cost: 1 },
      'channels.list': { bucket: 'units', cost: 1 },
      'playlistItems.list': { bucket: 'units', cost: 1 },
      'videos.insert': { bucket: 'insert', cost: 1 },
    });
    expect(['search.list', 'videos.list', 'videos.insert', 'channels.list', 'playlistItems.list'].map(quotaBucketOf)).toEqual([
      'search',
      'units',
      'insert',
      'units',
      'units',
    ]);
  });

  it('answers the 101st search of the day with quotaExceeded while videos.list still answers, free of charge', async () => {
    const sim = await start();
    sim.sim.setQuotaUsed(0, { searchCalls: 99 });
    await searchOnce(sim);
    expect(await failure(searchOnce(sim))).toEqual({ status: 403, data: QUOTA_BODY });
    expect(sim.sim.quota()[0]).toMatchObject({ search: { limit: 100, used: 100, remaining: 0 }, units: { used: 0 } });
    const videos = await sim.client().videos.list({ part: ['id'], id: ['nope'] }, { retry: false });
    expect(videos.status).toBe(200);
    expect(sim.sim.quota()[0]).toMatchObject({ search: { used: 100 }, units: { used: 1 } });
    expect(sim.sim.calls().map((c) => [c.endpoint, c.status, c.reason, c.bucket, c.units])).toEqual([
      ['search.list', 200, null, 'search', 1],
      ['search.list', 403, 'quotaExceeded', null, 0],
      ['videos.list', 200, null, 'units', 1],
    ]);
    // Another key of its own project is unaffected.
    expect((await searchOnce(sim, sim.sim.apiKeys()[1])).status).toBe(200);
  });

  it('answers videos.list with quotaExceeded once the units bucket is full, while search still answers', async () => {
    const sim = await start({ unitsPerDay: 3 });
    for (let i = 0; i < 3; i++) await sim.client().videos.list({ part: ['id'], id: ['nope'] }, { retry: false });
    expect(await failure(sim.client().videos.list({ part: ['id'], id: ['nope'] }, { retry: false }))).toEqual({ status: 403, data: QUOTA_BODY });
    expect((await searchOnce(sim)).status).toBe(200);
    expect(sim.sim.quota()[0]).toMatchObject({ search: { used: 1 }, units: { limit: 3, used: 3, remaining: 0 } });
  });

  it('takes bucket sizes from the simulator options, per key spec, setQuota and updateKey', async () => {
    const sim = await start({
      searchCallsPerDay: 5,
      unitsPerDay: 50,
      insertCallsPerDay: 7,
      keys: [{}, { project: 'big', searchCallsPerDay: 1_000, unitsPerDay: 100_000 }],
    });
    expect(sim.sim.quota().map((k) => [k.search.limit, k.units.limit, k.insert.limit])).toEqual([
      [5, 50, 7],
      [1_000, 100_000, 7],
    ]);
    expect(sim.sim.setQuota(0, { searchCallsPerDay: 2 })).toMatchObject({ search: { limit: 2 }, units: { limit: 50 } });
    expect(sim.sim.setQuota(0, { unitsPerDay: 9 })).toMatchObject({ search: { limit: 2 }, units: { limit: 9 } });
    expect(sim.sim.setQuotaUsed(0, { searchCalls: 1, units: 4 })).toMatchObject({ search: { used: 1, remaining: 1 }, units: { used: 4, remaining: 5 } });
    expect(sim.sim.setQuotaUsed(0, { units: 5 })).toMatchObject({ search: { used: 1 }, units: { used: 5 } });
    expect(
      sim.sim.updateKey(0, { searchCallsUsed: 0, unitsUsed: 0, insertCallsUsed: 3, searchCallsPerDay: 4, unitsPerDay: 40, insertCallsPerDay: 8 }),
    ).toMatchObject({ search: { limit: 4, used: 0 }, units: { limit: 40, used: 0 }, insert: { limit: 8, used: 3, remaining: 5 } });
    // A bad field leaves the whole patch unapplied.
    expect(() => sim.sim.updateKey(0, { searchCallsUsed: 2, unitsPerDay: -1 })).toThrow(RangeError);
    expect(() => sim.sim.setQuotaUsed(0, { searchCalls: 1.5 })).toThrow(RangeError);
    // The single-pool forms, from code without types, fail loudly rather than do nothing.
    expect(() => sim.sim.setQuotaUsed(0, 100 as never)).toThrow(TypeError);
    expect(() => sim.sim.setQuota(0, 100 as never)).toThrow(TypeError);
    expect(sim.sim.quota()[0]).toMatchObject({ search: { used: 0 }, units: { limit: 40 } });
    expect(() => createYoutubeSimulator({ searchCallsPerDay: -1 })).toThrow(RangeError);
  });

  it('shares all three buckets between keys of the same project, and can answer with the legacy body', async () => {
    const sim = await start({ keys: [{ key: 'sim-a', project: 'shared', searchCallsPerDay: 1, unitsPerDay: 1 }, { key: 'sim-b', project: 'shared' }] });
    await searchOnce(sim, 'sim-a');
    await sim.client('sim-b').videos.list({ part: ['id'], id: ['nope'] }, { retry: false });
    expect(sim.sim.quota().map((k) => [k.project, k.search.used, k.units.used])).toEqual([
      ['shared', 1, 1],
      ['shared', 1, 1],
    ]);
    expect((await failure(searchOnce(sim, 'sim-b'))).data).toEqual(QUOTA_BODY);
    expect((await failure(sim.client('sim-a').videos.list({ part: ['id'], id: ['x'] }, { retry: false }))).data).toEqual(QUOTA_BODY);
    sim.sim.updateKey('sim-b', { legacyQuotaBody: true });
    const number = sim.sim.quota()[1]!.projectNumber;
    const message =
      'Daily Limit Exceeded. The quota will be reset at midnight Pacific Time (PT). You may monitor your quota usage and adjust limits in the API Console: ' +
      `https://console.developers.google.com/apis/api/youtube.googleapis.com/quotas?project=${number}`;
    expect(await failure(searchOnce(sim, 'sim-b'))).toEqual({
      status: 403,
      data: { error: { code: 403, message, errors: [{ message, domain: 'usageLimits', reason: 'dailyLimitExceeded' }] } },
    });
  });

  it('empties every bucket exactly at midnight Pacific time, also across the spring DST change', async () => {
    // 2024-03-10 is 23 hours long in Los Angeles: it starts 08:00Z (PST) and ends 07:00Z (PDT).
    const sim = await start({ clock: '2024-03-10T07:59:59.999Z', searchCallsPerDay: 1, unitsPerDay: 1 });
    expect(sim.sim.quota()[0]).toMatchObject({ dayKey: '2024-03-09', resetAt: '2024-03-10T08:00:00.000Z' });
    await searchOnce(sim);
    await sim.client().videos.list({ part: ['id'], id: ['x'] }, { retry: false });
    expect((await failure(searchOnce(sim))).status).toBe(403);

    sim.sim.setTime('2024-03-10T08:00:00.000Z');
    expect(sim.sim.quota()[0]).toMatchObject({ search: { used: 0 }, units: { used: 0 }, dayKey: '2024-03-10', resetAt: '2024-03-11T07:00:00.000Z' });
    await searchOnce(sim);
    sim.sim.setTime('2024-03-11T06:59:59.999Z');
    expect((await failure(searchOnce(sim))).data).toEqual(QUOTA_BODY);
    sim.sim.setTime('2024-03-11T07:00:00.000Z');
    await searchOnce(sim);
    expect(sim.sim.quota()[0]).toMatchObject({ search: { used: 1 }, dayKey: '2024-03-11', resetAt: '2024-03-12T07:00:00.000Z' });
  });

  it('empties at 08:00Z in winter, not at UTC midnight, and 25 hours apart across the autumn change', async () => {
    const sim = await start({ clock: '2024-01-15T23:59:59.000Z', searchCallsPerDay: 1 });
    await searchOnce(sim);
    sim.sim.advance(1_000); // UTC midnight: still the same Pacific day
    expect((await failure(searchOnce(sim))).status).toBe(403);
    sim.sim.setTime('2024-01-16T08:00:00.000Z');
    await searchOnce(sim);
    await sim.close();

    // 2024-11-03 is 25 hours long in Los Angeles: 07:00Z (PDT) to 08:00Z the next day (PST).
    const autumn = await start({ clock: '2024-11-03T07:00:00.000Z', searchCallsPerDay: 1 });
    expect(autumn.sim.quota()[0]).toMatchObject({ dayKey: '2024-11-03', resetAt: '2024-11-04T08:00:00.000Z' });
    await searchOnce(autumn);
    autumn.sim.setTime('2024-11-04T07:59:59.999Z');
    expect((await failure(searchOnce(autumn))).status).toBe(403);
    autumn.sim.setTime('2024-11-04T08:00:00.000Z');
    expect((await searchOnce(autumn)).status).toBe(200);
  });
});

describe('what a call costs', () => {
  const costs = (harness: SimHarness) => harness.sim.calls().map((c) => [c.status, c.reason, c.bucket, c.units]);

  it('charges injected 5xx and rate limits, and nothing for a missing or unknown key or a refused key', async () => {
    const sim = await start();
    sim.sim.setFaults({ failNext: [{ status: 503 }, { status: 429 }, { body: 'invalidParameter' }, { body: 'unknown400' }] });
    for (let i = 0; i < 4; i++) await failure(searchOnce(sim));
    expect(sim.sim.quota()[0]!.search.used).toBe(4);
    await failure(searchOnce(sim, 'sim-unknown-key'));
    expect((await rawGet(sim.baseUrl, '/youtube/v3/search?part=snippet&q=otter')).status).toBe(403);
    for (const state of ['blocked', 'notConfigured', 'expired', 'refererBlocked'] as const) {
      sim.sim.updateKey(1, { state });
      await failure(searchOnce(sim, sim.sim.apiKeys()[1]));
    }
    expect(sim.sim.quota().map((k) => k.search.used)).toEqual([4, 0, 0]);
    expect(costs(sim)).toEqual([
      [503, 'backendError', 'search', 1],
      [429, 'rateLimitExceeded', 'search', 1],
      [400, 'invalidParameter', 'search', 1],
      [400, 'somethingNew', 'search', 1],
      [400, 'badRequest', null, 0],
      [403, 'forbidden', null, 0],
      [403, 'forbidden', null, 0],
      [403, 'accessNotConfigured', null, 0],
      [400, 'badRequest', null, 0],
      [403, 'forbidden', null, 0],
    ]);
  });

  it('charges nothing for an injected quota or key body', async () => {
    const sim = await start();
    sim.sim.setFaults({ failNext: [{ body: 'quotaExceeded' }, { body: 'keyExpired' }, { body: 'dailyLimitExceeded' }] });
    for (let i = 0; i < 3; i++) await failure(searchOnce(sim));
    expect(sim.sim.quota()[0]!.search.used).toBe(0);
    expect(costs(sim)).toEqual([
      [403, 'quotaExceeded', null, 0],
      [400, 'badRequest', null, 0],
      [403, 'dailyLimitExceeded', null, 0],
    ]);
  });
});

describe('API keys', () => {
  it('answers an unknown key with the real API_KEY_INVALID body, and costs nothing', async () => {
    const sim = await start();
    const message = 'API key not valid. Please pass a valid API key.';
    expect(await failure(searchOnce(sim, 'sim-not-a-key'))).toEqual({
      status: 400,
      data: {
        error: {
          code: 400,
          message,
          errors: [{ message, domain: 'global', reason: 'badRequest' }],
          status: 'INVALID_ARGUMENT',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'API_KEY_INVALID',
              domain: 'googleapis.com',
              metadata: { service: 'youtube.googleapis.com' },
            },
            { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
          ],
        },
      },
    });
    expect(sim.sim.calls()[0]).toMatchObject({ key: 'sim-…-key', keyIndex: null, units: 0, status: 400 });
  });

  it('answers a missing key with 403 PERMISSION_DENIED', async () => {
    const sim = await start();
    const message = 'The request is missing a valid API key.';
    expect(await rawGet(sim.baseUrl, '/youtube/v3/search?part=snippet&q=otter')).toEqual({
      status: 403,
      body: { error: { code: 403, message, errors: [{ message, domain: 'global', reason: 'forbidden' }], status: 'PERMISSION_DENIED' } },
    });
  });

  it('reproduces the blocked and API-not-enabled bodies', async () => {
    const sim = await start();
    const [, blocked, disabled] = sim.sim.apiKeys();
    sim.sim.updateKey(1, { state: 'blocked' });
    sim.sim.updateKey(disabled!, { state: 'notConfigured' });
    const blockedNumber = sim.sim.quota()[1]!.projectNumber;
    const disabledNumber = sim.sim.quota()[2]!.projectNumber;

    const method = 'youtube.api.v3.V3DataSearchService.List';
    const blockedMessage = `Requests to this API youtube.googleapis.com method ${method} are blocked.`;
    expect(await failure(searchOnce(sim, blocked))).toEqual({
      status: 403,
      data: {
        error: {
          code: 403,
          message: blockedMessage,
          errors: [{ message: blockedMessage, domain: 'global', reason: 'forbidden' }],
          status: 'PERMISSION_DENIED',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'API_KEY_SERVICE_BLOCKED',
              domain: 'googleapis.com',
              metadata: { methodName: method, service: 'youtube.googleapis.com', consumer: `projects/${blockedNumber}`, apiName: 'youtube.googleapis.com' },
            },
            { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: blockedMessage },
          ],
        },
      },
    });

    const url = `https://console.developers.google.com/apis/api/youtube.googleapis.com/overview?project=${disabledNumber}`;
    const disabledMessage =
      `YouTube Data API v3 has not been used in project ${disabledNumber} before or it is disabled. Enable it by visiting ${url} ` +
      'then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.';
    expect(await failure(searchOnce(sim, disabled))).toEqual({
      status: 403,
      data: {
        error: {
          code: 403,
          message: disabledMessage,
          errors: [{ message: disabledMessage, domain: 'usageLimits', reason: 'accessNotConfigured', extendedHelp: 'https://console.developers.google.com' }],
          status: 'PERMISSION_DENIED',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'SERVICE_DISABLED',
              domain: 'googleapis.com',
              metadata: {
                consumer: `projects/${disabledNumber}`,
                service: 'youtube.googleapis.com',
                serviceTitle: 'YouTube Data API v3',
                activationUrl: url,
                containerInfo: disabledNumber,
              },
            },
            { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: disabledMessage },
            { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Google developers console API activation', url }] },
          ],
        },
      },
    });
    expect(disabledNumber).toMatch(/^\d{12}$/);
    expect(sim.sim.quota().map((k) => [k.search.used, k.units.used])).toEqual([[0, 0], [0, 0], [0, 0]]);
  });

  it('generates sim- keys that never look like Google keys, the same for the same seed', () => {
    const a = createYoutubeSimulator({ seed: 7 }).apiKeys();
    const b = createYoutubeSimulator({ seed: 7 }).apiKeys();
    const c = createYoutubeSimulator({ seed: 8 }).apiKeys();
    expect(a).toHaveLength(3);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    for (const key of [...a, ...c]) {
      expect(key).toMatch(/^sim-[0-9a-z]{20}$/);
      expect(key).not.toMatch(/AIza[0-9A-Za-z_-]{35}/);
    }
    expect(new Set(a).size).toBe(3);
  });
});
