// Quota arithmetic, the Pacific-midnight reset and the key error bodies, through the real client.
import { afterEach, describe, expect, it } from 'vitest';
import { createYoutubeSimulator } from './index.js';
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

describe('quota', () => {
  it('charges 100 units per search, also when the parameters are rejected, and 1 per videos.list', async () => {
    const sim = await start();
    await searchOnce(sim);
    expect(sim.sim.quota()[0]).toMatchObject({ used: 100, remaining: 9_900 });
    await failure(sim.client().search.list({ part: ['snippet'], q: 'otter', maxResults: 99 }, { retry: false }));
    expect((await rawGet(sim.baseUrl, `/youtube/v3/search?q=otter&key=${sim.key}`)).status).toBe(400);
    await sim.client().videos.list({ part: ['id'], id: ['nope'] }, { retry: false });
    expect(sim.sim.quota()[0]).toMatchObject({ used: 301, remaining: 9_699 });
    expect(sim.sim.quota()[1]).toMatchObject({ used: 0, remaining: 10_000 });
    expect(sim.sim.calls().map((c) => [c.endpoint, c.status, c.reason, c.units, c.keyIndex])).toEqual([
      ['search.list', 200, null, 100, 0],
      ['search.list', 400, 'invalidParameter', 100, 0],
      ['search.list', 400, 'required', 100, 0],
      ['videos.list', 200, null, 1, 0],
    ]);
  });

  it('refuses the call that would exceed the quota with the real 403 body, free of charge', async () => {
    const sim = await start({ dailyQuota: 250 });
    await searchOnce(sim);
    await searchOnce(sim);
    const refused = await failure(searchOnce(sim));
    expect(refused).toEqual({ status: 403, data: QUOTA_BODY });
    expect(sim.sim.quota()[0]).toMatchObject({ used: 200, remaining: 50, dailyQuota: 250 });
    // 50 units are left: a 1-unit call still fits.
    await sim.client().videos.list({ part: ['id'], id: ['nope'] }, { retry: false });
    expect(sim.sim.quota()[0]).toMatchObject({ used: 201 });
    expect(sim.sim.calls()[2]).toMatchObject({ status: 403, reason: 'quotaExceeded', units: 0 });
    // Another key of its own project is unaffected.
    await searchOnce(sim, sim.sim.apiKeys()[1]);
  });

  it('shares one quota between keys of the same project, and can answer with the legacy body', async () => {
    const sim = await start({ keys: [{ key: 'sim-a', project: 'shared', dailyQuota: 100 }, { key: 'sim-b', project: 'shared' }] });
    await searchOnce(sim, 'sim-a');
    expect((await failure(searchOnce(sim, 'sim-b'))).data).toEqual(QUOTA_BODY);
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

  it('resets exactly at midnight Pacific time, also across the spring DST change', async () => {
    // 2024-03-10 is 23 hours long in Los Angeles: it starts 08:00Z (PST) and ends 07:00Z (PDT).
    const sim = await start({ clock: '2024-03-10T07:59:59.999Z', dailyQuota: 100 });
    expect(sim.sim.quota()[0]).toMatchObject({ dayKey: '2024-03-09', resetAt: '2024-03-10T08:00:00.000Z' });
    await searchOnce(sim);
    expect((await failure(searchOnce(sim))).status).toBe(403);

    sim.sim.setTime('2024-03-10T08:00:00.000Z');
    expect(sim.sim.quota()[0]).toMatchObject({ used: 0, dayKey: '2024-03-10', resetAt: '2024-03-11T07:00:00.000Z' });
    await searchOnce(sim);
    sim.sim.setTime('2024-03-11T06:59:59.999Z');
    expect((await failure(searchOnce(sim))).data).toEqual(QUOTA_BODY);
    sim.sim.setTime('2024-03-11T07:00:00.000Z');
    await searchOnce(sim);
    expect(sim.sim.quota()[0]).toMatchObject({ used: 100, dayKey: '2024-03-11', resetAt: '2024-03-12T07:00:00.000Z' });
  });

  it('resets at 08:00Z in winter, not at UTC midnight', async () => {
    const sim = await start({ clock: '2024-01-15T23:59:59.000Z', dailyQuota: 100 });
    await searchOnce(sim);
    sim.sim.advance(1_000); // UTC midnight: still the same Pacific day
    expect((await failure(searchOnce(sim))).status).toBe(403);
    sim.sim.setTime('2024-01-16T08:00:00.000Z');
    await searchOnce(sim);
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
    expect(sim.sim.quota().map((k) => k.used)).toEqual([0, 0, 0]);
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
