// The figures of the SSE delivery scenario from what the harness stored and what the client
// processes received (sse-protocol.ts). Pure, so the exactly-once check is tested without
// thousands of connections.
import { percentile } from './latency-stats.js';
import type { SseClientReport } from './sse-protocol.js';

/** One video the harness stored. */
export interface StoredVideo {
  readonly videoId: string;
  /** When upsertBatch's transaction had committed (ms since the epoch, sub-ms precision). */
  readonly committedAtMs: number;
  /** When the relay had handed it to the feed log (null: the drain failed). */
  readonly relayedAtMs: number | null;
}

export interface DeliveryFigures {
  readonly clients: number;
  readonly videos: number;
  /** (client, video) pairs that had to be delivered: clients x videos the harness meant to store. */
  readonly pairs: number;
  readonly deliveredOnce: number;
  readonly missing: number;
  /** Pairs delivered more than once. */
  readonly repeated: number;
  /** Commit -> arrival at the client, over the pairs delivered (first arrival), ms. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  readonly minMs: number | null;
  /**
   * Per video, commit -> its first and its last client's receipt; p50 over the videos, ms. The
   * gap between the two is the fan-out's spread (one event written to every stream in turn).
   */
  readonly firstArrivalP50Ms: number | null;
  readonly lastArrivalP50Ms: number | null;
  /** Commit -> in the feed log (the relay's part), over the videos, ms. */
  readonly relayP50Ms: number | null;
  readonly relayP99Ms: number | null;
  /**
   * Video events for ids this run did not store: another writer relaying to the same prefix.
   * They make nothing missing or repeated, so they are shown, not counted as a problem.
   */
  readonly unexpectedVideos: number;
  /** Everything that makes the run wrong, in words; empty when every pair arrived once. */
  readonly problems: readonly string[];
}

/**
 * Every client of every report must have received every expected video exactly once. Videos
 * the harness meant to store but could not count as missing for every client; clients that
 * never connected count as missing every video.
 */
export function deliveryFigures(expected: readonly string[], stored: readonly StoredVideo[], reports: readonly SseClientReport[]): DeliveryFigures {
  const committed = new Map(stored.map((video) => [video.videoId, video.committedAtMs]));
  const latencies: number[] = [];
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  const problems: string[] = [];
  let clients = 0;
  let deliveredOnce = 0;
  let missing = 0;
  let repeated = 0;
  const totals = { failures: 0, notReady: 0, closedEarly: 0, resets: 0, unexpectedVideos: 0, malformed: 0 };
  for (const report of reports) {
    clients += report.clients;
    totals.failures += report.failures;
    totals.notReady += report.clients - report.ready;
    totals.closedEarly += report.closedEarly;
    totals.resets += report.resets;
    totals.unexpectedVideos += report.unexpectedVideos;
    totals.malformed += report.malformed;
    for (const videoId of expected) {
      const v = report.videoIds.indexOf(videoId);
      const commit = committed.get(videoId);
      for (let c = 0; c < report.clients; c++) {
        const count = v === -1 ? 0 : (report.counts[v]?.[c] ?? 0);
        if (count === 0) {
          missing++;
          continue;
        }
        if (count > 1) repeated++;
        else deliveredOnce++;
        const arrival = report.arrivals[v]?.[c];
        if (commit === undefined || typeof arrival !== 'number') continue;
        const latency = arrival - commit;
        latencies.push(latency);
        first.set(videoId, Math.min(first.get(videoId) ?? Number.POSITIVE_INFINITY, latency));
        last.set(videoId, Math.max(last.get(videoId) ?? Number.NEGATIVE_INFINITY, latency));
      }
    }
  }
  const pairs = clients * expected.length;
  const notStored = expected.filter((videoId) => !committed.has(videoId));
  if (notStored.length > 0) problems.push(`${notStored.length} of ${expected.length} videos could not be stored`);
  if (missing > 0) problems.push(`${missing.toLocaleString('en-US')} of ${pairs.toLocaleString('en-US')} (client, video) pairs never arrived`);
  if (repeated > 0) problems.push(`${repeated.toLocaleString('en-US')} (client, video) pairs arrived more than once`);
  if (totals.failures > 0) problems.push(`${totals.failures} streams could not be opened`);
  if (totals.notReady > 0) problems.push(`${totals.notReady} clients never got their ready event`);
  if (totals.closedEarly > 0) problems.push(`${totals.closedEarly} streams were closed by the server`);
  if (totals.resets > 0) problems.push(`${totals.resets} reset events`);
  if (totals.malformed > 0) problems.push(`${totals.malformed} video events without a video's JSON`);
  const relayed = stored.flatMap((video) => (video.relayedAtMs === null ? [] : [video.relayedAtMs - video.committedAtMs]));
  return {
    clients,
    videos: expected.length,
    pairs,
    deliveredOnce,
    missing,
    repeated,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: percentile(latencies, 100),
    minMs: percentile(latencies, 0),
    firstArrivalP50Ms: percentile([...first.values()], 50),
    lastArrivalP50Ms: percentile([...last.values()], 50),
    relayP50Ms: percentile(relayed, 50),
    relayP99Ms: percentile(relayed, 99),
    unexpectedVideos: totals.unexpectedVideos,
    problems,
  };
}
