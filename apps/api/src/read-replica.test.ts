// MYSQL_READ_URL as deployed: the API (createApiRuntime) with its primary and its "replica" as
// two SQL-counting proxies in front of the same MariaDB, so each statement shows which pool it
// went through. There is no real replica here; what is proved is the routing: listing and
// search through the replica and not the primary, page 1 and every write through the primary,
// nothing migrated through the replica, and with the replica refused, black-holed or stalled,
// listing and search answered by the primary (no 5xx) and /health degraded, not down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, createVideoRepository, DEFAULT_REPLICA_RETRY_MS } from '@tubefeed/core';
import {
  createTestDatabase,
  fakeVideoId,
  startSqlCountingProxy,
  startTcpProxy,
  testConfig,
  until,
  videoInput,
  type SqlCountingProxy,
  type TcpProxy,
  type TestDatabase,
} from '@tubefeed/core/testing';
import { captureLog } from './testing/log-capture.js';
import { buildTestApi, type TestApi } from './testing/test-api.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
const auth = { authorization: `Basic ${Buffer.from('admin:replica-pw').toString('base64')}` };
/** Statements that read the catalog (listing, search, the feed's pages). */
const CATALOG_READ = /\b(video_search|videos|video_queries|feed_buckets|feed_scopes|feed_json)\b/i;

let db: TestDatabase;
let primary: SqlCountingProxy;
let replica: SqlCountingProxy;
/** In front of the replica's counter: takes the replica away and brings it back. */
let replicaGate: TcpProxy;
let api: TestApi;

/** Runs `action`, returning the statements each pool sent meanwhile. */
async function traffic<T>(action: () => Promise<T>): Promise<{ result: T; primary: string[]; replica: string[] }> {
  const before = { primary: primary.counts().statements, replica: replica.counts().statements };
  const result = await action();
  const sent = (proxy: SqlCountingProxy, from: number) => {
    const n = proxy.counts().statements - from;
    return n === 0 ? [] : proxy.statements().slice(-n);
  };
  return { result, primary: sent(primary, before.primary), replica: sent(replica, before.replica) };
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await api.app.inject({ method: 'GET', url });
  return { status: response.statusCode, body: response.body };
}

const PUBLIC_READS = ['/videos?limit=5', '/videos/search?q=replica&limit=5', '/videos/search?q=replica+kettle&sort=newest&limit=3', '/getData?pageNo=2&limit=5'];

beforeAll(async () => {
  db = await createTestDatabase();
  const videos = createVideoRepository({ db: db.kysely, clock });
  await videos.upsertBatch(
    Array.from({ length: 30 }, (_, i) =>
      videoInput({
        videoId: fakeVideoId(7000 + i),
        title: i % 3 === 0 ? `Replica kettle ${i}` : `Replica routing ${i}`,
        publishedAt: new Date(Date.UTC(2024, 4, 1, i)),
      }),
    ),
  );
  const server = new URL(db.url);
  const target = { host: server.hostname, port: Number(server.port || 3306) };
  primary = await startSqlCountingProxy(target, { keepStatements: 20_000 });
  replica = await startSqlCountingProxy(target, { keepStatements: 20_000 });
  replicaGate = await startTcpProxy({ host: '127.0.0.1', port: replica.port });
  const through = (port: number) => {
    const url = new URL(db.url);
    url.port = String(port);
    return url.toString();
  };
  api = await buildTestApi({
    clock,
    config: testConfig({
      MYSQL_URL: through(primary.port),
      MYSQL_READ_URL: through(replicaGate.port),
      ADMIN_PASSWORD: 'replica-pw',
      YOUTUBE_API_KEYS: 'replica-test-key-000001',
    }),
  });
});

afterAll(async () => {
  await api?.close();
  await replicaGate?.close();
  await replica?.close();
  await primary?.close();
  await db?.drop();
});

describe('with MYSQL_READ_URL set', () => {
  it('boots, migrates and imports keys through the primary alone', () => {
    expect(primary.counts().statements).toBeGreaterThan(0);
    expect(primary.counts().writes).toBeGreaterThan(0); // the configured key's import
    expect(replica.counts()).toMatchObject({ statements: 0, writes: 0 });
  });

  it('sends listing, cursor pages, search and /getData beyond page 1 to the replica, none to the primary', async () => {
    for (const url of PUBLIC_READS) {
      const { result, primary: onPrimary, replica: onReplica } = await traffic(() => get(url));
      expect(result.status, url).toBe(200);
      expect(onReplica.filter((s) => CATALOG_READ.test(s)).length, url).toBeGreaterThan(0);
      expect(onPrimary.filter((s) => CATALOG_READ.test(s)), url).toEqual([]);
    }
    const first = JSON.parse((await get('/videos?limit=5')).body) as { nextCursor: string };
    const next = await traffic(() => get(`/videos?limit=5&cursor=${encodeURIComponent(first.nextCursor)}`));
    expect(next.result.status).toBe(200);
    expect(next.replica.some((s) => CATALOG_READ.test(s))).toBe(true);
    expect(next.primary.filter((s) => CATALOG_READ.test(s))).toEqual([]);
  });

  it('serves page 1 without the replica (snapshot, or the primary when Redis has none)', async () => {
    const { result, replica: onReplica } = await traffic(() => get('/getData?pageNo=1&limit=10'));
    expect(result.status).toBe(200);
    expect(onReplica).toEqual([]);
  });

  it('writes admin changes to the primary, and reads a query just followed from it', async () => {
    const { result, primary: onPrimary, replica: onReplica } = await traffic(async () => {
      const follow = await api.app.inject({ method: 'POST', url: '/admin/queries', headers: auth, payload: { text: 'replica freshness' } });
      const keys = (await api.app.inject({ method: 'GET', url: '/admin/keys', headers: auth })).json<{ keys: Array<{ id: number }> }>().keys;
      const disable = await api.app.inject({ method: 'PATCH', url: `/admin/keys/${keys[0]!.id}`, headers: auth, payload: { enabled: false } });
      // Resolved on the primary: a query an operator just added is found at once.
      const feed = await get('/getData?pageNo=2&limit=5&query=replica%20freshness');
      return [follow.statusCode, disable.statusCode, feed.status];
    });
    expect(result).toEqual([201, 200, 200]);
    expect(onPrimary.filter((s) => /^\s*(insert|update)\b/i.test(s)).length).toBeGreaterThanOrEqual(2);
    expect(onReplica.filter((s) => /search_queries|api_keys/i.test(s))).toEqual([]);
    expect(replica.counts().writes).toBe(0);
  });

  it('reports the replica as its own check', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ isError: false, message: 'Server is Up and Running', checks: { mysql: 'up', mysqlReplica: 'up' } });
  });
});

describe('with the replica unreachable', () => {
  /** What each public read answered while the replica was up. */
  const answers = new Map<string, string>();

  beforeAll(async () => {
    for (const url of [...PUBLIC_READS, '/getData?pageNo=1&limit=10']) answers.set(url, (await get(url)).body);
  });

  it('refused: answers the same from the primary, no 5xx; /health degraded (200), naming the replica', async () => {
    await replicaGate.down('refuse');
    for (const url of PUBLIC_READS) {
      const { result, primary: onPrimary } = await traffic(() => get(url));
      expect(result, url).toEqual({ status: 200, body: answers.get(url) });
      expect(onPrimary.some((s) => CATALOG_READ.test(s)), url).toBe(true);
    }
    expect(await get('/getData?pageNo=1&limit=10')).toEqual({ status: 200, body: answers.get('/getData?pageNo=1&limit=10') });
    // /health answers from a background probe (once a second): the replica shows down at the next one.
    const health = await until('/health to see the replica down', async () => {
      const response = await api.app.inject({ method: 'GET', url: '/health' });
      return response.json<{ checks: { mysqlReplica?: string } }>().checks.mysqlReplica === 'down' ? response : undefined;
    });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({
      isError: false,
      message: 'Degraded: the MySQL read replica is down; listing and search read from the primary',
      checks: { mysql: 'up', mysqlReplica: 'down', redis: 'up' },
    });
  });

  it('back: reads return to the replica once it answers and the retry period has passed', async () => {
    await replicaGate.pass();
    // Still within the retry period: the primary keeps the reads.
    const during = await traffic(() => get('/videos?limit=5'));
    expect(during.replica).toEqual([]);
    clock.advance(DEFAULT_REPLICA_RETRY_MS);
    const after = await traffic(() => get('/videos?limit=5'));
    expect(after.result).toEqual({ status: 200, body: answers.get('/videos?limit=5') });
    expect(after.replica.some((s) => CATALOG_READ.test(s))).toBe(true);
    expect(after.primary.filter((s) => CATALOG_READ.test(s))).toEqual([]);
    await until('/health to see the replica up', async () => {
      const body = (await api.app.inject({ method: 'GET', url: '/health' })).json<{ checks: { mysqlReplica?: string } }>();
      return body.checks.mysqlReplica === 'up' ? body : undefined;
    });
  });

  /** One search timed, with the statements each pool sent. */
  async function timedSearch() {
    const url = '/videos/search?q=replica&limit=5';
    const started = performance.now();
    const sent = await traffic(() => get(url));
    return { ...sent, ms: performance.now() - started, expected: { status: 200, body: answers.get(url) } };
  }

  it('black-holed (new connections never answered): the primary answers within the request deadline', async () => {
    clock.advance(DEFAULT_REPLICA_RETRY_MS);
    // Open replica connections are reset (and found dead by the next read); new ones hang.
    await replicaGate.down('blackhole', 'cut');
    expect((await get('/videos?limit=5')).status).toBe(200);
    clock.advance(DEFAULT_REPLICA_RETRY_MS);
    const holes = replicaGate.stats().blackholed;
    const search = await timedSearch();
    expect(replicaGate.stats().blackholed).toBeGreaterThan(holes); // it did try the replica
    expect(search.result).toEqual(search.expected);
    expect(search.ms).toBeLessThan(1000); // MYSQL_QUERY_TIMEOUT_MS, the request's deadline
    expect(search.primary.some((s) => CATALOG_READ.test(s))).toBe(true);
    await replicaGate.pass();
  });

  it('stalled (a partition: open connections go silent): the primary answers within the request deadline', async () => {
    clock.advance(DEFAULT_REPLICA_RETRY_MS);
    expect((await traffic(() => get('/videos?limit=5'))).replica.length).toBeGreaterThan(0); // back on the replica
    await replicaGate.down('blackhole', 'stall');
    const search = await timedSearch();
    expect(search.result).toEqual(search.expected);
    // It waited for the replica's answer for the replica's share of the deadline (half), then
    // the primary answered in the other half.
    expect(search.ms).toBeGreaterThan(400);
    expect(search.ms).toBeLessThan(1000);
    expect(search.primary.some((s) => CATALOG_READ.test(s))).toBe(true);
    await replicaGate.pass();
  });
});

describe('with a replica that refuses the login', () => {
  it('reads from the primary, says so in the log and /health, and never logs the password', async () => {
    const captured = captureLog('info');
    const url = new URL(db.url);
    url.username = 'reader';
    url.password = 'hunter2-replica-pw';
    const refused = await buildTestApi({ clock, log: captured.log, config: testConfig({ MYSQL_URL: db.url, MYSQL_READ_URL: url.toString() }) });
    try {
      expect(await refused.app.inject({ method: 'GET', url: '/videos?limit=5' })).toMatchObject({ statusCode: 200 });
      expect((await refused.app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({ checks: { mysqlReplica: 'down' } });
    } finally {
      await refused.close();
    }
    expect(captured.lines.find((line) => line.msg.startsWith('listing and search read from the MySQL replica'))).toMatchObject({
      replica: `${url.hostname}:${url.port || 3306}${url.pathname}`,
    });
    expect(captured.lines.find((line) => line.msg.startsWith('MySQL read replica unusable'))).toMatchObject({ err: { code: 'ER_ACCESS_DENIED_ERROR' } });
    expect(captured.text()).not.toContain('hunter2-replica-pw');
  });
});
