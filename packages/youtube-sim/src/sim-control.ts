// The operator's and the test's handle on a running simulator: inspect calls, ground truth and
// quota; add, block or drain keys; inject faults; move the clock; configure query streams. The
// HTTP control API (/__sim) and the in-process methods of createYoutubeSimulator() both call
// this, so they cannot drift apart.
import type { KeyPatch, KeyRegistry, KeyView, NewKey } from './api-keys.js';
import type { CallLog, CallRecord } from './call-log.js';
import type { FaultInjector, FaultSettings } from './faults.js';
import { parseRfc3339 } from './rfc3339.js';
import { parseQuery } from './search-query.js';
import { toMillis, type ClockMode, type ClockState, type SimClock } from './sim-clock.js';
import type { LiveBroadcastContent } from './video-content.js';
import type { StreamConfig, StreamInfo, World } from './world.js';

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export type Instant = Date | string | number;

export interface GroundTruthQuery {
  /** Inclusive, like search's; a string must be RFC 3339. */
  publishedAfter?: Instant;
  /** Inclusive. */
  publishedBefore?: Instant;
}

/** A published video as it really is: raw text, exact times, whether search can see it yet. */
export interface GroundTruthVideo {
  videoId: string;
  publishedAt: string;
  indexedAt: string;
  indexed: boolean;
  title: string;
  description: string;
  channelId: string;
  channelTitle: string;
  liveBroadcastContent: LiveBroadcastContent;
  /** The query stream that uploaded it. */
  stream: string;
}

export interface ClockChange {
  now?: Instant;
  advanceMs?: number;
  mode?: ClockMode;
}

export interface SimControlDeps {
  clock: SimClock;
  world: World;
  keys: KeyRegistry;
  faults: FaultInjector;
  calls: CallLog;
}

function boundMs(value: Instant | undefined, rounding: 'up' | 'down', name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return toMillis(value);
  const ms = parseRfc3339(value, rounding);
  if (ms === undefined) throw new RangeError(`${name} must be an RFC 3339 timestamp, got "${value}"`);
  return ms;
}

export class SimControl {
  constructor(private readonly deps: SimControlDeps) {}

  calls(): CallRecord[] {
    return this.deps.calls.list();
  }

  resetCalls(): void {
    this.deps.calls.clear();
  }

  /** Every published video matching `q` (indexed or not), newest first. */
  groundTruth(q: string, bounds: GroundTruthQuery = {}): GroundTruthVideo[] {
    const publishedAfterMs = boundMs(bounds.publishedAfter, 'up', 'publishedAfter');
    const publishedBeforeMs = boundMs(bounds.publishedBefore, 'down', 'publishedBefore');
    const nowMs = this.deps.clock.nowMs();
    const { items } = this.deps.world.search(
      {
        query: parseQuery(q),
        includeUnindexed: true,
        ...(publishedAfterMs === undefined ? {} : { publishedAfterMs }),
        ...(publishedBeforeMs === undefined ? {} : { publishedBeforeMs }),
      },
      'date',
      0,
      Number.MAX_SAFE_INTEGER,
    );
    return items.map((video) => ({
      videoId: video.id,
      publishedAt: new Date(video.publishedAtMs).toISOString(),
      indexedAt: new Date(video.indexedAtMs).toISOString(),
      indexed: video.indexedAtMs <= nowMs,
      title: video.title,
      description: video.description,
      channelId: video.channel.id,
      channelTitle: video.channel.title,
      liveBroadcastContent: video.liveBroadcastContent,
      stream: video.streamKey,
    }));
  }

  quota(): KeyView[] {
    return this.deps.keys.views();
  }

  /** Adds a key; returns it in full (the only place besides the CLI banner that shows it). */
  addKey(spec: NewKey = {}): { key: string } & KeyView {
    const simKey = this.deps.keys.add(spec);
    return { ...this.deps.keys.view(simKey), key: simKey.key };
  }

  /** `ref` is the full key or its index. */
  updateKey(ref: string | number, patch: KeyPatch): KeyView {
    const simKey = this.deps.keys.update(ref, patch);
    if (simKey === undefined) throw new NotFoundError(`no key ${typeof ref === 'number' ? `#${ref}` : 'with that value'}`);
    return this.deps.keys.view(simKey);
  }

  /** Sets the daily quota (units per Pacific day) of the key's project. */
  setQuota(ref: string | number, dailyQuota: number): KeyView {
    return this.updateKey(ref, { dailyQuota });
  }

  /** Sets how many units the key's project has used today (e.g. 10000 to drain it). */
  setQuotaUsed(ref: string | number, quotaUsed: number): KeyView {
    return this.updateKey(ref, { quotaUsed });
  }

  faults(): FaultSettings {
    return this.deps.faults.current();
  }

  /** Replaces the fault configuration (fields left out mean no such fault). */
  setFaults(settings: Partial<FaultSettings>): FaultSettings {
    return this.deps.faults.set(settings);
  }

  /** Calls held right now by a hang, a stall or added latency. */
  hangingCalls(): number {
    return this.deps.faults.waitingCount();
  }

  /** Removes every fault and lets hung calls answer normally. */
  clearFaults(): void {
    this.deps.faults.clear();
  }

  clock(): ClockState {
    return this.deps.clock.state();
  }

  changeClock(change: ClockChange): ClockState {
    const { clock } = this.deps;
    if (change.mode !== undefined) clock.setMode(change.mode);
    if (change.now !== undefined) clock.set(change.now);
    if (change.advanceMs !== undefined) clock.advance(change.advanceMs);
    return clock.state();
  }

  queries(): StreamInfo[] {
    return this.deps.world.streams();
  }

  configureQueries(configs: readonly StreamConfig[]): StreamInfo[] {
    return configs.map((config) => this.deps.world.configureStream(config));
  }
}
