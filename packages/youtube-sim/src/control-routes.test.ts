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
    await h.client().search.list({ part: ['snippet'], q: 'ibis', maxResults: 3 }, { retry: false });
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
          units: 100,
          results: 3,
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

  it('adds and patches keys, and reports quota', async () => {
    const added = await call('POST', '/keys', { key: 'sim-extra-key', dailyQuota: 500 });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ key: 'sim-extra-key', index: 3, dailyQuota: 500, used: 0, state: 'ok' });
    const patched = await call('PATCH', '/keys/3', { quotaUsed: 450, state: 'blocked' });
    expect(patched.body).toMatchObject({ key: 'sim-…-key', used: 450, remaining: 50, state: 'blocked' });
    expect((await call('PATCH', '/keys/sim-extra-key', { quota: 1_000 })).body).toMatchObject({ dailyQuota: 1_000, remaining: 550 });
    expect((await call('PATCH', '/keys/sim-unknown', { state: 'ok' })).status).toBe(404);
    expect((await call('PATCH', '/keys/3', { state: 'broken' })).status).toBe(400);
    const quota = (await call('GET', '/quota')).body as { now: string; keys: { key: string; resetAt: string; dayKey: string }[] };
    expect(quota.now).toBe(T0);
    expect(quota.keys).toHaveLength(4);
    expect(quota.keys[0]).toMatchObject({ dayKey: '2024-06-01', resetAt: '2024-06-02T07:00:00.000Z' });
  });

  it('sets and clears faults', async () => {
    const set = await call('PUT', '/faults', { failNext: [{ status: 503 }], latencyMs: 0 });
    expect(set.body).toMatchObject({ failNext: [{ status: 503, reason: 'backendError' }] });
    expect((await call('PUT', '/faults', { failNext: [{ status: 418 }] })).status).toBe(400);
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
