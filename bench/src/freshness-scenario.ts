// Scenario 7: how long after the simulator publishes a video it is on /getData page 1, on an
// otherwise idle system (freshness-tracker.ts says how each video is timed). The ground truth
// and the API's page 1 are polled every pollMs; both polls add up to pollMs of error to each
// figure.
import { round, percentile } from './latency-stats.js';
import { createFreshnessTracker } from './freshness-tracker.js';
import { LIVE_QUERY, startLiveSystem, type LiveSystemOptions } from './live-system.js';
import type { BenchSettings } from './plan.js';
import type { ScenarioResult } from './scenario-result.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runFreshnessScenario(
  settings: BenchSettings,
  live: Omit<LiveSystemOptions, 'label' | 'publishIntervalMs' | 'fetchIntervalMs' | 'withApi'>,
): Promise<ScenarioResult> {
  const { publishIntervalMs, minVideos, maxS, pollMs } = settings.freshness;
  const system = await startLiveSystem({ ...live, label: 'fresh', publishIntervalMs, fetchIntervalMs: settings.fetchIntervalMs, withApi: true });
  try {
    const tracker = createFreshnessTracker({ sim: system.sim, query: LIVE_QUERY, pageOneUrl: `${system.api!.url}/getData?pageNo=1&limit=100`, publishIntervalMs });
    const started = performance.now();

    while (performance.now() - started < maxS * 1000) {
      const tick = performance.now();
      tracker.sampleGroundTruth();
      await tracker.pollPageOne();
      // Done when enough videos were measured and every one seen so far is visible.
      if (tracker.visible() >= minVideos && tracker.visible() === tracker.seen()) break;
      await sleep(Math.max(0, pollMs - (performance.now() - tick)));
    }
    // Time ran out with videos in flight: keep watching those (no new ones) a little longer.
    const drainUntil = performance.now() + 10_000;
    while (tracker.visible() < tracker.seen() && performance.now() < drainUntil) {
      const tick = performance.now();
      await tracker.pollPageOne();
      await sleep(Math.max(0, pollMs - (performance.now() - tick)));
    }
    if (system.worker.hasExited()) throw new Error(`the worker exited during the freshness window:\n${system.worker.recentOutput().join('\n')}`);

    // A video the API showed before the ground-truth poll caught it counts as 0 ms.
    const latencies = tracker.latencies();
    const missing = tracker.seen() - latencies.length;
    return {
      name: 'freshness',
      group: 'freshness',
      reqPerSec: null,
      p50Ms: round(percentile(latencies, 50), 0),
      p99Ms: round(percentile(latencies, 99), 0),
      errors: tracker.apiErrors() + missing,
      connections: null,
      note: `publish -> page 1, ${latencies.length} videos`,
      extra: {
        videos: latencies.length,
        notVisibleByEnd: missing,
        maxMs: latencies.length === 0 ? null : round(Math.max(...latencies), 0),
        pollMs,
        publishIntervalMs,
        fetchIntervalMs: settings.fetchIntervalMs,
        measuredFrom: `first seen in the simulator's ground truth (polled every ${pollMs} ms; publishedAt has 1 s resolution)`,
        publishPhase: 'random within the fetch cycle (simulator clock moved ahead by a seeded random 0..interval after each publish)',
        windowS: round((performance.now() - started) / 1000, 1),
      },
    };
  } finally {
    await system.stop();
  }
}
