// Worker composition root: config -> runtime (services, BullMQ worker, schedulers); SIGINT and
// SIGTERM finish (or safely abandon) the running job and exit 0.
import { createLogger, loadConfig, readProcessEnvironment, systemClock } from '@tubefeed/core';
import { startWorkerRuntime } from './worker-runtime.js';

const config = loadConfig(readProcessEnvironment());
const log = createLogger(config.log, 'worker');

if (config.youtube.source === 'simulator') {
  log.info({ simulator: config.youtube.apiRoot, keys: config.youtube.apiKeys.length }, 'no YOUTUBE_API_KEYS: fetching from the YouTube simulator');
} else if (config.youtube.apiKeys.length === 0) {
  log.warn('YOUTUBE_API_KEYS is empty: every fetch will end with outcome "no_keys" (npm start runs the simulator instead)');
}
// Signals are handled from the first moment: one that arrives while the worker boots lets the
// boot finish (a migration is never cut in half) and then shuts down as usual.
const starting = startWorkerRuntime({ config, log, clock: systemClock });

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  log.info({ signal }, 'shutting down');
  // Whatever hangs, the process is gone soon after the grace period: a job it still held runs
  // again elsewhere once its lock expires, and runs are idempotent.
  setTimeout(() => {
    log.warn({ graceMs: config.shutdownGraceMs }, 'shutdown did not finish in time; exiting');
    process.exit(0);
  }, config.shutdownGraceMs + 1500).unref();
  const runtime = await starting.catch(() => undefined);
  await runtime?.close();
  log.info('worker stopped');
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

await starting;
