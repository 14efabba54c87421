// The per-query fetch lease against real Redis: one holder per query, a re-run of the same job
// taking over, renewal while the run goes on, and the fence refusing state writes once the
// lease may be someone else's (Redis away for the holder, Redis restarted empty).
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSearchQueryRepository } from '../catalog/search-query-repository.js';
import { ManualClock, systemClock } from '../platform/clock.js';
import {
  clearRedisPrefix,
  createTestDatabase,
  createTestRedis,
  silentLogger,
  sleep,
  startPrivateRedis,
  startTcpProxy,
  uniqueName,
  until,
  type PrivateRedis,
  type TcpProxy,
  type TestDatabase,
} from '../testing/index.js';
import { createFetchLeases, fencedQueryWrites, fetchLeaseKey, FetchLeaseLostError, type FencedRun, type FetchLease, type LeaseClaim } from './fetch-lease.js';

const redis = createTestRedis();
const prefix = uniqueName('lease');
const cleanups: Array<() => Promise<unknown> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

afterAll(async () => {
  await clearRedisPrefix(redis, prefix);
  redis.disconnect();
});

const leasesOn = (client = redis, ttlMs = 1000) => createFetchLeases({ redis: client, prefix, ttlMs, log: silentLogger });

function held(claim: LeaseClaim): FetchLease {
  if (!claim.acquired) throw new Error(`expected the lease, held by ${claim.heldBy}`);
  cleanups.push(() => claim.lease.release().catch(() => undefined));
  return claim.lease;
}

describe('fetch leases', () => {
  it('gives a query to one job at a time, and different queries to different jobs', async () => {
    const leases = leasesOn();
    const first = held(await leases.acquire(1, 'repeat:fetch-query-1:1000', 'w1:0'));
    const other = await leases.acquire(1, 'repeat:fetch-query-1:2000', 'w2:0');
    expect(other).toEqual({ acquired: false, heldBy: 'repeat:fetch-query-1:1000|w1:0' });
    held(await leases.acquire(2, 'repeat:fetch-query-2:2000', 'w2:1'));
    await first.release();
    expect(first.held()).toBe(false);
    held(await leases.acquire(1, 'repeat:fetch-query-1:2000', 'w2:0'));
  });

  it('lets a re-run of the same job (stalled, retried) take the lease over; the earlier run may then write nothing', async () => {
    const leases = leasesOn();
    const earlier = held(await leases.acquire(3, '41', 'w1:7'));
    const claim = await leases.acquire(3, '41', 'w2:3');
    expect(claim).toMatchObject({ acquired: true, tookOverFrom: '41|w1:7' });
    const rerun = held(claim);
    await expect(earlier.runUnder(() => leases.fence(3))).rejects.toBeInstanceOf(FetchLeaseLostError);
    expect(earlier.held()).toBe(false);
    await expect(rerun.runUnder(() => leases.fence(3))).resolves.toBeDefined();
    // Its search calls stop too: no quota spent on work it could not save.
    const checkHeld = () => new Promise<void>((resolve) => resolve(leases.assertHeld(3)));
    await expect(earlier.runUnder(checkHeld)).rejects.toBeInstanceOf(FetchLeaseLostError);
    await expect(rerun.runUnder(checkHeld)).resolves.toBeUndefined();
    // The earlier run's release leaves the re-run's lease alone.
    await earlier.release();
    expect(await leasesOn().acquire(3, '42', 'w3:0')).toEqual({ acquired: false, heldBy: '41|w2:3' });
  });

  it('keeps the lease while the run goes on, far past its TTL', async () => {
    const leases = leasesOn(redis, 300);
    const lease = held(await leases.acquire(4, 'a', 't'));
    await sleep(1200);
    expect(lease.held()).toBe(true);
    expect(await leases.acquire(4, 'b', 't')).toMatchObject({ acquired: false });
    await expect(lease.runUnder(() => leases.fence(4))).resolves.toBeDefined();
  });

  it('fences only writes of the run holding that query', async () => {
    const leases = leasesOn();
    const lease = held(await leases.acquire(5, 'a', 't'));
    await expect(leases.fence(5)).rejects.toThrow('the run holds no lease of it');
    await expect(lease.runUnder(() => leases.fence(6))).rejects.toThrow('the run holds no lease of it');
    await expect(lease.runUnder(() => leases.fence(5))).resolves.toBeDefined();
  });
});

describe('the fetch epoch: the fence checked by MySQL itself', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  const clock = new ManualClock('2024-03-01T00:00:00Z');
  const pendingOf = (after: string) => JSON.stringify([{ after, before: '2024-03-01T00:00:00.000Z' }]);

  it("refuses a frozen run's late write once a re-run of its job took over, and lets the new owner save, unchanged values too", async () => {
    const queries = createSearchQueryRepository({ db: db.kysely, clock });
    const query = await queries.follow('epoch takeover');
    const leases = leasesOn();
    const earlier = held(await leases.acquire(query.id, '77', 'w1:0'));
    // The earlier run passes the Redis check, then freezes before its UPDATE reaches MySQL:
    // meanwhile BullMQ runs its job again elsewhere, and the re-run takes the lease over.
    let freeze: (() => Promise<void>) | undefined;
    const frozenAfterCheck = async (id: number): Promise<FencedRun> => {
      const run = await leases.fence(id);
      const pause = freeze;
      freeze = undefined;
      await pause?.();
      return run;
    };
    const earlierWrites = fencedQueryWrites(queries, frozenAfterCheck);
    await earlier.runUnder(() => earlierWrites.findById(query.id));

    const rerunWrites = fencedQueryWrites(queries, leases.fence);
    let rerun: FetchLease | undefined;
    freeze = async () => {
      rerun = held(await leases.acquire(query.id, '77', 'w2:0'));
      await rerun.runUnder(async () => {
        await rerunWrites.findById(query.id);
        await rerunWrites.saveFetchState(query.id, { pendingRanges: pendingOf('2024-02-01T00:00:00.000Z'), headMark: new Date('2024-02-29T00:00:00Z') });
      });
    };
    // The earlier run's late backfill save would drop the re-run's pending range: refused.
    await expect(earlier.runUnder(() => earlierWrites.saveFetchState(query.id, { pendingRanges: null }))).rejects.toThrow(/newer run/);
    expect(earlier.held()).toBe(false);
    await expect(earlier.runUnder(() => earlierWrites.recordOutcome(query.id, 'ok', null, 3))).rejects.toBeInstanceOf(FetchLeaseLostError);
    expect(await queries.findById(query.id)).toMatchObject({ pending_ranges: pendingOf('2024-02-01T00:00:00.000Z'), head_mark: new Date('2024-02-29T00:00:00Z'), last_outcome: null });

    // The owner's save that changes nothing (MySQL counts no changed row) is not a lost lease.
    const owner = rerun!;
    await owner.runUnder(async () => {
      const same = { pendingRanges: pendingOf('2024-02-01T00:00:00.000Z'), headMark: new Date('2024-02-29T00:00:00Z') };
      await expect(rerunWrites.saveFetchState(query.id, same)).resolves.toBe(true);
      await expect(rerunWrites.saveFetchState(query.id, same)).resolves.toBe(true);
      await expect(rerunWrites.recordOutcome(query.id, 'partial', null, 0)).resolves.toBe(true);
      await expect(rerunWrites.recordOutcome(query.id, 'partial', null, 0)).resolves.toBe(true);
    });
    expect(owner.held()).toBe(true);
    expect(await queries.findById(query.id)).toMatchObject({ last_outcome: 'partial' });
  });

  it('gives the next run a higher epoch when Redis lost every lease, and refuses the earlier run', async () => {
    const queries = createSearchQueryRepository({ db: db.kysely, clock });
    const query = await queries.follow('epoch after redis restart');
    const leases = leasesOn();
    const writes = fencedQueryWrites(queries, leases.fence);
    const first = held(await leases.acquire(query.id, 'job-a', 't'));
    await first.runUnder(() => writes.findById(query.id));
    const firstEpoch = (await queries.findById(query.id))!.fetch_epoch;
    // Redis restarted empty: the lease key is gone, and another job takes the query at once.
    await redis.del(fetchLeaseKey(prefix, query.id));
    const next = held(await leases.acquire(query.id, 'job-b', 't'));
    await next.runUnder(() => writes.findById(query.id));
    expect((await queries.findById(query.id))!.fetch_epoch).toBeGreaterThan(firstEpoch);
    await next.runUnder(() => writes.saveFetchState(query.id, { pendingRanges: null, headMark: new Date('2024-02-15T00:00:00Z') }));
    // The earlier run's write, had it passed a check just before the key went, lands refused.
    await expect(queries.saveFetchState(query.id, { pendingRanges: 'stale', headMark: null }, firstEpoch)).resolves.toBe(false);
    expect(await queries.findById(query.id)).toMatchObject({ pending_ranges: null, head_mark: new Date('2024-02-15T00:00:00Z') });
  });
});

describe('fetch leases when Redis fails the holder', () => {
  let server: PrivateRedis;
  let proxy: TcpProxy;
  let direct: Redis;
  let db: TestDatabase;

  beforeAll(async () => {
    server = await startPrivateRedis();
    const { port } = new URL(server.url);
    proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(port) });
    direct = new Redis(server.url, { maxRetriesPerRequest: 1 });
    direct.on('error', () => undefined); // the scenario restarts the server
    db = await createTestDatabase();
  });

  afterAll(async () => {
    direct?.disconnect();
    await proxy?.close();
    await server?.stop();
    await db?.drop();
  });

  /** A holder's connection as the worker makes it for leases: fails fast while Redis is away. */
  function holderConnection(): Redis {
    const client = new Redis(`redis://${proxy.host}:${proxy.port}`, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 300, retryStrategy: () => 100 });
    client.on('error', () => undefined);
    cleanups.push(() => client.disconnect());
    return client;
  }

  it('refuses the state write of a holder cut off from Redis, once its lease can be taken', async () => {
    const queries = createSearchQueryRepository({ db: db.kysely, clock: systemClock });
    const query = await queries.follow('cut off');
    const client = holderConnection();
    await until('the holder connected', () => (client.status === 'ready' ? true : undefined));
    const holder = createFetchLeases({ redis: client, prefix, ttlMs: 600, log: silentLogger });
    const lease = held(await holder.acquire(query.id, 'job-a', 't'));
    const writes = fencedQueryWrites(queries, holder.fence);
    await lease.runUnder(() => writes.findById(query.id));

    await proxy.down('refuse', 'cut');
    // Renewals fail; once the TTL has run out another worker takes the query.
    const other = createFetchLeases({ redis: direct, prefix, ttlMs: 600, log: silentLogger });
    const taken = await until('another job to take the lease', async () => {
      const claim = await other.acquire(query.id, 'job-b', 't');
      return claim.acquired ? claim.lease : undefined;
    });
    cleanups.push(() => taken.release());
    // The cut-off run may not write: Redis cannot confirm its lease...
    const save = () => lease.runUnder(() => writes.saveFetchState(query.id, { pendingRanges: 'stale', headMark: new Date('2024-01-01T00:00:00Z') }));
    await expect(save()).rejects.toBeInstanceOf(FetchLeaseLostError);
    // ...nor once Redis is back: the lease is the other job's now.
    await proxy.pass();
    await until('the holder reconnected', () => (client.status === 'ready' ? true : undefined));
    await expect(save()).rejects.toThrow(/another job holds it/);
    await expect(lease.runUnder(() => writes.recordOutcome(query.id, 'ok', null, 1))).rejects.toBeInstanceOf(FetchLeaseLostError);
    const row = await queries.findById(query.id);
    expect(row).toMatchObject({ pending_ranges: null, head_mark: null, last_outcome: null });
    // The new holder writes as usual.
    const takenWrites = fencedQueryWrites(queries, other.fence);
    await taken.runUnder(async () => {
      await takenWrites.findById(query.id);
      await takenWrites.saveFetchState(query.id, { pendingRanges: null, headMark: new Date('2024-02-01T00:00:00Z') });
    });
    expect((await queries.findById(query.id))?.head_mark).toEqual(new Date('2024-02-01T00:00:00Z'));
  });

  it('refuses the writes of a holder whose lease Redis lost in a restart, once another job holds it', async () => {
    const client = holderConnection();
    await until('the holder connected', () => (client.status === 'ready' ? true : undefined));
    const holder = createFetchLeases({ redis: client, prefix, ttlMs: 5000, log: silentLogger });
    const lease = held(await holder.acquire(9, 'job-a', 't'));
    await server.crash();
    await server.restart();
    await until('the holder reconnected', () => (client.status === 'ready' ? true : undefined), 10_000);
    const other = createFetchLeases({ redis: direct, prefix, ttlMs: 5000, log: silentLogger });
    await until('the other job to reach Redis', () => direct.ping().then(() => true, () => undefined));
    held(await other.acquire(9, 'job-b', 't'));
    await expect(lease.runUnder(() => holder.fence(9))).rejects.toThrow(/another job holds it/);
  });
});
