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
//
// The same notices keep each scope's layout (catalog/feed-layout.ts) for the pages beyond the
// first: loaded from MySQL on the first deep page after a change, shared by concurrent
// requests, and dropped with the scope's snapshot.
import type { RedisClient } from '../platform/redis/create-redis.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { ChannelState, ChannelSubscriber } from '../platform/redis/channel-subscriber.js';
import { feedPageJson } from '../catalog/video-json.js';
import type { FeedLayout } from '../catalog/feed-layout.js';
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
  /** Reads a scope's layout from MySQL; null when it is too large to keep (then pages are located in SQL). */
  readonly layoutFromDatabase?: (scope: number) => Promise<FeedLayout | null>;
  /**
   * Longest a layout is kept, notices or not: a change no notice names (a video moving hours
   * under several queries, a count rebuild) or a replica behind is forgotten after it.
   */
  readonly layoutMaxAgeMs?: number;
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

interface Expiring {
  expiresAt: number;
}

/**
 * Values per scope, loaded once however many ask at the same time, kept until they expire or
 * are dropped; a load that started before a drop is not kept after it.
 */
function scopedValues<Value extends Expiring>(now: () => number, load: (scope: number) => Promise<Value>) {
  const values = new Map<number, Value>();
  const loading = new Map<number, Promise<Value>>();
  // Bumped by every drop.
  let epoch = 0;
  return {
    get(scope: number): Promise<Value> {
      const cached = values.get(scope);
      if (cached !== undefined && cached.expiresAt > now()) return Promise.resolve(cached);
      const inFlight = loading.get(scope);
      if (inFlight !== undefined) return inFlight;
      const startedAt = epoch;
      const pending: Promise<Value> = load(scope)
        .then((value) => {
          if (epoch === startedAt) values.set(scope, value);
          return value;
        })
        .finally(() => {
          if (loading.get(scope) === pending) loading.delete(scope);
        });
      loading.set(scope, pending);
      return pending;
    },
    /** Drops these scopes, or all. */
    drop(scopes?: readonly number[]): void {
      epoch++;
      if (scopes === undefined) {
        values.clear();
        loading.clear();
        return;
      }
      for (const scope of scopes) {
        values.delete(scope);
        loading.delete(scope);
      }
    },
    /** Makes every value expire by `at` at the latest. */
    expireBy(at: number): void {
      for (const value of values.values()) value.expiresAt = Math.min(value.expiresAt, at);
    },
  };
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
  const { redis, channels, prefix, clock, log, fromDatabase, layoutFromDatabase, untrustedTtlMs = 1000, maxAgeMs = 30_000, layoutMaxAgeMs = 5000, onServe } =
    deps;
  const channel = snapshotChannel(prefix);
  const now = () => clock.now().getTime();
  let trusted = false;
  const entries = scopedValues(now, load);
  const layouts = scopedValues(now, async (scope) => {
    const layout = await layoutFromDatabase!(scope);
    return { layout, expiresAt: now() + (trusted ? layoutMaxAgeMs : untrustedTtlMs) };
  });
  const caches = [entries, layouts];

  function onMessage(message: string): void {
    let scopes: number[] | undefined;
    try {
      ({ scopes } = JSON.parse(message) as { scopes: number[] });
    } catch {
      scopes = undefined;
    }
    for (const cache of caches) cache.drop(Array.isArray(scopes) ? scopes : undefined);
  }

  function onChannelState(state: ChannelState): void {
    if (state === 'up') {
      // Whenever the subscription is (re)established, anything cached may have missed messages.
      for (const cache of caches) cache.drop();
      trusted = true;
      log.info('snapshot channel up: page 1 is refreshed on change');
      return;
    }
    trusted = false;
    // Entries loaded while it was up were meant to live until a message: no message may come now.
    for (const cache of caches) cache.expireBy(now() + untrustedTtlMs);
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

  /** The complete `/getData?pageNo=1&limit=…` body for a scope. */
  async function pageOne(scope: number, limit: number): Promise<PageOneBody> {
    const entry = await entries.get(scope);
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

  /** The scope's layout as of its latest change, or null when this cache reads none. */
  async function layout(scope: number): Promise<FeedLayout | null> {
    if (layoutFromDatabase === undefined) return null;
    return (await layouts.get(scope)).layout;
  }

  function stop(): void {
    for (const off of stopListening.splice(0)) off();
    for (const cache of caches) cache.drop();
  }

  return { start, stop, pageOne, layout };
}
