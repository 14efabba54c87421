// The operator's and the test's handle on a running simulator: inspect calls, ground truth and
// quota; add, block or drain keys; inject faults; tune how incomplete search results are; move
// the clock; configure query streams. The HTTP control API (/__sim) and the in-process methods
// of createYoutubeSimulator() both call this, so they cannot drift apart.
import type { KeyPatch, KeyRegistry, KeyView, NewKey } from './api-keys.js';
import type { CallLog, CallRecord } from './call-log.js';
import type { FaultInjector, FaultSettings } from './faults.js';
import type { BucketLimits, BucketUsage } from './quota-buckets.js';
import { parseRfc3339 } from './rfc3339.js';
import type { SearchBehaviour } from './search-behaviour.js';
import { parseQuery } from './search-query.js';
import { toMillis, type ClockMode, type ClockState, type SimClock } from './sim-clock.js';
import { uploadsPlaylistId } from './channel-profile.js';
import type { LiveBroadcastContent } from './video-content.js';
import type { Removal } from './video-details.js';
import type { SimVideo, StreamConfig, StreamInfo, World } from './world.js';

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export type Instant = Date | string | number;

export interface GroundTruthQuery {
  /** Inclusive, like search's; a string must be RFC 3339. */
  publishedAfter?: Instant;
  /** Inclusive. */
  publishedBefore?: Instant;
  /** Also videos their owner has deleted or made private by now (left out by default: they are gone). */
  includeRemoved?: boolean;
}

/** A published video as it really is: raw text, exact times, whether search can see it (yet, or still). */
export interface GroundTruthVideo {
  videoId: string;
  publishedAt: string;
  /** When search starts finding it. */
  indexedAt: string;
  indexed: boolean;
  /** Whether search returns it now: indexed, and not faded out of search with age. */
  searchable: boolean;
  title: string;
  description: string;
  channelId: string;
  channelTitle: string;
  liveBroadcastContent: LiveBroadcastContent;
  /** The query stream that uploaded it. */
  stream: string;
  /** `deleted` or `private` once its owner removed it (only with `includeRemoved`), else `public`. */
  status: 'public' | Removal;
  /** When it was (or will be) deleted or made private; null if never. */
  removedAt: string | null;
}

/** A channel that uploads to the world, as channels.list finds it. */
export interface GroundTruthChannel {
  channelId: string;
  title: string;
  /** With the @, as snippet.customUrl shows it. */
  handle: string;
  uploadsPlaylistId: string;
  /** The query stream it uploads to. */
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

  /** Every published video matching `q` (indexed or not, faded or not), newest first. */
  groundTruth(q: string, bounds: GroundTruthQuery = {}): GroundTruthVideo[] {
    const publishedAfterMs = boundMs(bounds.publishedAfter, 'up', 'publishedAfter');
    const publishedBeforeMs = boundMs(bounds.publishedBefore, 'down', 'publishedBefore');
    const nowMs = this.deps.clock.nowMs();
    const { items } = this.deps.world.search(
      {
        query: parseQuery(q),
        includeUnindexed: true,
        includeFaded: true,
        includeRemoved: bounds.includeRemoved === true,
        ...(publishedAfterMs === undefined ? {} : { publishedAfterMs }),
        ...(publishedBeforeMs === undefined ? {} : { publishedBeforeMs }),
      },
      'date',
      0,
      Number.MAX_SAFE_INTEGER,
    );
    return items.map((video) => this.truthOf(video, nowMs));
  }

  private truthOf(video: SimVideo, nowMs: number): GroundTruthVideo {
    return {
      videoId: video.id,
      publishedAt: new Date(video.publishedAtMs).toISOString(),
      indexedAt: new Date(video.indexedAtMs).toISOString(),
      indexed: video.indexedAtMs <= nowMs,
      searchable: this.deps.world.searchable(video, nowMs),
      title: video.title,
      description: video.description,
      channelId: video.channel.id,
      channelTitle: video.channel.title,
      liveBroadcastContent: video.liveBroadcastContent,
      stream: video.streamKey,
      status: video.removedAtMs <= nowMs && video.removedAs !== null ? video.removedAs : 'public',
      removedAt: Number.isFinite(video.removedAtMs) ? new Date(video.removedAtMs).toISOString() : null,
    };
  }

  /** Deletes a video or makes it private, from `at` on (default: now). */
  removeVideo(videoId: string, as: Removal, at?: Instant): GroundTruthVideo {
    const atMs = at === undefined ? undefined : boundMs(at, 'down', 'at')!;
    const video = this.deps.world.removeVideo(videoId, as, atMs);
    if (video === undefined) throw new NotFoundError(`no video ${videoId}`);
    return this.truthOf(video, this.deps.clock.nowMs());
  }

  /** Every channel that uploads to the world so far (streams create theirs on first use). */
  channels(): GroundTruthChannel[] {
    return this.deps.world.channels().map((channel) => ({
      channelId: channel.id,
      title: channel.title,
      handle: `@${channel.profile.handle}`,
      uploadsPlaylistId: uploadsPlaylistId(channel.id),
      stream: channel.stream,
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

  /** Sets daily limits of the key's project's buckets (those given). */
  setQuota(ref: string | number, limits: BucketLimits): KeyView {
    if (typeof limits !== 'object' || limits === null) throw new TypeError('setQuota takes { searchCallsPerDay?, unitsPerDay?, insertCallsPerDay? }');
    const { searchCallsPerDay, unitsPerDay, insertCallsPerDay } = limits;
    return this.updateKey(ref, { searchCallsPerDay, unitsPerDay, insertCallsPerDay });
  }

  /** Sets how much of each bucket the key's project has used today (e.g. `{ searchCalls: 100 }` drains search). */
  setQuotaUsed(ref: string | number, usage: BucketUsage): KeyView {
    if (typeof usage !== 'object' || usage === null) throw new TypeError('setQuotaUsed takes { searchCalls?, units?, insertCalls? }');
    return this.updateKey(ref, {
      ...(usage.searchCalls === undefined ? {} : { searchCallsUsed: usage.searchCalls }),
      ...(usage.units === undefined ? {} : { unitsUsed: usage.units }),
      ...(usage.insertCalls === undefined ? {} : { insertCallsUsed: usage.insertCalls }),
    });
  }

  searchBehaviour(): SearchBehaviour {
    return this.deps.world.searchBehaviour();
  }

  /** Changes the search behaviour fields given (the others stay). */
  setSearchBehaviour(change: Partial<SearchBehaviour>): SearchBehaviour {
    return this.deps.world.setSearchBehaviour(change);
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
