// Scenario 6: the worker against the simulator publishing fast. Measured over a window after a
// warm-up: videos stored per second (from the maintained total in MySQL) and search.list calls
// per 1,000 new videos (from the simulator's call log), next to the rate it published at.
import { round } from './latency-stats.js';
import { startLiveSystem, type LiveSystemOptions } from './live-system.js';
import type { BenchSettings } from './plan.js';
import type { ScenarioResult } from './scenario-result.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runIngestScenario(
  settings: BenchSettings,
  live: Omit<LiveSystemOptions, 'label' | 'publishIntervalMs' | 'fetchIntervalMs' | 'withApi'>,
): Promise<ScenarioResult> {
  const { publishIntervalMs, warmupS, measureS } = settings.ingest;
  const system = await startLiveSystem({ ...live, label: 'ingest', publishIntervalMs, fetchIntervalMs: settings.fetchIntervalMs, withApi: false });
  try {
    await sleep(warmupS * 1000);
    const stored0 = await system.storedTotal();
    const published0 = system.published();
    system.sim.resetCalls();
    const started = performance.now();
    await sleep(measureS * 1000);
    const stored1 = await system.storedTotal();
    const published1 = system.published();
    const seconds = (performance.now() - started) / 1000;
    const searches = system.sim.calls().filter((call) => call.endpoint === 'search.list');
    const failed = searches.filter((call) => call.status !== 200).length;
    const stored = stored1 - stored0;
    if (system.worker.hasExited()) throw new Error(`the worker exited during the ingest window:\n${system.worker.recentOutput().join('\n')}`);
    return {
      name: 'ingest',
      group: 'ingest',
      reqPerSec: round(stored / seconds, 1),
      p50Ms: null,
      p99Ms: null,
      errors: failed,
      connections: null,
      note: 'req/s = videos stored/s',
      extra: {
        videosStoredPerS: round(stored / seconds, 1),
        videosPublishedPerS: round((published1 - published0) / seconds, 1),
        newVideos: stored,
        searchCalls: searches.length,
        searchCallsPer1000Videos: stored === 0 ? null : round((searches.length / stored) * 1000, 1),
        /** Published but not stored yet when the window closed. */
        backlogAtEnd: published1 - stored1,
        windowS: round(seconds, 1),
        publishIntervalMs,
        fetchIntervalMs: settings.fetchIntervalMs,
      },
    };
  } finally {
    await system.stop();
  }
}
