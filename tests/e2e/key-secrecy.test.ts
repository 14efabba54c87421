// No API key ever leaves the one place it must be. The whole service (worker and API as
// deployed, both logging at trace) runs with real-looking Google keys through every path that
// handles a key: runs over several pages; keys YouTube does not know, blocks, or has the API
// switched off for; quota spent (both error bodies) up to every key; 5xx, rate limits, a call
// hung past the client timeout, dropped and refused connections; a job that fails for good;
// the admin API with good and bad input; MySQL refusing to store a key (at run time and as at
// boot); Bull Board; /metrics; every public endpoint, the OpenAPI document and error answers.
// Everything the service produced is captured: every log line, anything written to stdout,
// stderr or the console, every HTTP answer (status, headers, body), Bull Board's job payloads,
// the metrics text, every message on its Redis channels, every Redis key and value under its
// prefix, and every MySQL row except `api_keys.api_key`, where the keys are stored to be sent. Then no key may appear in any of it, whole or in pieces
// (key-leaks.ts says what counts).
import { format, inspect } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiKeyRepository, createLogger, keyFingerprint, maskKey, scanPrefix, systemClock, type Db, type Logger, type RedisClient } from '@tubefeed/core';
import { createTestRedis, sleep, uniqueName, until } from '@tubefeed/core/testing';
import { findKeyLeaks, googleLikeKey, type Capture } from './key-leaks.js';
import { startStack, type Stack } from './stack.js';
import { startTcpProxy, type TcpProxy } from '@tubefeed/core/testing';

// --- what the service produced ---------------------------------------------------------------

const captures: Capture[] = [];
const logLines: string[] = [];
const capture = (source: string, text: string) => void captures.push({ source, text });

/**
 * Tees stdout, stderr and process warnings into the capture, and watches the console (whose
 * calls `collect()` adds to the capture); `restore()` undoes it all.
 */
function captureProcessOutput(): { collect(): void; restore(): void } {
  const undo: Array<() => void> = [];
  for (const [name, stream] of [
    ['stdout', process.stdout],
    ['stderr', process.stderr],
  ] as const) {
    const original = stream.write;
    const write = original.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
      capture(name, typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return write(chunk, ...rest);
    };
    undo.push(() => {
      stream.write = original;
    });
  }
  const consoleSpies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) => [method, vi.spyOn(console, method)] as const);
  const onWarning = (warning: Error) => capture('process warning', warning.stack ?? warning.message);
  process.on('warning', onWarning);
  undo.push(() => process.off('warning', onWarning));
  return {
    collect() {
      for (const [method, spy] of consoleSpies) for (const args of spy.mock.calls) capture(`console.${method}`, format(...args));
    },
    restore() {
      for (const step of undo) step();
      for (const [, spy] of consoleSpies) spy.mockRestore();
    },
  };
}

/** Each runtime's logger as deployed (redaction, serializers), at trace, into the capture. */
function capturingLogger(runtime: 'api' | 'worker'): Logger {
  return createLogger({ level: 'trace', format: 'json' }, runtime, {
    write(line: string) {
      logLines.push(line);
      capture(`log ${runtime}`, line);
    },
  });
}

async function dumpRedis(redis: RedisClient, prefix: string): Promise<string> {
  const lines: string[] = [];
  // Plain keys and hash-tagged ones ({prefix}…: the key pool, the snapshots, the queue).
  for await (const batch of scanPrefix(redis, prefix)) {
    for (const key of batch) {
      const type = await redis.type(key);
      const value =
        type === 'string'
          ? await redis.get(key)
          : type === 'hash'
            ? await redis.hgetall(key)
            : type === 'list'
              ? await redis.lrange(key, 0, -1)
              : type === 'set'
                ? await redis.smembers(key)
                : type === 'zset'
                  ? await redis.zrange(key, 0, -1, 'WITHSCORES')
                  : type === 'stream'
                    ? await redis.xrange(key, '-', '+')
                    : `(${type})`;
      lines.push(`${key} ${type} ${JSON.stringify(value)}`);
    }
  }
  expect(lines.length).toBeGreaterThan(0);
  return lines.join('\n');
}

/** Every row of every table, except the column that holds the keys; and what that column holds. */
async function dumpMysql(db: Db['kysely']): Promise<{ rows: string; storedKeys: string[] }> {
  const tables = await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()`.execute(db);
  const lines: string[] = [];
  const storedKeys: string[] = [];
  for (const { name } of tables.rows) {
    const { rows } = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(name)}`.execute(db);
    for (const row of rows) {
      if (name === 'api_keys') {
        storedKeys.push(String(row.api_key));
        delete row.api_key;
      }
      const plain = Object.entries(row).map(([column, value]) => [column, Buffer.isBuffer(value) ? value.toString('latin1') : value]);
      lines.push(`${name} ${JSON.stringify(Object.fromEntries(plain), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
    }
  }
  return { rows: lines.join('\n'), storedKeys };
}

// --- the run ---------------------------------------------------------------------------------

// The keys, by what happens to them.
const configured = googleLikeKey(); // in YOUTUBE_API_KEYS; quota spent at the end (legacy body)
const configured2 = googleLikeKey(); // in YOUTUBE_API_KEYS; quota spent at the end
const unknownToYoutube = googleLikeKey(); // in YOUTUBE_API_KEYS, invalid for YouTube
const blockedLater = googleLikeKey(); // added through the admin API, then blocked by YouTube
const apiOffLater = googleLikeKey(); // added, then the API is switched off in its project
const quotaLater = googleLikeKey(); // added, then its quota is spent
const spentWhenAdded = googleLikeKey(); // added with its quota spent; relabelled, disabled, enabled, deleted
const refusedWhenAdded = googleLikeKey(); // refused by YouTube when added: never stored
const addedOffline = googleLikeKey(); // added while YouTube cannot be reached: never stored
const malformed = googleLikeKey(); // only ever sent in request bodies the API refuses
const refusedByDatabase = googleLikeKey(); // MySQL refuses to store it
const KEYS = [
  configured,
  configured2,
  unknownToYoutube,
  blockedLater,
  apiOffLater,
  quotaLater,
  spentWhenAdded,
  refusedWhenAdded,
  addedOffline,
  malformed,
  refusedByDatabase,
];

// Quota large enough that only the simulator's answers, never a slow run's own count, spend a key.
const DAILY_QUOTA = 1_000_000;
const ADMIN = { authorization: `Basic ${Buffer.from('admin:key-secrecy-pw').toString('base64')}` };
const prefix = uniqueName('r');
let proxy: TcpProxy;
let stack: Stack;
let subscriber: RedisClient;
let output: ReturnType<typeof captureProcessOutput>;

beforeAll(async () => {
  output = captureProcessOutput();
  subscriber = createTestRedis();
  subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => capture(`pubsub ${channel}`, message));
  await subscriber.psubscribe(`${prefix}:*`);
  stack = await startStack({
    sim: { seed: 77, keys: [configured, configured2], publishIntervalMs: 10_000, searchCallsPerDay: DAILY_QUOTA, unitsPerDay: DAILY_QUOTA },
    env: {
      YOUTUBE_API_KEYS: [configured, configured2, unknownToYoutube].join(','),
      REDIS_PREFIX: prefix,
      ADMIN_PASSWORD: 'key-secrecy-pw',
      QUOTA_PACING: 'off',
      FETCH_INTERVAL_MS: '1000',
      YOUTUBE_SEARCH_CALLS_PER_DAY: String(DAILY_QUOTA),
      YOUTUBE_UNITS_PER_DAY: String(DAILY_QUOTA),
      YOUTUBE_TIMEOUT_MS: '3000',
    },
    log: capturingLogger,
    youtubeRoot: async (simUrl) => {
      // Between the service and the simulator, to make YouTube unreachable.
      const target = new URL(simUrl);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
      return `http://${proxy.host}:${proxy.port}`;
    },
  });
});

afterAll(async () => {
  subscriber.disconnect();
  await stack.close();
  await proxy.close();
  output.restore();
});

interface Request {
  readonly admin?: boolean;
  readonly body?: string | Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

/** One request to the API; its answer (status, headers, body) is captured. */
async function call(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, request: Request = {}) {
  const response = await stack.api.app.inject({
    method,
    url,
    headers: { ...(request.admin === true ? ADMIN : {}), ...request.headers },
    ...(request.body === undefined ? {} : { payload: request.body }),
  });
  capture(`HTTP ${method} ${url} -> ${response.statusCode}`, `${JSON.stringify(response.headers)}\n${response.body}`);
  return response;
}

const admin = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: Record<string, unknown>) =>
  call(method, url, { admin: true, ...(body === undefined ? {} : { body }) });

interface AdminKey {
  id: number;
  fingerprint: string;
  masked: string;
  state: string;
  rejectedReason: string | null;
  lastError: string | null;
}

async function keyStates(): Promise<Map<string, AdminKey>> {
  const { keys } = (await admin('GET', '/admin/keys')).json<{ keys: AdminKey[] }>();
  return new Map(keys.map((key) => [key.fingerprint, key]));
}

const stateOf = (states: Map<string, AdminKey>, key: string) => states.get(keyFingerprint(key))?.state;

/** Log lines of failed YouTube calls (`YouTube call failed, will retry`) after `from`. */
function retriedReasons(from: number): string[] {
  return logLines
    .slice(from)
    .map((line) => JSON.parse(line) as { msg?: string; reason?: string })
    .filter((entry) => entry.msg === 'YouTube call failed, will retry')
    .map((entry) => entry.reason ?? '');
}

interface BoardJob {
  id: string;
  data: unknown;
  returnValue: unknown;
  failedReason?: string;
  stacktrace?: string[];
}

async function boardJobs(status: string): Promise<BoardJob[]> {
  const response = await admin('GET', `/admin/queues/api/queues?activeQueue=fetch&status=${status}&page=1&jobsPerPage=100`);
  expect(response.statusCode).toBe(200);
  return response.json<{ queues: Array<{ name: string; jobs: BoardJob[] }> }>().queues.find((q) => q.name === 'fetch')!.jobs;
}

async function snapshotStores(when: string): Promise<string[]> {
  const redis = createTestRedis();
  try {
    capture(`redis (${when})`, await dumpRedis(redis, prefix));
  } finally {
    redis.disconnect();
  }
  const { rows, storedKeys } = await dumpMysql(stack.api.db.kysely);
  capture(`mysql (${when})`, rows);
  return storedKeys;
}

describe('key secrecy', () => {
  it('the scan finds a key whole, in pieces, encoded, or any key-shaped AIza… word', () => {
    const key = googleLikeKey();
    const planted = [
      key,
      key.slice(4),
      key.slice(-16),
      key.slice(0, 16),
      `…${key.slice(10, 22)}…`,
      encodeURIComponent(`?key=${key}`),
      [...key].map((c) => `%${c.charCodeAt(0).toString(16)}`).join(''),
      [...key].map((c) => `%25${c.charCodeAt(0).toString(16)}`).join(''),
      JSON.stringify(key).replace(/[A-Z]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`),
      Buffer.from(`x${key}y`).toString('base64'),
      Buffer.from(`xy${key}`).toString('base64url'),
      `Unexpected token 'A', "{"key": ${key.slice(0, 10)}"... is not valid JSON`,
      `"${googleLikeKey()}"`,
    ];
    for (const text of planted) expect(findKeyLeaks([{ source: 'planted', text }], [key]), text).not.toEqual([]);
    const clean = [maskKey(key), keyFingerprint(key), key.slice(-11), `AIza…${key.slice(-4)}`];
    expect(findKeyLeaks([{ source: 'clean', text: clean.join(' ') }], [key])).toEqual([]);
  });

  it('no key appears in any log line, answer, job, metric, Redis value or database row of a full run', { timeout: 240_000 }, async () => {
    // Runs over several pages; the configured key YouTube does not know is taken out of use.
    await until('a run over several pages', () => stack.results.find((r) => r.outcome === 'ok' && r.searchCalls >= 4), 30_000);
    await until('the unknown key rejected', async () => (stateOf(await keyStates(), unknownToYoutube) === 'rejected' ? true : undefined), 20_000);

    // The admin API, without and with credentials, with good and bad input.
    expect((await call('GET', '/admin/keys')).statusCode).toBe(401);
    expect((await call('POST', '/admin/keys', { body: { key: malformed } })).statusCode).toBe(401);
    for (const key of [blockedLater, apiOffLater, quotaLater, spentWhenAdded, addedOffline]) stack.sim.addKey({ key });
    for (const key of [blockedLater, apiOffLater, quotaLater]) {
      const added = await admin('POST', '/admin/keys', { key, label: 'added at run time' });
      expect(added.statusCode).toBe(201);
      expect(added.json()).toMatchObject({ masked: maskKey(key), state: 'active' });
    }
    stack.sim.setQuotaUsed(spentWhenAdded, { searchCalls: DAILY_QUOTA, units: DAILY_QUOTA });
    const spent = await admin('POST', '/admin/keys', { key: spentWhenAdded });
    // The key check (videos.list) found the units bucket spent; searches are a bucket of their own.
    expect(spent.json()).toMatchObject({ masked: maskKey(spentWhenAdded), state: 'active', quota: { units: { remaining: 0 } } });
    const spentId = spent.json<AdminKey>().id;
    expect((await admin('POST', '/admin/keys', { key: configured })).statusCode).toBe(409);
    expect((await admin('POST', '/admin/keys', { key: configured2, label: 'again' })).statusCode).toBe(409);
    expect((await admin('POST', '/admin/keys', { key: refusedWhenAdded })).statusCode).toBe(422);
    expect((await admin('POST', '/admin/keys', { key: `${malformed}!` })).statusCode).toBe(400);
    expect((await admin('POST', '/admin/keys', { key: malformed.repeat(3) })).statusCode).toBe(400);
    expect((await admin('POST', '/admin/keys', { key: malformed, comment: malformed })).statusCode).toBe(400);
    expect((await admin('POST', '/admin/keys', { label: malformed })).statusCode).toBe(400);
    for (const body of [`{"key": ${malformed}}`, `{"label": "pasted", "key": ${malformed}}`, `{"key": "${malformed}"`, `${malformed}`]) {
      const response = await call('POST', '/admin/keys', { admin: true, body, headers: { 'content-type': 'application/json' } });
      expect(response.statusCode).toBe(400);
    }
    await proxy.down('refuse');
    expect((await admin('POST', '/admin/keys', { key: addedOffline })).statusCode).toBe(503);
    await proxy.pass();
    expect((await admin('PATCH', `/admin/keys/${spentId}`, { label: 'spent today' })).statusCode).toBe(200);
    expect((await admin('PATCH', `/admin/keys/${spentId}`, { enabled: false })).json()).toMatchObject({ state: 'disabled' });
    expect((await admin('PATCH', `/admin/keys/${spentId}`, { enabled: true })).statusCode).toBe(200);
    expect((await admin('PATCH', `/admin/keys/${spentId}`, {})).statusCode).toBe(400);
    expect((await admin('DELETE', `/admin/keys/${spentId}`)).statusCode).toBe(204);
    expect((await admin('DELETE', `/admin/keys/${spentId}`)).statusCode).toBe(404);
    expect((await admin('PATCH', '/admin/keys/4000000000', { enabled: false })).statusCode).toBe(404);
    // MySQL refuses a statement that carries a key: mysql2 puts the statement, values and all,
    // in the error it throws.
    const db = stack.api.db.kysely;
    stack.sim.addKey({ key: refusedByDatabase });
    await sql`CREATE TRIGGER api_keys_refused BEFORE INSERT ON api_keys FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no new keys'`.execute(db);
    try {
      expect((await admin('POST', '/admin/keys', { key: refusedByDatabase })).statusCode).toBe(500);
      const keys = createApiKeyRepository({ db, clock: systemClock });
      const bootFailure = await keys.importConfigured([{ key: refusedByDatabase, project: null }], 'youtube').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(bootFailure).toMatchObject({ message: 'no new keys' });
      // A runtime that fails so at boot ends its process, and Node prints the error like this.
      capture('a boot failure as printed by Node', inspect(bootFailure));
    } finally {
      await sql`DROP TRIGGER api_keys_refused`.execute(db);
    }
    const tea = await admin('POST', '/admin/queries', { text: 'tea' });
    expect(tea.statusCode).toBe(201);

    // YouTube turns on keys the worker uses: blocked, API switched off, quota spent.
    stack.sim.updateKey(blockedLater, { state: 'blocked' });
    stack.sim.updateKey(apiOffLater, { state: 'notConfigured' });
    stack.sim.setQuotaUsed(quotaLater, { searchCalls: DAILY_QUOTA });
    const states = await until(
      'the worker to meet each key’s fate',
      async () => {
        const now = await keyStates();
        const done = stateOf(now, blockedLater) === 'rejected' && stateOf(now, apiOffLater) === 'rejected' && stateOf(now, quotaLater) === 'exhausted';
        return done ? now : undefined;
      },
      30_000,
    );
    expect(states.get(keyFingerprint(unknownToYoutube))?.rejectedReason).toBe('API_KEY_INVALID');
    expect(states.get(keyFingerprint(blockedLater))?.rejectedReason).toBe('API_KEY_SERVICE_BLOCKED');
    expect(states.get(keyFingerprint(apiOffLater))?.rejectedReason).toBe('SERVICE_DISABLED');
    await snapshotStores('after the key failures');

    // Transient failures: 5xx, rate limits, a call hung past the client timeout.
    let from = logLines.length;
    stack.sim.setFaults({ failNext: [{ status: 500 }, { status: 503 }, { status: 429 }, { status: 403, reason: 'rateLimitExceeded' }, { hang: true }] });
    await until('the client to give up on the hung call', () => (retriedReasons(from).includes('timeout') ? true : undefined), 30_000);
    stack.sim.clearFaults();
    expect(retriedReasons(from)).toEqual(expect.arrayContaining(['backendError', 'rateLimitExceeded', 'timeout']));

    // The network: a connection dropped after the request arrived, then nobody listening.
    from = logLines.length;
    stack.sim.setFaults({ failNext: [{ drop: true }] });
    await until('a dropped connection', () => (retriedReasons(from).includes('ECONNRESET') ? true : undefined), 30_000);
    await proxy.down('refuse');
    from = logLines.length;
    await until('a refused connection', () => (retriedReasons(from).includes('ECONNREFUSED') ? true : undefined), 30_000);
    await proxy.pass();

    // A job that fails on every attempt ends in BullMQ's failed set with its reason and stack.
    stack.sim.setFaults({ serverErrorShare: 1 });
    const failed = await until(
      'a job failed on every attempt',
      async () => {
        await admin('PUT', '/admin/queues/api/queues/fetch/promote'); // skip the retry backoff
        const jobs = await boardJobs('failed');
        return jobs.length > 0 ? jobs : undefined;
      },
      60_000,
      250,
    );
    stack.sim.clearFaults();
    expect(failed[0]!.failedReason).toMatch(/YouTube/);
    expect(failed[0]!.stacktrace!.length).toBeGreaterThan(0);
    await snapshotStores('after the failures');

    // Every key out of quota, one of them answered with the legacy body.
    stack.sim.updateKey(configured, { legacyQuotaBody: true, searchCallsUsed: DAILY_QUOTA });
    stack.sim.setQuotaUsed(configured2, { searchCalls: DAILY_QUOTA });
    const runsBefore = stack.results.length;
    await until('a run with every key out of quota', () => stack.results.slice(runsBefore).find((r) => r.outcome === 'quota_exhausted'), 30_000);
    // /health answers from a background probe (once a second): the next one sees the keys spent.
    await until('/health to say the quota is spent', async () =>
      (await call('GET', '/health')).json<{ checks: { youtube: string } }>().checks.youtube === 'quota_exhausted' ? true : undefined,
    );
    expect((await admin('DELETE', `/admin/queries/${tea.json<{ id: number }>().id}`)).statusCode).toBe(204);

    // Everything else the API serves: public endpoints, the OpenAPI document, error answers.
    const page1 = await call('GET', '/getData?limit=5&pageNo=1');
    expect(page1.statusCode).toBe(200);
    expect((await call('GET', '/getData?limit=5&pageNo=1', { headers: { 'if-none-match': String(page1.headers.etag) } })).statusCode).toBe(304);
    for (const url of ['/getData?limit=3&pageNo=2', '/getData?query=cricket&limit=2', '/queries', '/videos/search?q=cricket&limit=3', '/health']) {
      expect((await call('GET', url)).statusCode).toBe(200);
    }
    const videos = await call('GET', '/videos?limit=3');
    await call('GET', `/videos?limit=3&cursor=${encodeURIComponent(videos.json<{ nextCursor: string }>().nextCursor)}`);
    await call('GET', '/getData?query=tea'); // a query no longer followed
    const errors = ['/getData?limit=abc', '/getData?pageNo=0', '/getData?query=unknown', '/videos?cursor=not-a-cursor', '/videos/search', '/nowhere', '/admin/queues/api/queues'];
    for (const url of errors) {
      expect((await call('GET', url)).statusCode).toBeGreaterThanOrEqual(400);
    }
    expect((await call('POST', '/getData')).statusCode).toBe(404);
    const dashboard = await call('GET', '/');
    for (const [, asset] of dashboard.body.matchAll(/\/assets\/([\w.-]+)/g)) await call('GET', `/assets/${asset}`);
    expect((await call('GET', '/docs/json')).statusCode).toBe(200);
    await call('GET', '/docs/');
    expect((await call('GET', '/metrics')).statusCode).toBe(401);
    const metrics = await admin('GET', '/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain(`key="${maskKey(configured)}"`);

    // Bull Board: the page, every list of jobs, each job, schedulers, workers, Redis stats.
    expect((await admin('GET', '/admin/queues')).statusCode).toBe(200);
    const listed = new Map<string, BoardJob>();
    for (const status of ['latest', 'active', 'waiting', 'waiting-children', 'prioritized', 'completed', 'failed', 'delayed', 'paused']) {
      for (const job of await boardJobs(status)) listed.set(job.id, job);
    }
    expect([...listed.values()].some((job) => job.returnValue !== null && typeof job.returnValue === 'object')).toBe(true);
    for (const id of [...listed.keys()].slice(0, 40)) {
      await admin('GET', `/admin/queues/api/queues/fetch/${encodeURIComponent(id)}`);
      await admin('GET', `/admin/queues/api/queues/fetch/${encodeURIComponent(id)}/logs`);
    }
    for (const url of ['/admin/queues/api/job-schedulers', '/admin/queues/api/queues/fetch/workers', '/admin/queues/api/redis/stats']) {
      expect((await admin('GET', url)).statusCode).toBe(200);
    }
    expect((await admin('GET', '/admin/keys')).statusCode).toBe(200);
    expect((await admin('GET', '/admin/queries')).statusCode).toBe(200);

    await sleep(200); // the last pub/sub messages
    const storedKeys = await snapshotStores('at the end');

    // The keys are at rest in api_keys.api_key and nowhere else; log lines name them masked.
    expect(storedKeys.sort()).toEqual([configured, configured2, unknownToYoutube, blockedLater, apiOffLater, quotaLater].sort());
    const logs = logLines.join('\n');
    for (const key of [unknownToYoutube, blockedLater, apiOffLater, quotaLater, configured]) expect(logs).toContain(maskKey(key));
    expect(captures.filter((c) => c.source.startsWith('HTTP')).length).toBeGreaterThan(80);
    output.collect();
    expect(findKeyLeaks(captures, KEYS)).toEqual([]);
  });
});
