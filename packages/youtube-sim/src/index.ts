// A faithful stand-in for the YouTube Data API v3 (search.list, videos.list, channels.list and
// the uploads playlists' playlistItems.list):
// same URLs, parameters, response and error bodies, the three quota buckets per project and
// their Pacific-midnight reset, plus a simulated world of uploads that search indexes late (some
// of them hours late) and returns incompletely, and a control API to inspect and disturb it.
// Point the real @googleapis/youtube client at `listen()`'s URL and the code under test cannot
// tell it from YouTube, except that nothing here costs money or real quota.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { KeyRegistry, type KeyPatch, type KeyView, type NewKey } from './api-keys.js';
import { CallLog, type CallRecord } from './call-log.js';
import { registerControlRoutes } from './control-routes.js';
import { FaultInjector, type FaultSettings } from './faults.js';
import { DEFAULT_INDEX_LAG, uniformIndexLag, type IndexLagTier } from './index-lag.js';
import { DEFAULT_BUCKET_LIMITS, type BucketLimits, type BucketUsage } from './quota-buckets.js';
import { DEFAULT_SEARCH_BEHAVIOUR, mergeSearchBehaviour, type SearchBehaviour } from './search-behaviour.js';
import { SimClock, type ClockOption, type ClockState } from './sim-clock.js';
import {
  SimControl,
  type ClockChange,
  type GroundTruthChannel,
  type GroundTruthQuery,
  type GroundTruthVideo,
  type Instant,
} from './sim-control.js';
import { DEFAULT_REMOVAL_SHARE, type Removal } from './video-details.js';
import { World, type StreamConfig, type StreamInfo } from './world.js';
import { registerYoutubeRoutes } from './youtube-routes.js';

export type { KeyPatch, KeyRegistry, KeyState, KeyView, NewKey, SimKey } from './api-keys.js';
export { KEY_STATES } from './api-keys.js';
export type { CallRecord, EndpointName } from './call-log.js';
export type { FaultSettings, FaultSpec } from './faults.js';
export type { ClockMode, ClockOption, ClockState } from './sim-clock.js';
export { SimClock } from './sim-clock.js';
export type { ClockChange, GroundTruthChannel, GroundTruthQuery, GroundTruthVideo, Instant } from './sim-control.js';
export type { SearchOrder, SimChannel, SimVideo, StreamConfig, StreamInfo, World } from './world.js';
export type { Removal } from './video-details.js';
export { DEFAULT_REMOVAL_SHARE, isoDuration } from './video-details.js';
export { MAX_VIDEO_IDS } from './videos-endpoint.js';
export { SEARCH_RESULT_CAP } from './search-endpoint.js';
export {
  INSERT_COST,
  LIST_COST,
  METHOD_QUOTA,
  QUOTA_BUCKETS,
  SEARCH_COST,
  VIDEOS_COST,
  quotaBucketOf,
  type BucketLimits,
  type BucketUsage,
  type BucketView,
  type QuotaBucket,
  type QuotaMethod,
} from './quota-buckets.js';
export {
  ERROR_BODIES,
  ERROR_BODY_NAMES,
  errorBody,
  errorBodySpec,
  isErrorBodyName,
  keyStateBody,
  type ErrorBodyName,
  type ErrorBodySpec,
  type ErrorContext,
  type ErrorKind,
} from './error-catalogue.js';
export { DEFAULT_INDEX_LAG, lagFor, type IndexLagTier } from './index-lag.js';
export { DEFAULT_SEARCH_BEHAVIOUR, EXACT_SEARCH, type SearchBehaviour } from './search-behaviour.js';
export { maskKey } from './api-keys.js';
export { createRandom, type Random } from './seeded-random.js';

export interface YoutubeSimulatorOptions extends BucketLimits, Partial<SearchBehaviour> {
  /** Everything generated (keys, videos, fault draws, short pages, leaks, fading) follows from it. Default 1. */
  seed?: number;
  /**
   * API keys, as strings or with per-key settings (project, bucket limits, state). Default: 3
   * generated `sim-…` keys, each in a project of its own. Every project's buckets default to
   * `searchCallsPerDay` (100), `unitsPerDay` (10,000) and `insertCallsPerDay` (100).
   */
  keys?: ReadonlyArray<string | NewKey>;
  /** Default: the real clock. A bare instant (or `{ mode: 'manual', now }`) starts a frozen clock. */
  clock?: ClockOption;
  /** Time between two uploads of a query's stream. Default 20,000 ms. */
  publishIntervalMs?: number;
  /**
   * How long search takes to find a published video: cumulative tiers, uniform within each.
   * Default: 96.5 % within 2 min, 3 % within 2-60 min, 0.5 % within 1-12 h (DEFAULT_INDEX_LAG).
   */
  indexLag?: readonly IndexLagTier[];
  /** Shorthand for `indexLag: [{ share: 1, maxMs }]`: uniform over [0, max] (0: indexed at once). Not with `indexLag`. */
  maxIndexDelayMs?: number;
  /** How far before the simulator's start each stream's uploads begin. Default 24 h. */
  historyMs?: number;
  /** Caps that history in videos so fast streams start small. Default 5,000. */
  maxHistoryVideos?: number;
  /**
   * Share (0..1) of videos deleted or made private (half each), 6 hours to 30 days after
   * publication. Default 0.01 (DEFAULT_REMOVAL_SHARE); 0 keeps every video public, for tests
   * that need a world where nothing disappears.
   */
  removalShare?: number;
  /** Streams to set up front (others appear on their first search). */
  queries?: readonly StreamConfig[];
  /** How many recent calls the call log keeps. Default 10,000. */
  maxCallLog?: number;
  /** A pino-compatible logger. Default: silent. */
  logger?: FastifyBaseLogger;
}

export interface YoutubeSimulator {
  /** The Fastify instance (tests may use `app.inject`). */
  readonly app: FastifyInstance;
  readonly clock: SimClock;
  readonly world: World;
  readonly keys: KeyRegistry;
  readonly seed: number;
  /** The full API keys, in order (index 0 first). */
  apiKeys(): string[];
  /** Starts listening (default 127.0.0.1, port 0 = any free port); resolves to the base URL without a trailing slash. */
  listen(options?: { host?: string; port?: number }): Promise<string>;
  /** Stops at once, also when calls are hanging. */
  close(): Promise<void>;

  calls(): CallRecord[];
  resetCalls(): void;
  groundTruth(q: string, bounds?: GroundTruthQuery): GroundTruthVideo[];
  /** Channels uploading to the world so far, with their handles and uploads playlists. */
  channels(): GroundTruthChannel[];
  /** Deletes a video or makes it private from `at` on (default: now). */
  removeVideo(videoId: string, as: Removal, at?: Instant): GroundTruthVideo;
  /** Per key: its project and the project's search, units and insert buckets today. */
  quota(): KeyView[];
  /** Adds a key and returns its full text. */
  addKey(spec?: NewKey): string;
  updateKey(ref: string | number, patch: KeyPatch): KeyView;
  /** Daily limits of the key's project's buckets (those given). */
  setQuota(ref: string | number, limits: BucketLimits): KeyView;
  /** How much of each bucket the key's project has used today (those given), e.g. `{ searchCalls: 100 }`. */
  setQuotaUsed(ref: string | number, usage: BucketUsage): KeyView;
  /** Short pages, window leaks and fading as they are now. */
  searchBehaviour(): SearchBehaviour;
  /** Changes the fields given (0 switches a behaviour off). */
  setSearchBehaviour(change: Partial<SearchBehaviour>): SearchBehaviour;
  faults(): FaultSettings;
  setFaults(settings: Partial<FaultSettings>): FaultSettings;
  clearFaults(): void;
  /** Calls held right now by a hang, a stall or added latency. */
  hangingCalls(): number;
  now(): Date;
  setTime(to: Instant): ClockState;
  advance(ms: number): ClockState;
  changeClock(change: ClockChange): ClockState;
  queries(): StreamInfo[];
  configureQueries(configs: readonly StreamConfig[]): StreamInfo[];
}

export const DEFAULTS = Object.freeze({
  seed: 1,
  keyCount: 3,
  searchCallsPerDay: DEFAULT_BUCKET_LIMITS.search,
  unitsPerDay: DEFAULT_BUCKET_LIMITS.units,
  insertCallsPerDay: DEFAULT_BUCKET_LIMITS.insert,
  publishIntervalMs: 20_000,
  indexLag: DEFAULT_INDEX_LAG,
  ...DEFAULT_SEARCH_BEHAVIOUR,
  historyMs: 24 * 3_600_000,
  maxHistoryVideos: 5_000,
  removalShare: DEFAULT_REMOVAL_SHARE,
  maxCallLog: 10_000,
});

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function indexLagOf(options: YoutubeSimulatorOptions): readonly IndexLagTier[] {
  if (options.indexLag !== undefined && options.maxIndexDelayMs !== undefined) {
    throw new RangeError('give either indexLag or maxIndexDelayMs (its one-tier shorthand), not both');
  }
  if (options.maxIndexDelayMs !== undefined) return uniformIndexLag(options.maxIndexDelayMs);
  return options.indexLag ?? DEFAULTS.indexLag;
}

export function createYoutubeSimulator(options: YoutubeSimulatorOptions = {}): YoutubeSimulator {
  const seed = options.seed ?? DEFAULTS.seed;
  const clock = new SimClock(options.clock);
  const world = new World({
    seed,
    clock,
    publishIntervalMs: options.publishIntervalMs ?? DEFAULTS.publishIntervalMs,
    indexLag: indexLagOf(options),
    searchBehaviour: mergeSearchBehaviour(DEFAULT_SEARCH_BEHAVIOUR, options),
    historyMs: options.historyMs ?? DEFAULTS.historyMs,
    maxHistoryVideos: options.maxHistoryVideos ?? DEFAULTS.maxHistoryVideos,
    removalShare: options.removalShare ?? DEFAULTS.removalShare,
  });
  const keys = new KeyRegistry(clock, seed, options);
  const keySpecs = options.keys ?? Array.from({ length: DEFAULTS.keyCount }, () => ({}));
  for (const spec of keySpecs) keys.add(typeof spec === 'string' ? { key: spec } : spec);
  const faults = new FaultInjector(seed);
  const calls = new CallLog(options.maxCallLog ?? DEFAULTS.maxCallLog);
  const control = new SimControl({ clock, world, keys, faults, calls });
  control.configureQueries(options.queries ?? []);

  const app = Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    // Request logs would print URLs, and URLs carry `key=`; the call log records calls instead.
    logController: new LogController({ disableRequestLogging: true }),
    // A hung call must not hold close() hostage.
    forceCloseConnections: true,
    // The control API refuses fields it does not know (e.g. the retired `dailyQuota`) instead
    // of dropping them silently, which is what Fastify's default `removeAdditional` would do.
    ajv: { customOptions: { removeAdditional: false } },
  });
  registerYoutubeRoutes(app, { world, keys, faults, calls, clock, log: app.log });
  registerControlRoutes(app, control);

  return {
    app,
    clock,
    world,
    keys,
    seed,
    apiKeys: () => keys.list().map((simKey) => simKey.key),
    async listen({ host = '127.0.0.1', port = 0 } = {}) {
      await app.listen({ host, port });
      const address = app.server.address();
      const boundPort = typeof address === 'object' && address !== null ? address.port : port;
      return `http://${urlHost(host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host)}:${boundPort}`;
    },
    async close() {
      faults.shutdown();
      await app.close();
    },
    calls: () => control.calls(),
    resetCalls: () => control.resetCalls(),
    groundTruth: (q, bounds) => control.groundTruth(q, bounds),
    channels: () => control.channels(),
    removeVideo: (videoId, as, at) => control.removeVideo(videoId, as, at),
    quota: () => control.quota(),
    addKey: (spec) => control.addKey(spec).key,
    updateKey: (ref, patch) => control.updateKey(ref, patch),
    setQuota: (ref, limits) => control.setQuota(ref, limits),
    setQuotaUsed: (ref, usage) => control.setQuotaUsed(ref, usage),
    searchBehaviour: () => control.searchBehaviour(),
    setSearchBehaviour: (change) => control.setSearchBehaviour(change),
    faults: () => control.faults(),
    setFaults: (settings) => control.setFaults(settings),
    clearFaults: () => control.clearFaults(),
    hangingCalls: () => control.hangingCalls(),
    now: () => clock.now(),
    setTime: (to) => control.changeClock({ now: to }),
    advance: (ms) => control.changeClock({ advanceMs: ms }),
    changeClock: (change) => control.changeClock(change),
    queries: () => control.queries(),
    configureQueries: (configs) => control.configureQueries(configs),
  };
}
