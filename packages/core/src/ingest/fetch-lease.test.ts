// The per-query fetch lease against real Redis: one holder per query, a re-run of the same job
// taking over, renewal while the run goes on, and the fence refusing state writes once the
// lease may be someone else's (Redis away for the holder, Redis restarted empty).
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSearchQueryRepository } from '../catalog/search-query-repository.js';
import { systemClock } from '../platform/clock.js';
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
import { createFetchLeases, fencedQueryWrites, FetchLeaseLostError, type FetchLease, type LeaseClaim } from './fetch-lease.js';

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
    await expect(rerun.runUnder(() => leases.fence(3))).resolves.toBeUndefined();
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
    await expect(lease.runUnder(() => leases.fence(4))).resolves.toBeUndefined();
  });

  it('fences only writes of the run holding that query', async () => {
    const leases = leasesOn();
    const lease = held(await leases.acquire(5, 'a', 't'));
    await expect(leases.fence(5)).rejects.toThrow('the run holds no lease of it');
    await expect(lease.runUnder(() => leases.fence(6))).rejects.toThrow('the run holds no lease of it');
    await expect(lease.runUnder(() => leases.fence(5))).resolves.toBeUndefined();
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
    await taken.runUnder(() => fencedQueryWrites(queries, other.fence).saveFetchState(query.id, { pendingRanges: null, headMark: new Date('2024-02-01T00:00:00Z') }));
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
