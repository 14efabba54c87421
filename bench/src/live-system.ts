// A whole fetching system for the ingest and freshness scenarios and the soak: the YouTube
// simulator in this process (so its ground truth and call log can be read directly), the
// worker as a child process on a scratch database (or, for the soak, the seeded data set) and
// a Redis prefix of its own, and optionally an API serving that database. stop() takes it all
// down, drops a scratch database and clears the prefix, also after a failed start.
import { randomBytes } from 'node:crypto';
import { createYoutubeSimulator, type YoutubeSimulator } from '@tubefeed/youtube-sim';
import { dropDatabase, ensureDatabase } from '@tubefeed/core';
import type { Redis } from 'ioredis';
import { databaseUrl, openMysql, scalar, scratchDatabaseName, type MysqlHandle } from './database.js';
import type { Cleanup } from './cleanup.js';
import type { ManagedChild } from '@tubefeed/core/testing/faults';
import { benchPrefix, clearPrefix } from './redis-state.js';
import { startApi, startWorker, type ServerHandle, type SystemEnv } from './servers.js';

/** The followed query; the simulator's stream of uploads for it is the only one. */
export const LIVE_QUERY = 'benchmark';

export interface LiveSystemOptions {
  readonly system: SystemEnv;
  readonly label: 'ingest' | 'fresh' | 'soak';
  readonly mysqlBaseUrl: string;
  readonly redisUrl: string;
  readonly redis: Redis;
  readonly basePrefix: string;
  readonly publishIntervalMs: number;
  readonly fetchIntervalMs: number;
  readonly withApi: boolean;
  /** More environment for the API (withApi only), e.g. settings the soak needs. */
  readonly apiEnv?: Readonly<Record<string, string>>;
  /**
   * An existing database to fetch into instead of a scratch one: neither created nor dropped
   * here, so the caller undoes what the worker added.
   */
  readonly database?: { readonly name: string; readonly url: string };
  /** stop() is registered here too, so an interrupted run still drops the database. */
  readonly cleanup: Cleanup;
  readonly log: (line: string) => void;
}

export interface LiveSystem {
  readonly sim: YoutubeSimulator;
  readonly worker: ManagedChild;
  readonly api: ServerHandle | null;
  readonly database: string;
  /** The Redis prefix of this system (the worker's queues, counters and snapshot). */
  readonly prefix: string;
  /** Videos stored, from the maintained total (no table scan). */
  storedTotal(): Promise<number>;
  /** Videos the simulator has published for the query so far. */
  published(): number;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startLiveSystem(options: LiveSystemOptions): Promise<LiveSystem> {
  const { system, label, log } = options;
  const scratch = options.database === undefined;
  const database = options.database?.name ?? scratchDatabaseName(options.mysqlBaseUrl, label, process.pid);
  const url = options.database?.url ?? databaseUrl(options.mysqlBaseUrl, database);
  const prefix = benchPrefix(options.basePrefix, label, process.pid);
  let sim: YoutubeSimulator | null = null;
  let worker: ManagedChild | null = null;
  let api: ServerHandle | null = null;
  let mysql: MysqlHandle | null = null;
  let stopped = false;

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    await Promise.all([worker?.stop(), api?.child.stop()]);
    await sim?.close();
    await mysql?.close();
    if (scratch) await dropDatabase(url);
    await clearPrefix(options.redis, prefix);
  }

  options.cleanup.defer(`${label} system`, stop);
  try {
    if (scratch) {
      await dropDatabase(url);
      await ensureDatabase(url);
    }
    await clearPrefix(options.redis, prefix);
    mysql = openMysql(url);
    sim = createYoutubeSimulator({
      publishIntervalMs: options.publishIntervalMs,
      maxIndexDelayMs: 0,
      searchCallsPerDay: 1_000_000_000,
      unitsPerDay: 1_000_000_000,
      // No backlog: the stream starts now, so every video is published while we watch.
      maxHistoryVideos: 0,
      queries: [{ q: LIVE_QUERY }],
      maxCallLog: 100_000,
    });
    const simUrl = await sim.listen();
    const handle = mysql;
    const storedTotal = async () => {
      try {
        return Number((await scalar(handle, 'SELECT total FROM feed_scopes WHERE scope = 0')) ?? 0);
      } catch {
        return 0; // Not migrated yet.
      }
    };
    const totalBefore = await storedTotal();
    worker = startWorker(system, `worker-${label}`, {
      mysqlUrl: url,
      redisUrl: options.redisUrl,
      prefix,
      apiRoot: `${simUrl}/`,
      apiKeys: sim.apiKeys(),
      query: LIVE_QUERY,
      fetchIntervalMs: options.fetchIntervalMs,
    });
    if (options.withApi) {
      api = await startApi(system, `api-${label}`, {
        mysqlUrl: url,
        redisUrl: options.redisUrl,
        prefix,
        cursorSecret: randomBytes(24).toString('base64url'),
        ...(options.apiEnv === undefined ? {} : { extraEnv: options.apiEnv }),
      });
    }

    const liveSim = sim;
    const published = () => liveSim.queries().find((stream) => stream.q === LIVE_QUERY)?.published ?? 0;

    // Ready when the worker has stored its first videos.
    const deadline = Date.now() + 60_000;
    while ((await storedTotal()) <= totalBefore) {
      if (worker.hasExited()) throw new Error(`the worker exited during start:\n${worker.recentOutput().join('\n')}`);
      if (Date.now() > deadline) throw new Error(`the worker stored nothing within 60 s:\n${worker.recentOutput().join('\n')}`);
      await sleep(200);
    }
    log(`${label}: worker storing from the simulator (${database}, prefix ${prefix})`);
    return { sim, worker, api, database, prefix, storedTotal, published, stop };
  } catch (error) {
    await stop().catch((cleanupError: unknown) => log(`${label}: cleanup after a failed start failed: ${(cleanupError as Error).message}`));
    throw error;
  }
}
