// The whole service for end-to-end tests: the YouTube simulator, a worker and the API as
// deployed (their runtimes), on a database and Redis prefix of their own.
import { dropDatabase, systemClock, type Clock, type Config, type FetchRunResult, type Logger, type RetrySettings } from '@tubefeed/core';
import { clearRedisPrefix, createTestRedis, silentLogger, testConfig } from '@tubefeed/core/testing';
import { createYoutubeSimulator, type YoutubeSimulator, type YoutubeSimulatorOptions } from '@tubefeed/youtube-sim';
import { createApiRuntime, type ApiRuntime } from '../../apps/api/src/api-runtime.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../apps/worker/src/worker-runtime.js';

export interface Stack {
  readonly sim: YoutubeSimulator;
  readonly config: Config;
  readonly worker: WorkerRuntime;
  readonly api: ApiRuntime;
  /** Every fetch run's result, in order. */
  readonly results: FetchRunResult[];
  /** Starts another worker process's runtime on the same configuration (e.g. after closing one). */
  startWorker(): Promise<WorkerRuntime>;
  close(): Promise<void>;
}

export interface StackOptions {
  readonly sim?: YoutubeSimulatorOptions;
  readonly env?: Record<string, string>;
  /** The logger each runtime gets (default: silent). */
  readonly log?: (runtime: 'api' | 'worker') => Logger;
  /** Where the service reaches the simulator, given its URL (e.g. through a proxy). Default: directly. */
  readonly youtubeRoot?: (simUrl: string) => string | Promise<string>;
  /** The clock of both runtimes (default: the system clock). */
  readonly clock?: Clock;
  /** Backoff of the worker's retried YouTube calls (default: short, 1 retry). */
  readonly retry?: RetrySettings;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const sim = createYoutubeSimulator({ maxIndexDelayMs: 0, historyMs: 30 * 60_000, ...options.sim });
  const url = await sim.listen();
  const root = options.youtubeRoot === undefined ? url : await options.youtubeRoot(url);
  const config = testConfig({ YOUTUBE_API_KEYS: sim.apiKeys().join(','), YOUTUBE_API_ROOT: `${root}/`, ...options.env });
  const results: FetchRunResult[] = [];
  const clock = options.clock ?? systemClock;
  const workers: WorkerRuntime[] = [];
  const startWorker = async () => {
    const runtime = await startWorkerRuntime({
      config,
      log: options.log?.('worker') ?? silentLogger,
      clock,
      retry: options.retry ?? { retries: 1, minDelayMs: 10, maxDelayMs: 20 },
      onResult: (result) => void results.push(result),
    });
    workers.push(runtime);
    return runtime;
  };
  const worker = await startWorker();
  const api = await createApiRuntime({ config, log: options.log?.('api') ?? silentLogger, clock });
  return {
    sim,
    config,
    worker,
    api,
    results,
    startWorker,
    async close() {
      await api.close();
      for (const runtime of workers) await runtime.close(5000);
      await sim.close();
      const redis = createTestRedis();
      await clearRedisPrefix(redis, config.redis.prefix);
      redis.disconnect();
      await dropDatabase(config.mysql.url);
    },
  };
}
