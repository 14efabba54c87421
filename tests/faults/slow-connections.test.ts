// Fault: 20,000 slow connections, each having sent half a request header and nothing more,
// against one API process (the real build, under an open-file limit of 8192, so its connection
// cap is derived from a known limit: 8192 - 512 = 7680). Two attackers, processes of their own,
// try all their connections at once and re-open every connection the API closes, at once, for
// the whole attack: 20,000 are open or opening throughout. The attackers run at the lowest CPU
// priority and the API above the rest of the test run, as a real attack comes from other
// machines and the API's machine runs no test suite. The header timeout is 3 s here, so the
// attack also lives through waves of connections cut by it and re-opened together.
//
// What is promised: page 1 of /getData and /health keep answering 200 within 1 s on fresh
// connections throughout (at the cap, a new connection evicts the connection idle longest
// instead of being refused); the API never holds more descriptors than its limit nor more
// connections than its cap, and its memory stays bounded; a partial connection lives at most
// the header timeout plus the once-a-second check (less when evicted first); once the
// attackers stop re-opening, every one of theirs is closed within that, and the API's
// open-connection gauge falls back.
//
// FAULT_SLOW_CONNECTIONS_MS lengthens or shortens the attack (default 15,000).
import { request } from 'node:http';
import { connect } from 'node:net';
import { readFile, readdir } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVideoRepository, systemClock, type RedisClient } from '@tubefeed/core';
import {
  clearRedisPrefix,
  createTestDatabase,
  createTestRedis,
  freePort,
  residentMemory,
  sleep,
  testRedisUrl,
  uniqueName,
  until,
  videoInput,
  waitForHttp,
  type TestDatabase,
} from '@tubefeed/core/testing';
import { repoRoot } from './support/build.js';
import { startLimited, startSlowClients, type LimitedProcess, type SlowClients } from './support/slow-clients.js';

const API_OPEN_FILES = 8192;
const EXPECTED_CAP = API_OPEN_FILES - 512;
const SLOW_CONNECTIONS = 20_000;
const HEADERS_TIMEOUT_MS = 3000;
/** Node checks the header timeout once a second (app.ts). */
const CHECK_INTERVAL_MS = 1000;
/** Added to that for an event loop busy with the attack. */
const SLACK_MS = 1000;
/** The accept queue (4096) drained after the attack: its connections' timeouts start late. */
const ACCEPT_QUEUE_DRAIN_MS = 2000;
const ATTACK_MS = Number(process.env.FAULT_SLOW_CONNECTIONS_MS ?? 15_000);
const ANSWER_BOUND_MS = 1000;
/**
 * API resident memory under the attack. Measured: about 150 MB at rest; a bare Node server
 * holding 7,680 partial connections takes 65 MB more (8.5 KB each). The churn (3,000 to 9,000
 * connections a second here, as fast as the API evicts them) makes garbage the collector
 * takes back in major collections: the resident size rises in a sawtooth between about 230
 * and 400 MB, falling back each time. The peak bound leaves room for a slower collector on a
 * busy machine; the second bound is what makes it bounded rather than merely below a figure:
 * the lowest points of the sawtooth do not rise over the attack (memory kept per connection
 * ever opened, 50,000 to 150,000 of them, would raise them by hundreds of MB).
 */
const RSS_PEAK_BOUND_MB = 600;
const RSS_TROUGH_RISE_BOUND_MB = 100;
const PARTIAL_HEADER = 'GET /getData HTTP/1.1\r\nHost: x\r\n';

interface Answer {
  readonly path: string;
  readonly at: number;
  readonly ms: number;
  readonly status: number | string;
}

/** One GET on a connection of its own (no keep-alive pool), timed from connect to the last byte. */
function get(port: number, path: string): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const done = (status: number | string) => resolve({ path, at: started, ms: Math.round(performance.now() - started), status });
    const outgoing = request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' }, timeout: 5000 }, (response) => {
      response.resume();
      response.on('end', () => done(response.statusCode ?? 0));
      response.on('error', (error) => done(error.message));
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer within 5 s')));
    outgoing.on('error', (error) => done(error.message));
    outgoing.end();
  });
}

interface Probe {
  /** From connect until the API closed it. */
  readonly ms: number;
  /** 'timed out': answered 408 (the header timeout); 'evicted': closed without an answer. */
  readonly ending: 'timed out' | 'evicted';
}

/** A partial-header connection of the test's own, timed until the API closes it. */
function probe(port: number): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let connectedAt = performance.now();
    let answer = '';
    socket.on('connect', () => {
      connectedAt = performance.now();
      socket.write(PARTIAL_HEADER);
    });
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    // A reset is one way for the API to close it: told apart by the answer below.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ ms: Math.round(performance.now() - connectedAt), ending: answer.startsWith('HTTP/1.1 408') ? 'timed out' : 'evicted' }));
  });
}

/** A metric's value from the API's Prometheus text (0 when absent). */
async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

/** CPU time a process has used so far, in ms (utime + stime of /proc/<pid>/stat, 100 ticks a second). */
async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).slice(0, -1).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

let redis: RedisClient;
let db: TestDatabase;
let api: LimitedProcess | undefined;
let attack: SlowClients | undefined;
const prefix = uniqueName('slow');

beforeAll(async () => {
  redis = createTestRedis();
  db = await createTestDatabase();
  const videos = createVideoRepository({ db: db.kysely, clock: systemClock });
  const start = Date.parse('2026-11-01T00:00:00Z');
  await videos.upsertBatch(Array.from({ length: 50 }, (_, i) => videoInput({ publishedAt: new Date(start + i * 60_000) })));
});

afterEach(async () => {
  await attack?.stop();
  await api?.stop();
});

afterAll(async () => {
  await clearRedisPrefix(redis, prefix);
  redis.disconnect();
  await db?.drop();
});

describe('20,000 slow connections against one API process', () => {
  it('page 1 and /health answer within 1 s throughout, memory stays bounded, and every partial connection is closed in time', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    api = startLimited('api', `${repoRoot}/apps/api/dist/server.js`, {
      openFiles: API_OPEN_FILES,
      // Ahead of the rest of the test run for the CPU (where the system allows it; nice runs it
      // unchanged otherwise): the API's own machine is not shared with a test suite.
      niceness: -5,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        HOST: '127.0.0.1',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        MYSQL_URL: db.url,
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        HTTP_REQUEST_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        // HTTP_MAX_CONNECTIONS unset: derived from the open-file limit.
      },
    });
    await waitForHttp(`http://127.0.0.1:${port}/health`, api);
    const apiPid = api.pid;
    const before = await residentMemory(apiPid);

    attack = startSlowClients({
      host: '127.0.0.1',
      port,
      connections: SLOW_CONNECTIONS,
      processes: 2,
      // Every connection at once: beyond what the API holds and its accept queue takes, the
      // connects wait on SYNs the kernel dropped and retries, and are re-sent as they fail.
      concurrency: SLOW_CONNECTIONS,
      firstBytes: PARTIAL_HEADER,
      reportEveryMs: 250,
    });
    // Full strength: all 20,000 opened once, and the API at its cap, evicting.
    await attack.waitFor('the attackers to open their 20,000 connections', (r) => r.opened >= SLOW_CONNECTIONS && r.evicted > 0, 30_000);

    // The attack goes on: fresh clients poll page 1 and /health, a partial connection of the
    // test's own is opened every second and timed; memory and descriptors are sampled.
    const answers: Answer[] = [];
    const probes: Array<Promise<Probe>> = [];
    const samples = { rssMb: [] as number[], fds: [] as number[], open: [] as number[] };
    const attackStarted = performance.now();
    const cpuBefore = await cpuMs(apiPid);
    const running = () => performance.now() - attackStarted < ATTACK_MS;
    const poll = async (path: string) => {
      while (running()) {
        answers.push(await get(port, path));
        await sleep(150);
      }
    };
    const sampleMemory = async () => {
      while (running()) {
        samples.rssMb.push((await residentMemory(apiPid)).rssMb);
        await sleep(250);
      }
    };
    const sample = async () => {
      while (running()) {
        probes.push(probe(port));
        samples.fds.push((await readdir(`/proc/${apiPid}/fd`)).length);
        samples.open.push(await metric(metricsPort, 'tubefeed_http_connections_open'));
        await sleep(1000);
      }
    };
    await Promise.all([poll('/getData?limit=10&pageNo=1'), poll('/health'), sample(), sampleMemory()]);
    const during = attack.report();
    const apiCpu = (await cpuMs(apiPid)) - cpuBefore;
    const attackMs = performance.now() - attackStarted;
    const peak = await residentMemory(apiPid);

    // Stop re-opening: what is left is closed by the header timeout.
    // Timed by the API's own gauge (the attackers, at the lowest priority, may notice late).
    attack.hold();
    const heldAt = performance.now();
    await until('the gauge to fall back', async () => ((await metric(metricsPort, 'tubefeed_http_connections_open')) <= 1 ? true : undefined), HEADERS_TIMEOUT_MS + 10_000, 100);
    const drainMs = Math.round(performance.now() - heldAt);
    const drained = await attack.waitFor('every slow connection to be closed', (r) => r.open === 0 && r.connecting === 0, 10_000);
    const probed = await Promise.all(probes);
    const closed = {
      evicted: await metric(metricsPort, 'tubefeed_http_connections_closed_total{reason="evicted"}'),
      headersTimeout: await metric(metricsPort, 'tubefeed_http_connections_closed_total{reason="headers_timeout"}'),
    };

    const firstHalf = samples.rssMb.slice(0, Math.floor(samples.rssMb.length / 2));
    const secondHalf = samples.rssMb.slice(firstHalf.length);
    const late = answers.filter((a) => a.status !== 200 || a.ms > ANSWER_BOUND_MS);
    const slowest = (path: string) => Math.max(...answers.filter((a) => a.path === path).map((a) => a.ms));
    const figures = {
      answers: answers.length,
      slowestPageOneMs: slowest('/getData?limit=10&pageNo=1'),
      slowestHealthMs: slowest('/health'),
      late: late.map((a) => `${((a.at - attackStarted) / 1000).toFixed(1)} s: ${a.path} ${a.ms} ms ${a.status}`),
      rssAtRestMb: Math.round(before.rssMb),
      rssMaxMb: Math.round(Math.max(...samples.rssMb)),
      rssTroughsMb: [firstHalf, secondHalf].map((half) => Math.round(Math.min(...half))),
      peakRssMb: Math.round(peak.peakRssMb),
      maxFds: Math.max(...samples.fds),
      maxOpenConnections: Math.max(...samples.open),
      apiCpuPercent: Math.round((100 * apiCpu) / attackMs),
      attack: during,
      probes: probed.map((p) => `${p.ms} ms ${p.ending}`),
      drainMs,
      closed,
    };
    // The figures the README quotes come from this line.
    process.stdout.write(`slow connections: ${JSON.stringify(figures)}\n`);

    // Polled throughout, every answer a 200 within the bound.
    expect(answers.length).toBeGreaterThan((2 * ATTACK_MS) / 1000);
    expect(late, JSON.stringify(figures)).toEqual([]);
    // The pressure was real: 20,000 connections open or opening to the end, the API at its
    // cap and evicting all along.
    expect(during.open + during.connecting).toBeGreaterThan(SLOW_CONNECTIONS * 0.95);
    expect(during.evicted).toBeGreaterThan(SLOW_CONNECTIONS / 4);
    expect(figures.maxOpenConnections).toBeLessThanOrEqual(EXPECTED_CAP);
    expect(figures.maxOpenConnections).toBeGreaterThan(EXPECTED_CAP * 0.9);
    // Client connections at most the cap; the rest of the descriptors stay for MySQL, Redis, logs.
    expect(figures.maxFds).toBeLessThanOrEqual(EXPECTED_CAP + 100);
    expect(peak.peakRssMb).toBeLessThan(RSS_PEAK_BOUND_MB);
    expect(Math.min(...secondHalf) - Math.min(...firstHalf)).toBeLessThan(RSS_TROUGH_RISE_BOUND_MB);
    // A partial connection lives at most the header timeout and one check.
    for (const { ms } of probed) expect(ms).toBeLessThanOrEqual(HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + SLACK_MS);
    // Connections still in the accept queue when the attackers stop start their header timeout
    // only once accepted: allow the queue's drain on top.
    expect(drainMs).toBeLessThanOrEqual(HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + SLACK_MS + ACCEPT_QUEUE_DRAIN_MS);
    expect(closed.evicted).toBeGreaterThan(SLOW_CONNECTIONS / 4);
    // Under churn this fast every partial connection may be evicted before its header timeout
    // (then drained.timedOut is 0): a partial connection alone once the attack is over shows the
    // timeout itself, answered 408 in time and counted.
    const alone = await probe(port);
    expect(alone.ending, JSON.stringify({ alone, drained })).toBe('timed out');
    expect(alone.ms).toBeLessThanOrEqual(HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + SLACK_MS);
    expect(await metric(metricsPort, 'tubefeed_http_connections_closed_total{reason="headers_timeout"}')).toBeGreaterThan(closed.headersTimeout);
    expect(api.hasExited()).toBe(false);
  });
});
