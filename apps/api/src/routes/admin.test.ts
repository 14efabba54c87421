// The admin API against the YouTube simulator: keys are checked with YouTube before they are
// stored, never shown in full, and can be switched off, relabelled and removed; queries can be
// followed and dropped at run time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '@tubefeed/core';
import { createYoutubeSimulator } from '@tubefeed/youtube-sim';
import { useTestApis, type TestApi } from '../testing/test-api.js';

const sim = createYoutubeSimulator({ seed: 21, keys: [{}], maxIndexDelayMs: 0 });
const auth = { authorization: `Basic ${Buffer.from('ops:s3cret-pass').toString('base64')}` };
const apis = useTestApis({ clock: systemClock });
let api: TestApi;

beforeAll(async () => {
  const url = await sim.listen();
  api = await apis.start({ ADMIN_USER: 'ops', ADMIN_PASSWORD: 's3cret-pass', YOUTUBE_API_KEYS: sim.apiKeys()[0]!, YOUTUBE_API_ROOT: `${url}/` });
});
afterAll(() => sim.close());

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) {
  const response = await api.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
  return { status: response.statusCode, body: response.body === '' ? null : response.json<Record<string, unknown>>(), raw: response.body };
}

interface Bucket {
  used: number;
  limit: number;
  remaining: number;
  exhaustedUntil: string | null;
}

interface KeyView {
  id: number;
  masked: string;
  state: string;
  label: string;
  project: string | null;
  quota: { search: Bucket; units: Bucket };
  callsToday: { search: number; units: number };
  rejectedReason: string | null;
}

describe('/admin/keys', () => {
  it('lists the keys imported from YOUTUBE_API_KEYS, masked', async () => {
    const { status, body, raw } = await call('GET', '/admin/keys');
    expect(status).toBe(200);
    const keys = (body as { keys: KeyView[] }).keys;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      state: 'active',
      masked: `sim-…${sim.apiKeys()[0]!.slice(-4)}`,
      project: null,
      quota: { search: { used: 0, limit: 100, remaining: 100 }, units: { used: 0, limit: 10_000, remaining: 10_000 } },
    });
    expect(raw).not.toContain(sim.apiKeys()[0]);
  });

  it('refuses a key YouTube rejects, saying why, and stores nothing', async () => {
    const invalid = await call('POST', '/admin/keys', { key: 'not-a-known-key-0000' });
    expect(invalid.status).toBe(422);
    expect(invalid.body).toEqual({ isError: true, message: 'YouTube rejected the key (API_KEY_INVALID); it was not added' });
    const blockedKey = sim.addKey({ state: 'blocked' });
    const blocked = await call('POST', '/admin/keys', { key: blockedKey });
    expect(blocked.status).toBe(422);
    expect(blocked.body!.message).toBe('YouTube rejected the key (API_KEY_SERVICE_BLOCKED); it was not added');
    expect(((await call('GET', '/admin/keys')).body as { keys: KeyView[] }).keys).toHaveLength(1);
  });

  it("adds a key after one check that costs 1 unit of its project's units bucket and no search, then switches it off and on, relabels and removes it", async () => {
    const key = sim.addKey();
    sim.resetCalls();
    const added = await call('POST', '/admin/keys', { key, label: 'second project' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      state: 'active',
      label: 'second project',
      origin: 'admin',
      quota: { search: { used: 0, remaining: 100 }, units: { used: 1, remaining: 9999 } },
      callsToday: { search: 0, units: 1 },
    });
    expect(added.raw).not.toContain(key);
    expect(sim.calls().map((c) => [c.endpoint, c.units, c.status])).toEqual([['videos.list', 1, 200]]);
    // The simulator charged the same bucket: all 100 searches of the day are still there.
    expect(sim.quota().find((k) => key.endsWith(k.key.slice(-4)))).toMatchObject({ search: { used: 0 }, units: { used: 1 } });
    const id = (added.body as unknown as KeyView).id;

    expect((await call('POST', '/admin/keys', { key })).status).toBe(409);
    expect((await call('PATCH', `/admin/keys/${id}`, { enabled: false })).body).toMatchObject({ state: 'disabled', enabled: false });
    const health = await api.app.inject({ method: 'GET', url: '/health' });
    expect(health.json()).toMatchObject({ keys: { ok: 1, exhausted: 0, suspect: 0, disabled: 0 } });
    expect((await call('PATCH', `/admin/keys/${id}`, { enabled: true, label: 'renamed' })).body).toMatchObject({
      state: 'active',
      label: 'renamed',
    });
    expect((await call('DELETE', `/admin/keys/${id}`)).status).toBe(204);
    expect((await call('DELETE', `/admin/keys/${id}`)).status).toBe(404);
    expect(((await call('GET', '/admin/keys')).body as { keys: KeyView[] }).keys).toHaveLength(1);
  });

  it('accepts a valid key whose units are spent today: its searches are a bucket of their own', async () => {
    const key = sim.addKey();
    sim.setQuotaUsed(key, { units: 10_000 });
    const added = await call('POST', '/admin/keys', { key });
    expect(added.status).toBe(201);
    const view = added.body as unknown as KeyView;
    expect(view).toMatchObject({ state: 'active', quota: { search: { remaining: 100, exhaustedUntil: null }, units: { remaining: 0 } } });
    expect(view.quota.units.exhaustedUntil).not.toBeNull();
    await call('DELETE', `/admin/keys/${view.id}`);
  });

  it('counts keys of one Google Cloud project against one quota', async () => {
    const [first, second] = [sim.addKey({ project: 'team-x' }), sim.addKey({ project: 'team-x' })];
    const a = await call('POST', '/admin/keys', { key: first, project: 'team-x' });
    const b = await call('POST', '/admin/keys', { key: second, project: 'team-x' });
    expect([a.status, b.status]).toEqual([201, 201]);
    // Two key checks, one project: its units bucket shows both.
    const listed = ((await call('GET', '/admin/keys')).body as { keys: KeyView[] }).keys.filter((k) => k.project === 'team-x');
    expect(listed.map((k) => k.quota.units.used)).toEqual([2, 2]);
    expect(listed.map((k) => k.callsToday.units)).toEqual([1, 1]);
    // Moved to a project of its own, the second key has its own quota again.
    const moved = await call('PATCH', `/admin/keys/${(b.body as unknown as KeyView).id}`, { project: null });
    expect(moved.body).toMatchObject({ project: null, quota: { units: { used: 0 } } });
    expect((await call('POST', '/admin/keys', { key: sim.addKey(), project: 'bad project!' })).body).toMatchObject({
      isError: true,
      message: 'project must be a label of the Google Cloud project the key belongs to: 1-64 letters, digits, _ . or - (got "bad project!")',
    });
    for (const view of [a, b]) await call('DELETE', `/admin/keys/${(view.body as unknown as KeyView).id}`);
  });

  it.each([
    ['POST', '/admin/keys', { key: 'short' }, 'key must be text of 6 to 100 characters'],
    ['POST', '/admin/keys', { key: 'x'.repeat(101) }, 'key must be text of 6 to 100 characters'],
    ['POST', '/admin/keys', { key: 'has spaces in it' }, 'key must be 6 to 100 letters, digits, _ or -'],
    ['PATCH', '/admin/keys/abc', { enabled: true }, 'id must be an integer from 1 to 4294967295 (got "abc")'],
    ['PATCH', '/admin/keys/1', {}, 'body must set at least one of: enabled, label, project'],
    ['POST', '/admin/queries', { text: '' }, 'text must be text of 1 to 200 characters (got "")'],
  ] as const)('%s %s %j answers 400 naming the parameter', async (method, url, payload, message) => {
    const { status, body } = await call(method, url, payload);
    expect(status).toBe(400);
    expect(body).toEqual({ isError: true, message });
  });

  it('needs credentials', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/admin/keys' });
    expect(response.statusCode).toBe(401);
  });
});

describe('/admin/queries', () => {
  it('follows and drops a query at run time; dropping keeps it known but not followed', async () => {
    const followed = await call('POST', '/admin/queries', { text: '  Tea   time ' });
    expect(followed.status).toBe(201);
    expect(followed.body).toMatchObject({ text: 'Tea time', followed: true, origin: 'admin' });
    expect((await call('POST', '/admin/queries', { text: 'tea time' })).status).toBe(200);
    const publicList = async () =>
      (await api.app.inject({ method: 'GET', url: '/queries' })).json<{ queries: Array<{ text: string }> }>().queries.map((q) => q.text);
    expect(await publicList()).toContain('Tea time');
    const id = (followed.body as { id: number }).id;
    expect((await call('DELETE', `/admin/queries/${id}`)).status).toBe(204);
    expect(await publicList()).not.toContain('Tea time');
    const all = (await call('GET', '/admin/queries')).body as { queries: Array<{ text: string; followed: boolean }> };
    expect(all.queries.find((q) => q.text === 'Tea time')).toMatchObject({ followed: false });
    expect((await call('DELETE', '/admin/queries/999999')).status).toBe(404);
  });
});
