// Worker composition root: config -> runtime (services, BullMQ worker, schedulers); SIGINT and
// SIGTERM finish (or safely abandon) the running job and exit 0.
import { createLogger, exitOnStartFailure, handleShutdownSignals, loadConfigOrExit, readProcessEnvironment, systemClock } from '@tubefeed/core';
import { startWorkerRuntime } from './worker-runtime.js';

const config = loadConfigOrExit(readProcessEnvironment(), 'worker');
const log = createLogger(config.log, 'worker');
for (const warning of config.warnings) log.warn(warning);

if (config.youtube.source === 'simulator') {
  log.info({ simulator: config.youtube.apiRoot, keys: config.youtube.apiKeys.length }, 'no YOUTUBE_API_KEYS: fetching from the YouTube simulator');
} else if (config.youtube.apiKeys.length === 0) {
  log.warn('YOUTUBE_API_KEYS is empty: every fetch will end with outcome "no_keys" (npm start runs the simulator instead)');
}
// Signals are handled from the first moment: one that arrives while the worker boots lets the
// boot finish (a migration is never cut in half) and then shuts down as usual.
const starting = startWorkerRuntime({ config, log, clock: systemClock });

handleShutdownSignals({
  log,
  graceMs: config.shutdownGraceMs,
  name: 'worker',
  async stop() {
    const runtime = await starting.catch(() => undefined);
    await runtime?.close();
  },
});

await starting.catch((error: unknown) => exitOnStartFailure(log, 'worker', error));
