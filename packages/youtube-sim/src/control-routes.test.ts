// The /__sim control API over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, T0, type SimHarness } from './testing/sim-harness.js';

let h: SimHarness;
beforeAll(async () => {
  h = await startSim({ publishIntervalMs: 60_000, historyMs: 3_600_000 });
});
afterAll(() => h.close());

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${h.baseUrl}/__sim${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

describe('control API', () => {
  it('lists calls without keys, and clears them', async () => {
    const { data } = await h.client().search.list({ part: ['snippet'], q: 'ibis', maxResults: 3 }, { retry: false });
    const { body } = await call('GET', '/calls');
    expect(body).toEqual({
      calls: [
        {
          seq: 1,
          at: T0,
          endpoint: 'search.list',
          params: { part: 'snippet', q: 'ibis', maxResults: '3' },
          key: `sim-…${h.key.slice(-4)}`,
          keyIndex: 0,
          status: 200,
          reason: null,
          bucket: 'search',
          units: 1,
          results: 3,
          videoIds: data.items!.map((item) => item.id!.videoId),
        },
      ],
    });
    expect(JSON.stringify(body)).not.toContain(h.key);
    expect((await call('DELETE', '/calls')).status).toBe(204);
    expect((await call('GET', '/calls')).body).toEqual({ calls: [] });
  });

  it('serves ground truth with bounds', async () => {
    const all = (await call('GET', '/videos?q=ibis')).body as { total: number; videos: { publishedAt: string; indexed: boolean }[] };
    expect(all.total).toBe(h.sim.groundTruth('ibis').length);
    const cutoff = all.videos[5]!.publishedAt;
    const recent = (await call('GET', `/videos?q=ibis&publishedAfter=${cutoff}`)).body as { total: number };
    expect(recent.total).toBe(6);
    expect((await call('GET', '/videos?q=ibis&publishedAfter=yesterday')).status).toBe(400);
  });

  it('adds and patches keys, and reports the three buckets of their projects', async () => {
    const added = await call('POST', '/keys', { key: 'sim-extra-key', project: 'extra', searchCallsPerDay: 50, unitsPerDay: 500 });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({
      key: 'sim-extra-key',
      index: 3,
      project: 'extra',
      projectNumber: expect.stringMatching(/^\d{12}$/) as unknown,
      state: 'ok',
      legacyQuotaBody: false,
      search: { limit: 50, used: 0, remaining: 50 },
      units: { limit: 500, used: 0, remaining: 500 },
      insert: { limit: 100, used: 0, remaining: 100 },
      dayKey: '2024-06-01',
      resetAt: '2024-06-02T07:00:00.000Z',
    });
    const patched = await call('PATCH', '/keys/3', { searchCallsUsed: 45, unitsUsed: 450, state: 'expired' });
    expect(patched.body).toMatchObject({ key: 'sim-…-key', search: { used: 45, remaining: 5 }, units: { used: 450, remaining: 50 }, state: 'expired' });
    expect((await call('PATCH', '/keys/sim-extra-key', { searchCallsPerDay: 100, unitsPerDay: 1_000, insertCallsPerDay: 0 })).body).toMatchObject({
      search: { limit: 100, remaining: 55 },
      units: { limit: 1_000, remaining: 550 },
      insert: { limit: 0, remaining: 0 },
    });
    expect((await call('PATCH', '/keys/sim-unknown', { state: 'ok' })).status).toBe(404);
    expect((await call('PATCH', '/keys/3', { state: 'broken' })).status).toBe(400);
    // The single pool is gone: its fields are refused, not ignored.
    expect((await call('PATCH', '/keys/3', { dailyQuota: 1_000 })).status).toBe(400);
    expect((await call('PATCH', '/keys/3', { quotaUsed: 1 })).status).toBe(400);
    expect((await call('POST', '/keys', { dailyQuota: 1_000 })).status).toBe(400);
    expect((await call('PATCH', '/keys/3', { unitsUsed: -1 })).status).toBe(400);
    for (const state of ['refererBlocked', 'ipBlocked', 'invalidLegacy', 'refererBlockedNoErrors', 'ok']) {
      expect((await call('PATCH', '/keys/3', { state })).body).toMatchObject({ state });
    }
    const quota = (await call('GET', '/quota')).body as { now: string; keys: { key: string; resetAt: string; dayKey: string }[] };
    expect(quota.now).toBe(T0);
    expect(quota.keys).toHaveLength(4);
    expect(quota.keys[0]).toMatchObject({
      project: 'project-1',
      search: { limit: 100, used: 1, remaining: 99 },
      units: { limit: 10_000, used: 0, remaining: 10_000 },
      insert: { limit: 100, used: 0, remaining: 100 },
      dayKey: '2024-06-01',
      resetAt: '2024-06-02T07:00:00.000Z',
    });
  });

  it('reads and changes the search behaviour', async () => {
    expect((await call('GET', '/search-behaviour')).body).toEqual({
      shortPageShare: 0.05,
      windowLeakShare: 0.03,
      fadeAfterMs: 604_800_000,
      fadeShare: 0.3,
    });
    const changed = await call('PATCH', '/search-behaviour', { shortPageShare: 0, fadeAfterMs: 86_400_000 });
    expect(changed.body).toEqual({ shortPageShare: 0, windowLeakShare: 0.03, fadeAfterMs: 86_400_000, fadeShare: 0.3 });
    expect(h.sim.searchBehaviour()).toEqual(changed.body);
    expect((await call('PATCH', '/search-behaviour', { fadeShare: 2 })).status).toBe(400);
    expect((await call('PATCH', '/search-behaviour', { shortPages: 0 })).status).toBe(400);
    expect((await call('PATCH', '/search-behaviour', { shortPageShare: 0.05, fadeAfterMs: 604_800_000 })).status).toBe(200);
  });

  it('sets and clears faults', async () => {
    const set = await call('PUT', '/faults', { failNext: [{ status: 503 }], latencyMs: 0 });
    expect(set.body).toMatchObject({ failNext: [{ status: 503, reason: 'backendError' }] });
    expect((await call('PUT', '/faults', { failNext: [{ status: 418 }] })).status).toBe(400);
    const bodies = await call('PUT', '/faults', { failNext: [{ body: 'keyExpired' }, { body: 'unknown409' }, { status: 429, reason: 'userRateLimitExceeded' }] });
    expect(bodies.body).toMatchObject({ failNext: [{ body: 'keyExpired' }, { body: 'unknown409' }, { status: 429, reason: 'userRateLimitExceeded' }] });
    expect((await call('DELETE', '/faults')).status).toBe(204);
    expect((await call('GET', '/faults')).body).toEqual({
      serverErrorShare: 0,
      rateLimitShare: 0,
      hangShare: 0,
      dropShare: 0,
      stallShare: 0,
      stallMs: 5_000,
      latencyMs: 0,
      failNext: [],
      hanging: 0,
    });
  });

  it('sets stalls and dropped connections, and refuses malformed ones', async () => {
    const set = await call('PUT', '/faults', { dropShare: 0.1, stallShare: 0.2, stallMs: 250, failNext: [{ stall: true }, { drop: true }] });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ dropShare: 0.1, stallShare: 0.2, stallMs: 250, failNext: [{ stall: true }, { drop: true }] });
    expect((await call('PUT', '/faults', { dropShare: 1.5 })).status).toBe(400);
    expect((await call('PUT', '/faults', { stallMs: -1 })).status).toBe(400);
    expect((await call('PUT', '/faults', { failNext: [{ drop: false }] })).status).toBe(400);
    expect((await call('DELETE', '/faults')).status).toBe(204);
  });

  it('moves the clock and configures streams', async () => {
    expect((await call('GET', '/clock')).body).toEqual({ now: T0, mode: 'manual' });
    expect((await call('PUT', '/clock', { advanceMs: 60_000 })).body).toEqual({ now: '2024-06-01T12:01:00.000Z', mode: 'manual' });
    expect((await call('PUT', '/clock', { now: T0 })).body).toEqual({ now: T0, mode: 'manual' });
    const configured = await call('PUT', '/queries', { queries: [{ q: 'Night  Heron', publishIntervalMs: 1_000, startAt: '2024-06-01T11:59:00Z' }] });
    expect(configured.body).toEqual({
      queries: [{ q: 'night heron', publishIntervalMs: 1_000, startAt: '2024-06-01T11:59:00.000Z', published: expect.any(Number) as unknown }],
    });
    expect(h.sim.groundTruth('night heron').filter((v) => v.stream === 'night heron')).toHaveLength(
      (configured.body as { queries: { published: number }[] }).queries[0]!.published,
    );
    expect((await call('PUT', '/queries', { q: 'egret' })).body).toMatchObject({ queries: [{ q: 'egret', publishIntervalMs: 60_000 }] });
    expect((await call('PUT', '/queries', [{ q: 'egret', publishIntervalMs: 5_000 }])).body).toMatchObject({
      queries: [{ q: 'egret', publishIntervalMs: 5_000 }],
    });
    expect((await call('PUT', '/queries', { q: 'egret', startAt: '2020-01-01T00:00:00Z' })).status).toBe(409);
    const listed = (await call('GET', '/queries')).body as { queries: { q: string }[] };
    expect(listed.queries.map((q) => q.q)).toEqual(expect.arrayContaining(['night heron', 'egret']));
  });
});
