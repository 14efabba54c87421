// The API side of the page-1 snapshot. Each API process keeps the parsed snapshot of each feed
// scope in memory, and for each limit the finished response body (a Buffer) and its ETag, so a
// page-1 request costs no database query, no Redis round trip and no serialisation.
//
// Freshness: the worker publishes on a channel after writing a snapshot; this cache drops the
// scopes named in the message and reloads them (one Redis GET, shared by concurrent requests)
// on the next request. While the subscription is down (channel-subscriber.ts says so) a message
// could be missed, so entries then live at most `untrustedTtlMs`, those loaded before included;
// when it is up again everything is dropped, since a message may have been missed meanwhile.
// Every entry is also reloaded after `maxAgeMs` as a last safety net. With no snapshot in
// Redis, or Redis unreachable, page 1 is built from MySQL by the same code the worker uses,
// shared by concurrent requests and kept for `untrustedTtlMs`, so even then requests cannot
// stampede the database.
import type { RedisClient } from '../platform/redis/create-redis.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { ChannelState, ChannelSubscriber } from '../platform/redis/channel-subscriber.js';
import { feedPageJson } from '../catalog/video-json.js';
import { decodeSnapshot, snapshotChannel, snapshotKey, type FeedSnapshot } from './feed-snapshot.js';

export interface PageOneBody {
  readonly body: Buffer;
  readonly etag: string;
  readonly source: 'snapshot' | 'database';
}

export interface SnapshotCacheDeps {
  readonly redis: RedisClient;
  /** The process's pub/sub connection: the change notices arrive through it. */
  readonly channels: Pick<ChannelSubscriber, 'on' | 'onState' | 'state'>;
  readonly prefix: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Builds the snapshot from MySQL when Redis has none or cannot be reached. */
  readonly fromDatabase: (scope: number) => Promise<FeedSnapshot>;
  readonly untrustedTtlMs?: number;
  readonly maxAgeMs?: number;
  /** Called once per request served, for metrics. */
  readonly onServe?: (source: PageOneBody['source']) => void;
}

interface Entry {
  readonly snapshot: FeedSnapshot;
  readonly source: PageOneBody['source'];
  expiresAt: number;
  readonly bodies: Map<number, PageOneBody>;
}

export type SnapshotCache = ReturnType<typeof createSnapshotCache>;

/**
 * Finished bodies kept per scope: `limit` is the client's choice (1-100, up to 58 KB a body at
 * 100), so a client cycling through every limit of every followed query could otherwise make
 * each process hold ~3 MB per query. The oldest built goes first; one that is asked for again
 * is built again (one serialisation), nothing is moved on a hit.
 */
export const MAX_BODIES_PER_SCOPE = 8;

export function createSnapshotCache(deps: SnapshotCacheDeps) {
  const { redis, channels, prefix, clock, log, fromDatabase, untrustedTtlMs = 1000, maxAgeMs = 30_000, onServe } = deps;
  const channel = snapshotChannel(prefix);
  const entries = new Map<number, Entry>();
  const loading = new Map<number, Promise<Entry>>();
  let trusted = false;
  // Bumped by every invalidation: a load that started before one must not be cached after it.
  let epoch = 0;

  function onMessage(message: string): void {
    epoch++;
    try {
      const { scopes } = JSON.parse(message) as { scopes: number[] };
      for (const scope of scopes) {
        entries.delete(scope);
        loading.delete(scope);
      }
    } catch {
      entries.clear();
      loading.clear();
    }
  }

  function onChannelState(state: ChannelState): void {
    if (state === 'up') {
      // Whenever the subscription is (re)established, anything cached may have missed messages.
      epoch++;
      entries.clear();
      loading.clear();
      trusted = true;
      log.info('snapshot channel up: page 1 is refreshed on change');
      return;
    }
    trusted = false;
    // Entries loaded while it was up were meant to live until a message: no message may come now.
    const latest = clock.now().getTime() + untrustedTtlMs;
    for (const entry of entries.values()) entry.expiresAt = Math.min(entry.expiresAt, latest);
    log.warn({ refreshMs: untrustedTtlMs }, 'snapshot channel down: page 1 is refreshed by time');
  }

  const stopListening: Array<() => void> = [];

  /** Registers its channel; the owner subscribes it without waiting, so the API boots without Redis. */
  function start(): void {
    stopListening.push(channels.on(channel, onMessage), channels.onState(onChannelState));
    trusted = channels.state() === 'up';
  }

  async function load(scope: number): Promise<Entry> {
    const now = clock.now().getTime();
    let text: string | null = null;
    try {
      text = await redis.get(snapshotKey(prefix, scope));
    } catch (error) {
      log.debug({ err: (error as Error).message }, 'snapshot read failed; using the database');
    }
    if (text !== null) {
      try {
        const snapshot = decodeSnapshot(text);
        return { snapshot, source: 'snapshot', expiresAt: now + (trusted ? maxAgeMs : untrustedTtlMs), bodies: new Map() };
      } catch (error) {
        log.warn({ scope, err: (error as Error).message }, 'unreadable snapshot; using the database');
      }
    }
    const snapshot = await fromDatabase(scope);
    return { snapshot, source: 'database', expiresAt: clock.now().getTime() + untrustedTtlMs, bodies: new Map() };
  }

  async function entryFor(scope: number): Promise<Entry> {
    const cached = entries.get(scope);
    if (cached !== undefined && cached.expiresAt > clock.now().getTime()) return cached;
    const inFlight = loading.get(scope);
    if (inFlight !== undefined) return inFlight;
    const startedAt = epoch;
    const pending: Promise<Entry> = load(scope)
      .then((entry) => {
        if (epoch === startedAt) entries.set(scope, entry);
        return entry;
      })
      .finally(() => {
        if (loading.get(scope) === pending) loading.delete(scope);
      });
    loading.set(scope, pending);
    return pending;
  }

  /** The complete `/getData?pageNo=1&limit=…` body for a scope. */
  async function pageOne(scope: number, limit: number): Promise<PageOneBody> {
    const entry = await entryFor(scope);
    let served = entry.bodies.get(limit);
    if (served === undefined) {
      const { snapshot } = entry;
      const json = feedPageJson({ pageNo: 1, limit, totalCount: snapshot.total }, snapshot.videos.slice(0, limit));
      served = { body: Buffer.from(json), etag: `"${snapshot.version}-${limit}"`, source: entry.source };
      if (entry.bodies.size >= MAX_BODIES_PER_SCOPE) entry.bodies.delete(entry.bodies.keys().next().value!);
      entry.bodies.set(limit, served);
    }
    onServe?.(served.source);
    return served;
  }

  function stop(): void {
    for (const off of stopListening.splice(0)) off();
    entries.clear();
  }

  return { start, stop, pageOne };
}
