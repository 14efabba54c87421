import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { clearRedisPrefix, createTestDatabase, createTestRedis, silentLogger, uniqueName, type TestDatabase } from '../testing/index.js';
import { createApiKeyRepository, type ApiKeyRepository } from './api-key-repository.js';
import { createKeyPool, poolKey, staticKeySource, storedKeySource } from './key-pool.js';
import { QuotaExhaustedError, NoUsableKeyError } from './youtube-errors.js';

const redis = createTestRedis();
const prefix = uniqueName('pool');
const clock = new ManualClock('2024-03-09T20:00:00Z'); // Saturday noon Pacific (PST), the day before DST starts
const secrets = ['test-key-aaaaaaaaaaaa0001', 'test-key-bbbbbbbbbbbb0002', 'test-key-cccccccccccc0003'];

const pool = (keys = secrets, dailyQuota = 10_000) =>
  createKeyPool({ redis, prefix, source: staticKeySource(keys), clock, dailyQuota, log: silentLogger });

beforeEach(async () => {
  await clearRedisPrefix(redis, prefix);
  clock.set('2024-03-09T20:00:00Z');
});
afterAll(async () => {
  await clearRedisPrefix(redis, prefix);
  redis.disconnect();
});

describe('key pool', () => {
  it('rotates round robin and charges each call to the key it picked', async () => {
    const p = pool();
    const picked = [];
    for (let i = 0; i < 6; i++) picked.push((await p.acquire(100)).key.secret);
    expect(picked).toEqual([secrets[1], secrets[2], secrets[0], secrets[1], secrets[2], secrets[0]]);
    const status = await p.status();
    expect(status.keys.map((k) => [k.unitsToday, k.callsToday])).toEqual([[200, 2], [200, 2], [200, 2]]);
    expect(status.keys.map((k) => k.masked)).toEqual(['test…0001', 'test…0002', 'test…0003']);
  });

  it('skips a key out of quota until the next Pacific midnight, across the DST change', async () => {
    const p = pool();
    const first = (await p.acquire(100)).key;
    const until = await p.markExhausted(first);
    // 2024-03-10 00:00 PST = 08:00 UTC (DST starts at 02:00 that morning).
    expect(until.toISOString()).toBe('2024-03-10T08:00:00.000Z');
    for (let i = 0; i < 10; i++) expect((await p.acquire(100)).key.id).not.toBe(first.id);
    clock.set('2024-03-10T07:59:59.999Z');
    for (let i = 0; i < 4; i++) expect((await p.acquire(100)).key.id).not.toBe(first.id);
    clock.set('2024-03-10T08:00:00.000Z');
    const after = [];
    for (let i = 0; i < 3; i++) after.push((await p.acquire(100)).key.id);
    expect(after).toContain(first.id);
  });

  it.each([
    ['a normal night', '2024-05-14T22:00:00Z', '2024-05-15T07:00:00.000Z'],
    ['the night DST ends (25-hour day)', '2024-11-03T20:00:00Z', '2024-11-04T08:00:00.000Z'],
    ['the night before DST ends', '2024-11-03T06:30:00Z', '2024-11-03T07:00:00.000Z'],
  ])('resets at Pacific midnight across %s, and counts a new quota day from then', async (_night, now, reset) => {
    clock.set(now);
    const p = pool([secrets[0]!], 200);
    await p.acquire(100);
    await p.acquire(100);
    await expect(p.acquire(100)).rejects.toMatchObject({ resetAt: new Date(reset) });
    clock.set(new Date(Date.parse(reset) - 1));
    await expect(p.acquire(100)).rejects.toBeInstanceOf(QuotaExhaustedError);
    clock.set(reset);
    expect((await p.acquire(100)).key.secret).toBe(secrets[0]);
    expect((await p.status()).keys[0]).toMatchObject({ unitsToday: 100, callsToday: 1 });
  });

  it('treats a key whose own count reached the daily quota as exhausted, without a call', async () => {
    const p = pool([secrets[0]!], 300);
    await p.acquire(100);
    await p.acquire(100);
    await p.acquire(100);
    const error = await p.acquire(100).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExhaustedError);
    expect((error as QuotaExhaustedError).resetAt.toISOString()).toBe('2024-03-10T08:00:00.000Z');
    const status = await p.status();
    expect(status).toMatchObject({ state: 'quota_exhausted', resetAt: new Date('2024-03-10T08:00:00.000Z') });
    expect(status.keys[0]).toMatchObject({ unitsToday: 300, callsToday: 3, state: 'exhausted' });
  });

  it('reports every key exhausted with the earliest reset, and disabled keys as unusable', async () => {
    const p = pool();
    await p.disable(poolKey(secrets[0]!), 'API_KEY_INVALID');
    for (const secret of secrets.slice(1)) await p.markExhausted(poolKey(secret));
    await expect(p.acquire(100)).rejects.toBeInstanceOf(QuotaExhaustedError);
    expect((await p.status()).state).toBe('quota_exhausted');
    for (const secret of secrets.slice(1)) await p.disable(poolKey(secret), 'keyExpired');
    const error = await p.acquire(100).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoUsableKeyError);
    expect((error as NoUsableKeyError).state).toBe('keys_disabled');
    expect((await p.status()).state).toBe('keys_disabled');
    await p.enable(poolKey(secrets[0]!));
    expect((await p.acquire(100)).key.secret).toBe(secrets[0]);
  });

  it('says no_keys when none is configured', async () => {
    const p = pool([]);
    await expect(p.acquire(100)).rejects.toMatchObject({ state: 'no_keys' });
    expect((await p.status()).state).toBe('no_keys');
  });

  it('never stores a key in Redis: only fingerprints', async () => {
    const p = pool();
    await p.acquire(100);
    await p.recordError(poolKey(secrets[0]!), 'transient', 'YouTube temporary failure (HTTP 503, backendError)');
    const keys = await redis.keys(`${prefix}:*`);
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

  const storedPool = (dailyQuota = 10_000) => {
    const source = storedKeySource({
      keys: { list: (...args) => ((listReads += 1), repo.list(...args)) },
      target: 'youtube',
      clock,
    });
    return createKeyPool({ redis: countingRedis, prefix, source, clock, dailyQuota, log: silentLogger, store: repo });
  };
  const rows = async () =>
    (await repo.list('youtube')).map((row) => [row.fingerprint, row.exhausted_until?.toISOString() ?? null, row.rejected_reason]);
  const pickedOver = async (p: ReturnType<typeof storedPool>, calls: number) => {
    const picked = new Set<string>();
    for (let i = 0; i < calls; i++) picked.add((await p.acquire(100)).key.secret);
    return picked;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    repo = createApiKeyRepository({ db: db.kysely, clock });
  });
  beforeEach(async () => {
    await db.kysely.deleteFrom('api_keys').execute();
    await repo.importConfigured(secrets, 'youtube');
    listReads = 0;
    redisCalls = [];
  });
  afterAll(async () => {
    await db.drop();
  });

  it('keeps exhaustion and rejection in MySQL and skips those keys after Redis lost everything', async () => {
    const p = storedPool();
    const [spent, refused, good] = secrets.map((secret) => poolKey(secret));
    await p.acquire(100); // the source is now cached, from before either change
    const until = await p.markExhausted(spent!);
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
    await p.markExhausted(good!);
    await clearRedisPrefix(redis, prefix);
    await expect(storedPool().acquire(100)).rejects.toMatchObject({ resetAt: until });
    expect((await storedPool().status()).state).toBe('quota_exhausted');
  });

  it('saves a key our own count found spent, so a lost usage count does not bring it back', async () => {
    const p = storedPool(200);
    await p.acquire(100);
    await p.acquire(100);
    await p.acquire(100);
    await p.acquire(100);
    await p.acquire(100);
    await p.acquire(100); // each of the 3 keys has spent its 200 units
    const error = await p.acquire(100).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExhaustedError);
    const reset = '2024-03-10T08:00:00.000Z';
    expect((await rows()).map(([, until]) => until)).toEqual([reset, reset, reset]);
    await clearRedisPrefix(redis, prefix);
    await expect(storedPool(200).acquire(100)).rejects.toMatchObject({ resetAt: new Date(reset) });
  });

  it('forgets saved exhaustion when the quota day turns, and both states when an operator enables the key', async () => {
    const p = storedPool();
    const [spent, refused] = secrets.map((secret) => poolKey(secret));
    const until = await p.markExhausted(spent!);
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

  it('acquires with one Redis round trip and no MySQL read once the keys are cached', async () => {
    const p = storedPool();
    await p.markExhausted(poolKey(secrets[0]!));
    await p.acquire(100);
    listReads = 0;
    redisCalls = [];
    for (let i = 0; i < 5; i++) await p.acquire(100);
    expect(redisCalls).toEqual(['eval', 'eval', 'eval', 'eval', 'eval']);
    expect(listReads).toBe(0);
  });
});
