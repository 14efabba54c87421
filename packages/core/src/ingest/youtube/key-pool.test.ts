import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock.js';
import { scanPrefix } from '../../platform/redis/create-redis.js';
import { clearRedisPrefix, createTestDatabase, createTestRedis, silentLogger, uniqueName, type TestDatabase } from '../../testing/index.js';
import { createApiKeyRepository, type ApiKeyRepository } from './api-key-repository.js';
import { createKeyPool, poolKey, staticKeySource, storedKeySource } from './key-pool.js';
import { QuotaExhaustedError, NoUsableKeyError } from './youtube-errors.js';

const redis = createTestRedis();
const prefix = uniqueName('pool');
const clock = new ManualClock('2024-03-09T20:00:00Z'); // Saturday noon Pacific (PST), the day before DST starts
const secrets = ['test-key-aaaaaaaaaaaa0001', 'test-key-bbbbbbbbbbbb0002', 'test-key-cccccccccccc0003'];
const YOUTUBE_QUOTA = { searchCallsPerDay: 100, unitsPerDay: 10_000 };

const pool = (keys = secrets, quota = YOUTUBE_QUOTA) =>
  createKeyPool({ redis, prefix, source: staticKeySource(keys), clock, quota, log: silentLogger });

beforeEach(async () => {
  await clearRedisPrefix(redis, prefix);
  clock.set('2024-03-09T20:00:00Z');
});
afterAll(async () => {
  await clearRedisPrefix(redis, prefix);
  redis.disconnect();
});

describe('key pool', () => {
  it('rotates round robin and charges each search to the search bucket of the key it picked', async () => {
    const p = pool();
    const picked = [];
    for (let i = 0; i < 6; i++) picked.push((await p.acquire('search')).key.secret);
    expect(picked).toEqual([secrets[1], secrets[2], secrets[0], secrets[1], secrets[2], secrets[0]]);
    const status = await p.status();
    expect(status.keys.map((k) => [k.quota.search.used, k.quota.units.used, k.callsToday.search])).toEqual([
      [2, 0, 2],
      [2, 0, 2],
      [2, 0, 2],
    ]);
    expect(status.keys.map((k) => k.masked)).toEqual(['test…0001', 'test…0002', 'test…0003']);
    expect(status.projects).toHaveLength(3);
  });

  it('gives one project 100 searches a day however many of its keys there are, and a project of its own to each unlabelled key', async () => {
    const shared = ['team-a:test-key-team-a-00001', 'team-a:test-key-team-a-00002'];
    const p = pool([...shared, secrets[0]!]);
    const byProject = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const lease = await p.acquire('search');
      const project = lease.key.project ?? 'own';
      byProject.set(project, (byProject.get(project) ?? 0) + 1);
    }
    expect(Object.fromEntries(byProject)).toEqual({ 'team-a': 100, own: 100 });
    await expect(p.acquire('search')).rejects.toBeInstanceOf(QuotaExhaustedError);
    const status = await p.status();
    expect(status.projects.map((pr) => [pr.label, pr.keys, pr.buckets.search.used, pr.buckets.search.remaining])).toEqual([
      ['team-a', 2, 100, 0],
      [null, 1, 100, 0],
    ]);
    expect(status).toMatchObject({ state: 'quota_exhausted', resetAt: new Date('2024-03-10T08:00:00.000Z') });
  });

  it('keeps the buckets apart: spent searches leave videos.list units usable, and the other way round', async () => {
    const p = pool([secrets[0]!], { searchCallsPerDay: 2, unitsPerDay: 3 });
    await p.acquire('search');
    await p.acquire('search');
    await expect(p.acquire('search')).rejects.toMatchObject({ bucket: 'search' });
    for (let i = 0; i < 3; i++) expect((await p.acquire('units')).key.secret).toBe(secrets[0]);
    await expect(p.acquire('units')).rejects.toMatchObject({ bucket: 'units' });
    const key = (await p.status()).keys[0]!;
    expect(key.quota.search).toMatchObject({ used: 2, limit: 2, remaining: 0 });
    expect(key.quota.units).toMatchObject({ used: 3, limit: 3, remaining: 0 });
    expect(key.callsToday).toEqual({ search: 2, units: 3 });
  });

  it('a caller with a reserve leaves that many units in every project, without marking any project spent', async () => {
    const p = pool(['team-a:test-key-team-a-00001', secrets[0]!], { searchCallsPerDay: 100, unitsPerDay: 5 });
    const byProject = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      const lease = await p.acquire('units', 1, { reserve: 2 });
      byProject.set(lease.key.project ?? 'own', (byProject.get(lease.key.project ?? 'own') ?? 0) + 1);
    }
    expect(Object.fromEntries(byProject)).toEqual({ 'team-a': 3, own: 3 });
    await expect(p.acquire('units', 1, { reserve: 2 })).rejects.toMatchObject({ bucket: 'units', resetAt: new Date('2024-03-10T08:00:00.000Z') });
    // Without a reserve (a key check) the rest is still there, and the projects were never marked spent.
    let status = await p.status();
    expect(status.projects.map((pr) => [pr.buckets.units.remaining, pr.buckets.units.exhaustedUntil])).toEqual([
      [2, null],
      [2, null],
    ]);
    for (let i = 0; i < 4; i++) await p.acquire('units');
    await expect(p.acquire('units')).rejects.toBeInstanceOf(QuotaExhaustedError);
    status = await p.status();
    expect(status.projects.map((pr) => pr.buckets.units.remaining)).toEqual([0, 0]);
  });

  it('a quota answer exhausts only that bucket of that project, until the next Pacific midnight across the DST change', async () => {
    const p = pool(['team-a:test-key-team-a-00001', 'team-a:test-key-team-a-00002', secrets[0]!]);
    const first = (await p.acquire('search')).key;
    expect(first.project).toBe('team-a');
    const until = await p.markExhausted(first, 'search');
    // 2024-03-10 00:00 PST = 08:00 UTC (DST starts at 02:00 that morning).
    expect(until.toISOString()).toBe('2024-03-10T08:00:00.000Z');
    // Neither key of team-a searches again today; team-a's units are untouched.
    for (let i = 0; i < 10; i++) expect((await p.acquire('search')).key.project).toBeNull();
    const units = new Set<string | null>();
    for (let i = 0; i < 6; i++) units.add((await p.acquire('units')).key.project);
    expect(units).toEqual(new Set(['team-a', null]));
    clock.set('2024-03-10T07:59:59.999Z');
    for (let i = 0; i < 4; i++) expect((await p.acquire('search')).key.project).toBeNull();
    clock.set('2024-03-10T08:00:00.000Z');
    const after = new Set<string | null>();
    for (let i = 0; i < 3; i++) after.add((await p.acquire('search')).key.project);
    expect(after).toContain('team-a');
  });

  it.each([
    ['a normal night', '2024-05-14T22:00:00Z', '2024-05-15T07:00:00.000Z'],
    ['the night DST ends (25-hour day)', '2024-11-03T20:00:00Z', '2024-11-04T08:00:00.000Z'],
    ['the night before DST ends', '2024-11-03T06:30:00Z', '2024-11-03T07:00:00.000Z'],
  ])('resets at Pacific midnight across %s, and counts a new quota day from then', async (_night, now, reset) => {
    clock.set(now);
    const p = pool([secrets[0]!], { searchCallsPerDay: 2, unitsPerDay: 10 });
    await p.acquire('search');
    await p.acquire('search');
    await expect(p.acquire('search')).rejects.toMatchObject({ resetAt: new Date(reset) });
    clock.set(new Date(Date.parse(reset) - 1));
    await expect(p.acquire('search')).rejects.toBeInstanceOf(QuotaExhaustedError);
    clock.set(reset);
    expect((await p.acquire('search')).key.secret).toBe(secrets[0]);
    expect((await p.status()).keys[0]).toMatchObject({ callsToday: { search: 1, units: 0 }, quota: { search: { used: 1, remaining: 1 } } });
  });

  it('treats a project whose own count reached the day\'s searches as exhausted, without a call', async () => {
    const p = pool([secrets[0]!], { searchCallsPerDay: 3, unitsPerDay: 10 });
    for (let i = 0; i < 3; i++) await p.acquire('search');
    const error = await p.acquire('search').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExhaustedError);
    expect((error as QuotaExhaustedError).resetAt.toISOString()).toBe('2024-03-10T08:00:00.000Z');
    const status = await p.status();
    expect(status).toMatchObject({ state: 'quota_exhausted', resetAt: new Date('2024-03-10T08:00:00.000Z') });
    expect(status.keys[0]).toMatchObject({ callsToday: { search: 3 }, state: 'exhausted' });
  });

  it('reports every project exhausted with the earliest reset, and disabled keys as unusable', async () => {
    const p = pool();
    await p.disable(poolKey(secrets[0]!), 'API_KEY_INVALID');
    for (const secret of secrets.slice(1)) await p.markExhausted(poolKey(secret), 'search');
    await expect(p.acquire('search')).rejects.toBeInstanceOf(QuotaExhaustedError);
    expect((await p.status()).state).toBe('quota_exhausted');
    for (const secret of secrets.slice(1)) await p.disable(poolKey(secret), 'keyExpired');
    const error = await p.acquire('search').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoUsableKeyError);
    expect((error as NoUsableKeyError).state).toBe('keys_disabled');
    expect((await p.status()).state).toBe('keys_disabled');
    await p.enable(poolKey(secrets[0]!));
    expect((await p.acquire('search')).key.secret).toBe(secrets[0]);
  });

  it('sets a key aside as suspect after 3 unexplained answers in a row, never retrying it forever, until the next quota day', async () => {
    const p = pool([secrets[0]!, secrets[1]!]);
    const odd = poolKey(secrets[0]!);
    expect(await p.recordError(odd, 'unknown', 'YouTube gave an unexplained answer (HTTP 400, somethingNew)')).toEqual({ suspect: false });
    expect(await p.recordError(odd, 'unknown', 'YouTube gave an unexplained answer (HTTP 400, somethingNew)')).toEqual({ suspect: false });
    // Known kinds never make a key suspect, however many.
    for (let i = 0; i < 5; i++) expect(await p.recordError(odd, 'transient', 'YouTube temporary failure (HTTP 503)')).toEqual({ suspect: false });
    expect(await p.recordError(odd, 'unknown', 'YouTube gave an unexplained answer (HTTP 400, somethingNew)')).toEqual({ suspect: true });
    for (let i = 0; i < 6; i++) expect((await p.acquire('search')).key.secret).toBe(secrets[1]);
    const status = await p.status();
    expect(status.keys[0]).toMatchObject({
      state: 'suspect',
      suspectUntil: new Date('2024-03-10T08:00:00.000Z'),
      suspectReason: 'YouTube gave an unexplained answer (HTTP 400, somethingNew)',
      errorsToday: { unknown: 3, transient: 5 },
    });
    await p.disable(poolKey(secrets[1]!), 'API_KEY_INVALID');
    await expect(p.acquire('search')).rejects.toMatchObject({ state: 'keys_suspect' });
    expect((await p.status()).state).toBe('keys_suspect');
    clock.set('2024-03-10T08:00:00.000Z'); // a new quota day: one more chance
    expect((await p.acquire('search')).key.secret).toBe(secrets[0]);
  });

  it('counts unexplained answers in a row: a call answered in between starts the count again', async () => {
    const p = pool([secrets[0]!]);
    const key = poolKey(secrets[0]!);
    for (let round = 0; round < 3; round++) {
      expect(await p.recordError(key, 'unknown', 'odd')).toEqual({ suspect: false });
      expect(await p.recordError(key, 'unknown', 'odd')).toEqual({ suspect: false });
      await p.recordSuccess(key);
    }
    expect((await p.status()).keys[0]).toMatchObject({ state: 'ok', errorsToday: { unknown: 6 } });
    await p.recordError(key, 'unknown', 'odd');
    await p.recordError(key, 'unknown', 'odd');
    expect(await p.recordError(key, 'unknown', 'odd')).toEqual({ suspect: true });
    // The next quota day starts a new count: one odd answer does not set it aside again.
    clock.set('2024-03-10T08:00:00.000Z');
    expect(await p.recordError(key, 'unknown', 'odd')).toEqual({ suspect: false });
    expect((await p.status()).keys[0]!.state).toBe('ok');
  });

  it("an operator's enable clears a suspicion at once", async () => {
    const p = pool([secrets[0]!]);
    for (let i = 0; i < 3; i++) await p.recordError(poolKey(secrets[0]!), 'unknown', 'odd');
    await expect(p.acquire('search')).rejects.toMatchObject({ state: 'keys_suspect' });
    await p.enable(poolKey(secrets[0]!));
    expect((await p.acquire('search')).key.secret).toBe(secrets[0]);
  });

  it('says no_keys when none is configured', async () => {
    const p = pool([]);
    await expect(p.acquire('search')).rejects.toMatchObject({ state: 'no_keys' });
    expect((await p.status()).state).toBe('no_keys');
  });

  it('never stores a key in Redis: only fingerprints', async () => {
    const p = pool();
    await p.acquire('search');
    await p.recordError(poolKey(secrets[0]!), 'transient', 'YouTube temporary failure (HTTP 503, backendError)');
    const keys: string[] = [];
    for await (const batch of scanPrefix(redis, prefix)) keys.push(...batch);
    expect(keys.length).toBeGreaterThan(3); // the pool's hashes, counters and usage
    const dump = JSON.stringify(await Promise.all(keys.map(async (k) => [k, await redis.type(k) === 'hash' ? await redis.hgetall(k) : await redis.get(k)])));
    for (const secret of secrets) expect(dump).not.toContain(secret);
  });
});

// Redis here keeps nothing on disk: what YouTube said about a key is kept in MySQL too, and the
// pool honours it when Redis has lost it (a restart is simulated by deleting the prefix).
describe('key state that survives Redis', () => {
  let db: TestDatabase;
  let repo: ApiKeyRepository;
  let listReads = 0;
  let redisCalls: string[] = [];
  // Counts what the pool asks of Redis and of MySQL.
  const countingRedis = new Proxy(redis, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        redisCalls.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });

  const storedPool = (quota = YOUTUBE_QUOTA) => {
    const source = storedKeySource({
      keys: { list: (...args) => ((listReads += 1), repo.list(...args)) },
      target: 'youtube',
      clock,
    });
    return createKeyPool({ redis: countingRedis, prefix, source, clock, quota, log: silentLogger, store: repo });
  };
  const rows = async () =>
    (await repo.list('youtube')).map((row) => [row.fingerprint, row.search_exhausted_until?.toISOString() ?? null, row.rejected_reason]);
  const pickedOver = async (p: ReturnType<typeof storedPool>, calls: number) => {
    const picked = new Set<string>();
    for (let i = 0; i < calls; i++) picked.add((await p.acquire('search')).key.secret);
    return picked;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    repo = createApiKeyRepository({ db: db.kysely, clock });
  });
  beforeEach(async () => {
    await db.kysely.deleteFrom('api_keys').execute();
    await repo.importConfigured(
      secrets.map((key) => ({ key, project: null })),
      'youtube',
    );
    listReads = 0;
    redisCalls = [];
  });
  afterAll(async () => {
    await db.drop();
  });

  it('keeps exhaustion and rejection in MySQL and skips those keys after Redis lost everything', async () => {
    const p = storedPool();
    const [spent, refused, good] = secrets.map((secret) => poolKey(secret));
    await p.acquire('search'); // the source is now cached, from before either change
    const until = await p.markExhausted(spent!, 'search');
    await p.disable(refused!, 'API_KEY_SERVICE_BLOCKED');
    expect(await rows()).toEqual([
      [spent!.id, until.toISOString(), null],
      [refused!.id, null, 'API_KEY_SERVICE_BLOCKED'],
      [good!.id, null, null],
    ]);

    await clearRedisPrefix(redis, prefix); // a Redis restart without persistence
    expect(await pickedOver(p, 9)).toEqual(new Set([good!.secret]));
    // A fresh process (a new pool and source) knows it too.
    expect(await pickedOver(storedPool(), 6)).toEqual(new Set([good!.secret]));

    const status = await storedPool().status();
    expect(status.keys.map((k) => [k.state, k.exhaustedUntil, k.disabledReason])).toEqual([
      ['exhausted', until, null],
      ['disabled', null, 'API_KEY_SERVICE_BLOCKED'],
      ['ok', null, null],
    ]);
    await p.markExhausted(good!, 'search');
    await clearRedisPrefix(redis, prefix);
    await expect(storedPool().acquire('search')).rejects.toMatchObject({ resetAt: until });
    // The units bucket was never spent: a videos.list call still finds a key.
    expect((await storedPool().acquire('units')).key.secret).toBe(good!.secret);
    expect((await storedPool().status()).state).toBe('quota_exhausted');
  });

  it('saves a project our own count found spent, so a lost usage count does not bring it back', async () => {
    const p = storedPool({ searchCallsPerDay: 2, unitsPerDay: 10 });
    for (let i = 0; i < 6; i++) await p.acquire('search'); // each of the 3 keys' projects has made its 2 searches
    const error = await p.acquire('search').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExhaustedError);
    const reset = '2024-03-10T08:00:00.000Z';
    expect((await rows()).map(([, until]) => until)).toEqual([reset, reset, reset]);
    await clearRedisPrefix(redis, prefix);
    await expect(storedPool({ searchCallsPerDay: 2, unitsPerDay: 10 }).acquire('search')).rejects.toMatchObject({ resetAt: new Date(reset) });
  });

  it('forgets saved exhaustion when the quota day turns, and both states when an operator enables the key', async () => {
    const p = storedPool();
    const [spent, refused] = secrets.map((secret) => poolKey(secret));
    const until = await p.markExhausted(spent!, 'search');
    await p.disable(refused!, 'API_KEY_INVALID');
    await clearRedisPrefix(redis, prefix);

    clock.set(until); // Pacific midnight: a new quota
    expect(await pickedOver(p, 6)).toEqual(new Set([secrets[0], secrets[2]]));
    expect(await repo.clearEndedExhaustion(clock.now())).toBe(1);
    expect((await rows()).map(([, ended]) => ended)).toEqual([null, null, null]);

    await p.enable(refused!);
    expect((await rows())[1]).toEqual([refused!.id, null, null]);
    await clearRedisPrefix(redis, prefix);
    expect(await pickedOver(storedPool(), 6)).toEqual(new Set(secrets));
  });

  it('keeps a project\'s exhaustion on every key of the project, and a suspicion, after Redis lost everything', async () => {
    await db.kysely.deleteFrom('api_keys').execute();
    await repo.importConfigured(
      [
        { key: secrets[0]!, project: 'team-a' },
        { key: secrets[1]!, project: 'team-a' },
        { key: secrets[2]!, project: null },
      ],
      'youtube',
    );
    const p = storedPool();
    await p.acquire('search'); // the source is now cached, with the projects
    await p.markExhausted(poolKey(secrets[1]!, { project: 'team-a' }), 'search');
    expect((await rows()).map(([, until]) => until)).toEqual(['2024-03-10T08:00:00.000Z', '2024-03-10T08:00:00.000Z', null]);
    const own = poolKey(secrets[2]!);
    for (let i = 0; i < 3; i++) await p.recordError(own, 'unknown', 'odd answer');
    await clearRedisPrefix(redis, prefix);
    const fresh = storedPool();
    // team-a searches again at midnight; the suspect key only then too: the earliest reset is the answer.
    await expect(fresh.acquire('search')).rejects.toMatchObject({ bucket: 'search', resetAt: new Date('2024-03-10T08:00:00.000Z') });
    expect((await fresh.status()).keys.map((k) => k.state)).toEqual(['exhausted', 'exhausted', 'suspect']);
  });

  it('acquires with one Redis round trip and no MySQL read once the keys are cached', async () => {
    const p = storedPool();
    await p.markExhausted(poolKey(secrets[0]!), 'search');
    await p.acquire('search');
    listReads = 0;
    redisCalls = [];
    for (let i = 0; i < 5; i++) await p.acquire('search');
    expect(redisCalls).toEqual(['eval', 'eval', 'eval', 'eval', 'eval']);
    expect(listReads).toBe(0);
  });
});
