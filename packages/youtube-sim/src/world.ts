// The simulated YouTube: one stream of uploads per followed query, materialised lazily up to
// the simulator's "now" and cached. A stream's video k is published at
// startAt + k * interval (+ jitter below one interval, rounded down to the second as YouTube's
// timestamps are), and search finds it only after its own indexing delay (index-lag.ts), which
// is how late videos appear behind a "newest publishedAt seen" watermark in reality; once old, a
// share of videos fades out of search again (search-behaviour.ts). Search runs over every
// stream, so a video from stream "tea" is found by "green tea" when its text has both words.
// A small share of videos (1 % by default) is later deleted or made private (video-details.ts):
// from then on nothing public (search, videos.list, the uploads playlist) returns it. The channels
// that upload to a stream exist as soon as the stream does, each with an uploads playlist.
import { channelProfile, normalizeHandle, type ChannelProfile } from './channel-profile.js';
import { lagFor, parseIndexLag, type IndexLagTier } from './index-lag.js';
import { faded, mergeSearchBehaviour, type SearchBehaviour } from './search-behaviour.js';
import { toMillis, type SimClock } from './sim-clock.js';
import { couldMatch, matchesQuery, normalizeQuery, parseQuery, tokenize, type ParsedQuery } from './search-query.js';
import { removalFate, type Removal } from './video-details.js';
import {
  streamChannels,
  streamFillers,
  videoContent,
  type LiveBroadcastContent,
  type StreamShape,
  type VideoContent,
} from './video-content.js';

export interface SimVideo extends VideoContent {
  readonly streamKey: string;
  /** Index of the stream in creation order: the tie-breaker between streams. */
  readonly streamOrder: number;
  readonly k: number;
  readonly publishedAtMs: number;
  readonly indexedAtMs: number;
  /** Words of the title and the full description. */
  readonly tokens: ReadonlySet<string>;
  /** When the owner deletes it or makes it private (Infinity: never); the control API may bring it forward. */
  removedAtMs: number;
  removedAs: Removal | null;
}

/** A channel that uploads to the world, with the stream its uploads belong to. */
export interface SimChannel {
  readonly id: string;
  readonly title: string;
  readonly profile: ChannelProfile;
  readonly stream: string;
}

export interface StreamConfig {
  q: string;
  publishIntervalMs?: number;
  startAt?: Date | string | number;
}

export interface StreamInfo {
  q: string;
  publishIntervalMs: number;
  startAt: string;
  /** Videos published so far (by the sim clock). */
  published: number;
}

export const SEARCH_ORDERS = ['date', 'rating', 'relevance', 'title', 'videoCount', 'viewCount'] as const;
export type SearchOrder = (typeof SEARCH_ORDERS)[number];

export interface VideoFilter {
  query: ParsedQuery;
  /** Inclusive bound, milliseconds. */
  publishedAfterMs?: number;
  /** Inclusive bound, milliseconds. */
  publishedBeforeMs?: number;
  channelId?: string;
  liveBroadcastContent?: LiveBroadcastContent;
  /** Ground truth: also return videos that search has not indexed yet. */
  includeUnindexed?: boolean;
  /** Ground truth: also return old videos that search no longer returns. */
  includeFaded?: boolean;
  /** Ground truth: also return videos deleted or made private by now. */
  includeRemoved?: boolean;
}

export interface SearchResult {
  /** Every match, not only the requested slice. */
  total: number;
  items: SimVideo[];
}

export interface WorldOptions {
  seed: number;
  clock: SimClock;
  publishIntervalMs: number;
  /** How long search takes to find a published video (see index-lag.ts). */
  indexLag: readonly IndexLagTier[];
  /** Short pages, window leaks and fading; changeable while running. */
  searchBehaviour: SearchBehaviour;
  historyMs: number;
  /** Upper bound on a stream's history in videos, so a fast stream does not start with millions. */
  maxHistoryVideos: number;
  /** Share (0..1) of videos their owner later deletes or makes private. */
  removalShare: number;
}

export class ConflictError extends Error {
  override name = 'ConflictError';
}

/** Videos may be published up to a second before their nominal time (rounding to the second). */
const ROUNDING_MARGIN_MS = 1000;

class VideoStream {
  readonly videos: SimVideo[] = [];
  /** Every word any of this stream's videos contains, to skip the stream for unrelated queries. */
  readonly vocabulary = new Set<string>();
  /** Words every video of this stream contains: queries made only of these need no per-video check. */
  readonly commonTokens: ReadonlySet<string>;
  private readonly fillers: string[];
  private nextNominalMs: number;

  constructor(
    readonly shape: StreamShape,
    readonly order: number,
    public intervalMs: number,
    public startAtMs: number,
    private readonly world: World,
  ) {
    this.fillers = streamFillers(shape.excludedTokens);
    this.nextNominalMs = startAtMs;
    this.commonTokens = new Set(shape.groups.filter((group) => group.length === 1).flatMap((group) => group[0]!.tokens));
  }

  restart(startAtMs: number): void {
    this.startAtMs = startAtMs;
    this.nextNominalMs = startAtMs;
  }

  generateUntil(nowMs: number): void {
    while (this.nextNominalMs <= nowMs + ROUNDING_MARGIN_MS) {
      const k = this.videos.length;
      const content = videoContent(this.world.seed, this.shape, this.fillers, k);
      const publishedAtMs = Math.floor((this.nextNominalMs + content.publishJitter * this.intervalMs) / 1000) * 1000;
      const tokens = new Set<string>();
      for (const token of tokenize(`${content.title} ${content.description}`)) {
        const interned = this.world.intern(token);
        tokens.add(interned);
        this.vocabulary.add(interned);
      }
      // Every field spelled out in one order (no spread): all videos then share one hidden class,
      // which keeps the search loop over tens of thousands of them monomorphic and fast.
      const video: SimVideo = {
        id: content.id,
        channel: content.channel,
        title: content.title,
        description: content.description,
        liveBroadcastContent: content.liveBroadcastContent,
        timestampsWithMillis: content.timestampsWithMillis,
        viewCount: content.viewCount,
        likeCount: content.likeCount,
        commentCount: content.commentCount,
        relevance: content.relevance,
        publishJitter: content.publishJitter,
        indexDelayShare: content.indexDelayShare,
        fadeDraw: content.fadeDraw,
        streamKey: this.shape.key,
        streamOrder: this.order,
        k,
        publishedAtMs,
        indexedAtMs: publishedAtMs + lagFor(this.world.indexLag, content.indexDelayShare),
        tokens,
        removedAtMs: Number.POSITIVE_INFINITY,
        removedAs: null,
      };
      const fate = removalFate(this.world.seed, content.id, publishedAtMs, this.world.removalShare);
      if (fate !== undefined) {
        video.removedAtMs = fate.atMs;
        video.removedAs = fate.as;
      }
      this.videos.push(video);
      this.world.register(video);
      this.nextNominalMs += this.intervalMs;
    }
  }

  /** Index of the first video published at or after `ms` (videos are in publish order). */
  firstAtOrAfter(ms: number): number {
    let lo = 0;
    let hi = this.videos.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.videos[mid]!.publishedAtMs < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Matches, newest first. */
  matches(filter: VideoFilter, nowMs: number): SimVideo[] {
    const { query } = filter;
    if (!couldMatch(query, this.vocabulary)) return [];
    const upper = Math.min(nowMs, filter.publishedBeforeMs ?? Number.POSITIVE_INFINITY);
    const end = this.firstAtOrAfter(upper + 1);
    const start = filter.publishedAfterMs === undefined ? 0 : this.firstAtOrAfter(filter.publishedAfterMs);
    const everyVideoMatches =
      query.excluded.length === 0 &&
      query.groups.every((group) => group.some((alternative) => alternative.tokens.every((t) => this.commonTokens.has(t))));
    // Videos before index `fadeEnd` are old enough to fade out of search: those whose draw is
    // below fadeShare are left out (ground truth keeps them).
    const { fadeShare, fadeAfterMs } = this.world.searchBehaviour();
    const fadeEnd = filter.includeFaded === true || fadeShare === 0 ? 0 : this.firstAtOrAfter(nowMs - fadeAfterMs);
    const out: SimVideo[] = [];
    for (let i = end - 1; i >= start; i--) {
      const video = this.videos[i]!;
      if (filter.includeUnindexed !== true && video.indexedAtMs > nowMs) continue;
      if (video.removedAtMs <= nowMs && filter.includeRemoved !== true) continue;
      if (i < fadeEnd && video.fadeDraw < fadeShare) continue;
      if (filter.channelId !== undefined && video.channel.id !== filter.channelId) continue;
      if (filter.liveBroadcastContent !== undefined && video.liveBroadcastContent !== filter.liveBroadcastContent) continue;
      if (!everyVideoMatches && !matchesQuery(query, video.tokens)) continue;
      out.push(video);
    }
    return out;
  }

  info(nowMs: number): StreamInfo {
    this.generateUntil(nowMs);
    return {
      q: this.shape.key,
      publishIntervalMs: this.intervalMs,
      startAt: new Date(this.startAtMs).toISOString(),
      published: this.firstAtOrAfter(nowMs + 1),
    };
  }
}

/** Newest first; equal timestamps: earlier stream first, then the later upload first. */
function byDateDesc(a: SimVideo, b: SimVideo): number {
  return b.publishedAtMs - a.publishedAtMs || a.streamOrder - b.streamOrder || b.k - a.k;
}

const SIX_HOURS_MS = 6 * 3_600_000;

const COMPARATORS: Record<SearchOrder, (a: SimVideo, b: SimVideo) => number> = {
  date: byDateDesc,
  videoCount: byDateDesc,
  // Fresh videos first in coarse buckets, then a stable per-video score: "relevance" that is
  // neither date order nor random from one request to the next.
  relevance: (a, b) =>
    Math.floor(b.publishedAtMs / SIX_HOURS_MS) - Math.floor(a.publishedAtMs / SIX_HOURS_MS) ||
    b.relevance - a.relevance ||
    byDateDesc(a, b),
  viewCount: (a, b) => b.viewCount - a.viewCount || byDateDesc(a, b),
  rating: (a, b) => b.likeCount - a.likeCount || byDateDesc(a, b),
  title: (a, b) => (a.title < b.title ? -1 : a.title > b.title ? 1 : byDateDesc(a, b)),
};

/** How search orders its results (the page's own order, also for videos a leak adds). */
export function compareVideos(order: SearchOrder): (a: SimVideo, b: SimVideo) => number {
  return COMPARATORS[order];
}

/** The first `count` items of several newest-first lists, merged. */
function mergeNewestFirst(lists: SimVideo[][], count: number): SimVideo[] {
  const positions = lists.map(() => 0);
  const out: SimVideo[] = [];
  while (out.length < count) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const candidate = lists[i]![positions[i]!];
      if (candidate === undefined) continue;
      if (best === -1 || byDateDesc(candidate, lists[best]![positions[best]!]!) < 0) best = i;
    }
    if (best === -1) break;
    out.push(lists[best]![positions[best]!]!);
    positions[best]! += 1;
  }
  return out;
}

export class World {
  readonly seed: number;
  readonly indexLag: readonly IndexLagTier[];
  readonly removalShare: number;
  private behaviour: SearchBehaviour;
  private readonly clock: SimClock;
  private readonly defaultIntervalMs: number;
  private readonly historyMs: number;
  private readonly maxHistoryVideos: number;
  private readonly simStartMs: number;
  private readonly streamsByKey = new Map<string, VideoStream>();
  private readonly streamList: VideoStream[] = [];
  private readonly videosById = new Map<string, SimVideo>();
  private readonly words = new Map<string, string>();
  private readonly channelsById = new Map<string, SimChannel>();
  private readonly channelsByHandle = new Map<string, SimChannel>();

  constructor(options: WorldOptions) {
    this.seed = options.seed;
    this.clock = options.clock;
    this.defaultIntervalMs = positive('publishIntervalMs', options.publishIntervalMs);
    this.indexLag = Object.freeze(parseIndexLag(options.indexLag));
    // Applied onto itself, every field is checked.
    this.behaviour = mergeSearchBehaviour(options.searchBehaviour, options.searchBehaviour);
    this.historyMs = nonNegative('historyMs', options.historyMs);
    this.maxHistoryVideos = nonNegative('maxHistoryVideos', options.maxHistoryVideos);
    if (!(options.removalShare >= 0 && options.removalShare <= 1)) throw new RangeError(`removalShare must be a number from 0 to 1, got ${options.removalShare}`);
    this.removalShare = options.removalShare;
    this.simStartMs = options.clock.nowMs();
  }

  searchBehaviour(): SearchBehaviour {
    return { ...this.behaviour };
  }

  /** Changes the fields given; the others stay. */
  setSearchBehaviour(change: Partial<SearchBehaviour>): SearchBehaviour {
    this.behaviour = mergeSearchBehaviour(this.behaviour, change);
    return this.searchBehaviour();
  }

  /** Whether search returns the video right now: indexed, not faded out with age, not deleted or private. */
  searchable(video: SimVideo, nowMs: number): boolean {
    return video.indexedAtMs <= nowMs && video.removedAtMs > nowMs && !faded(this.behaviour, video.fadeDraw, video.publishedAtMs, nowMs);
  }

  /** One shared string per distinct word keeps tens of thousands of word sets small. */
  intern(word: string): string {
    const known = this.words.get(word);
    if (known !== undefined) return known;
    this.words.set(word, word);
    return word;
  }

  register(video: SimVideo): void {
    this.videosById.set(video.id, video);
  }

  /** Creates or adjusts a stream. A new interval applies to videos not yet published. */
  configureStream(config: StreamConfig): StreamInfo {
    const interval = config.publishIntervalMs === undefined ? undefined : positive('publishIntervalMs', config.publishIntervalMs);
    const startAtMs = config.startAt === undefined ? undefined : toMillis(config.startAt);
    const existing = this.streamsByKey.get(normalizeQuery(config.q));
    const stream = existing ?? this.streamFor(config.q, interval, startAtMs);
    if (stream === undefined) throw new RangeError(`query "${config.q}" has no word to build videos from`);
    if (existing !== undefined) {
      if (startAtMs !== undefined && startAtMs !== stream.startAtMs) {
        if (stream.videos.length > 0) {
          throw new ConflictError(`stream "${stream.shape.key}" has already published videos; its start cannot move`);
        }
        stream.restart(startAtMs);
      }
      if (interval !== undefined) stream.intervalMs = interval;
    }
    return stream.info(this.clock.nowMs());
  }

  streams(): StreamInfo[] {
    const nowMs = this.clock.nowMs();
    this.catchUp(nowMs);
    return this.streamList.map((stream) => stream.info(nowMs));
  }

  /** Matching videos in the requested order; `offset`/`limit` select the slice returned. */
  search(filter: VideoFilter, order: SearchOrder, offset: number, limit: number): SearchResult {
    const nowMs = this.clock.nowMs();
    if (filter.query.normalized !== '') this.streamFor(filter.query.normalized);
    this.catchUp(nowMs);
    const perStream = this.streamList.map((stream) => stream.matches(filter, nowMs)).filter((list) => list.length > 0);
    const total = perStream.reduce((sum, list) => sum + list.length, 0);
    let ordered: SimVideo[];
    if (order === 'date' || order === 'videoCount') {
      ordered = perStream.length === 1 ? perStream[0]! : mergeNewestFirst(perStream, offset + limit);
    } else {
      ordered = perStream.flat().sort(COMPARATORS[order]);
    }
    return { total, items: ordered.slice(offset, offset + limit) };
  }

  nowMs(): number {
    return this.clock.nowMs();
  }

  /** Published by now and neither deleted nor private. */
  isPublic(video: SimVideo, nowMs: number): boolean {
    return video.publishedAtMs <= nowMs && video.removedAtMs > nowMs;
  }

  /** A public video by id (videos.list sees uploads at once; only search waits for indexing). */
  video(id: string): SimVideo | undefined {
    const video = this.anyVideo(id);
    return video !== undefined && this.isPublic(video, this.clock.nowMs()) ? video : undefined;
  }

  /** A generated video by id, whatever its state (for the control API). */
  anyVideo(id: string): SimVideo | undefined {
    this.catchUp(this.clock.nowMs());
    return this.videosById.get(id);
  }

  /** Deletes a video or makes it private from `atMs` on (default: now); it stays so. */
  removeVideo(id: string, as: Removal, atMs: number = this.clock.nowMs()): SimVideo | undefined {
    const video = this.anyVideo(id);
    if (video === undefined) return undefined;
    if (video.removedAtMs > atMs || video.removedAs !== as) {
      video.removedAtMs = Math.min(video.removedAtMs, atMs);
      video.removedAs = as;
    }
    return video;
  }

  /** The most viewed public videos (videos.list chart=mostPopular). */
  mostPopular(limit: number): SimVideo[] {
    const nowMs = this.clock.nowMs();
    this.catchUp(nowMs);
    const published = this.streamList.flatMap((stream) =>
      stream.videos.slice(0, stream.firstAtOrAfter(nowMs + 1)).filter((video) => video.removedAtMs > nowMs),
    );
    return published.sort(COMPARATORS.viewCount).slice(0, limit);
  }

  channel(id: string): SimChannel | undefined {
    return this.channelsById.get(id);
  }

  /** By handle, with or without the @, any case. */
  channelByHandle(handle: string): SimChannel | undefined {
    return this.channelsByHandle.get(normalizeHandle(handle));
  }

  /** Every channel, in the order their streams appeared. */
  channels(): SimChannel[] {
    return [...this.channelsById.values()];
  }

  /**
   * A channel's public uploads, newest first: what its uploads playlist lists. Complete as soon
   * as a video is published (no indexing lag, no fading), unlike search.
   */
  uploads(channelId: string): SimVideo[] {
    const channel = this.channelsById.get(channelId);
    if (channel === undefined) return [];
    const nowMs = this.clock.nowMs();
    this.catchUp(nowMs);
    const stream = this.streamsByKey.get(channel.stream)!;
    const out: SimVideo[] = [];
    for (let i = stream.firstAtOrAfter(nowMs + 1) - 1; i >= 0; i--) {
      const video = stream.videos[i]!;
      if (video.channel.id === channelId && video.removedAtMs > nowMs) out.push(video);
    }
    return out;
  }

  private catchUp(nowMs: number): void {
    for (const stream of this.streamList) stream.generateUntil(nowMs);
  }

  private streamFor(q: string, intervalMs?: number, startAtMs?: number): VideoStream | undefined {
    const key = normalizeQuery(q);
    const existing = this.streamsByKey.get(key);
    if (existing !== undefined) return existing;
    const query = parseQuery(key);
    if (query.groups.length === 0) return undefined;
    const interval = intervalMs ?? this.defaultIntervalMs;
    const history = Math.min(this.historyMs, this.maxHistoryVideos * interval);
    const shape: StreamShape = {
      key,
      groups: query.groups,
      excludedTokens: new Set(query.excluded.flatMap((term) => term.tokens)),
      channels: streamChannels(this.seed, key),
    };
    const stream = new VideoStream(shape, this.streamList.length, interval, startAtMs ?? this.simStartMs - history, this);
    this.streamsByKey.set(key, stream);
    this.streamList.push(stream);
    for (const channel of shape.channels) {
      if (this.channelsById.has(channel.id)) continue;
      const simChannel: SimChannel = { id: channel.id, title: channel.title, profile: channelProfile(this.seed, channel), stream: key };
      this.channelsById.set(channel.id, simChannel);
      this.channelsByHandle.set(simChannel.profile.handle, simChannel);
    }
    return stream;
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be zero or more, got ${value}`);
  return value;
}
