// Watches page 1 the way the API is meant to: every announcement the worker makes on the
// feed-changed channel after storing videos (the snapshot it names is read back from Redis at
// once), and how long an API process then takes to serve it. The watch is a client of its
// own, subscribed only once its connection is ready, so it never misses what it measures.
import { Redis } from 'ioredis';
import { ALL_VIDEOS_SCOPE, decodeSnapshot, redisKey, snapshotChannel, snapshotKey, type RedisClient } from '@tubefeed/core';
import { sleep, until } from '@tubefeed/core/testing';

export interface Store {
  /** Order of announcement, from 1. */
  readonly seq: number;
  /** performance.now() when the announcement arrived here. */
  readonly receivedAt: number;
  /** The snapshot's version: the API's ETag for page 1 is `"<version>-<limit>"`. */
  readonly version: string;
  readonly total: number;
  /** video_id of every video in the snapshot, newest first. */
  readonly ids: readonly string[];
  /** Those not in the snapshot before it: what this store put on page 1. */
  readonly newIds: readonly string[];
}

export interface PageOneWatch {
  readonly stores: readonly Store[];
  /** Announcements that could not be read back (expected to stay empty). */
  readonly problems: readonly string[];
  /** The first store after `afterSeq` that put a new video on page 1. */
  nextStore(afterSeq: number, timeoutMs?: number): Promise<Store>;
  close(): void;
}

const idsOf = (videos: readonly string[]) => videos.map((line) => (JSON.parse(line) as { video_id: string }).video_id);

export async function watchPageOne(redisUrl: string, prefix: string): Promise<PageOneWatch> {
  const reader = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const subscriber = new Redis(redisUrl, { lazyConnect: true });
  // A Redis the scenario restarts: both reconnect; the failures are the scenario's own doing.
  for (const client of [reader, subscriber]) client.on('error', () => undefined);
  const stores: Store[] = [];
  const problems: string[] = [];
  let previous = new Set<string>();
  const read = async () => {
    const text = await reader.get(snapshotKey(prefix, ALL_VIDEOS_SCOPE));
    return text === null ? null : decodeSnapshot(text);
  };
  const initial = await read();
  if (initial !== null) previous = new Set(idsOf(initial.videos));

  // Announcements are handled one after the other, so each store is compared with the one before.
  let chain = Promise.resolve();
  subscriber.on('message', (_channel: string, message: string) => {
    const receivedAt = performance.now();
    const { scopes } = JSON.parse(message) as { scopes: number[] };
    if (!scopes.includes(ALL_VIDEOS_SCOPE)) return;
    chain = chain
      .then(async () => {
        const snapshot = await read();
        if (snapshot === null) return;
        const ids = idsOf(snapshot.videos);
        stores.push({ seq: stores.length + 1, receivedAt, version: snapshot.version, total: snapshot.total, ids, newIds: ids.filter((id) => !previous.has(id)) });
        previous = new Set(ids);
      })
      .catch((error: unknown) => {
        problems.push((error as Error).message);
      });
  });
  await subscriber.connect();
  await subscriber.subscribe(snapshotChannel(prefix));

  return {
    stores,
    problems,
    nextStore: (afterSeq, timeoutMs = 30_000) =>
      until('the worker to store a new video', () => stores.find((store) => store.seq > afterSeq && store.newIds.length > 0), timeoutMs, 10),
    close() {
      reader.disconnect();
      subscriber.disconnect();
    },
  };
}

export interface Served {
  /** From the announcement reaching the watch to the API serving that page 1 (or a later one). */
  readonly ms: number;
  readonly etag: string;
  readonly totalCount: number;
  readonly ids: readonly string[];
}

/**
 * Polls `GET /getData?pageNo=1&limit=` until the API serves the store's snapshot or a later
 * one. Fails after `timeoutMs`, saying what it served instead.
 */
export async function pageOneServes(base: string, watch: PageOneWatch, store: Store, limit: number, timeoutMs = 5000): Promise<Served> {
  for (;;) {
    const response = await fetch(`${base}/getData?pageNo=1&limit=${limit}`, { signal: AbortSignal.timeout(2000) });
    const at = performance.now();
    const body = (await response.json()) as { totalCount: number; videos: Array<{ video_id: string }> };
    const etag = response.headers.get('etag') ?? '';
    const version = /^"(.+)-\d+"$/.exec(etag)?.[1];
    if (watch.stores.some((s) => s.seq >= store.seq && s.version === version)) {
      return { ms: at - store.receivedAt, etag, totalCount: body.totalCount, ids: body.videos.map((video) => video.video_id) };
    }
    if (at - store.receivedAt > timeoutMs) {
      const served = `${response.status} ${etag} totalCount ${body.totalCount}`;
      throw new Error(`${base} did not serve store #${store.seq} (version ${store.version}) within ${timeoutMs} ms; it served ${served}`);
    }
    await sleep(10);
  }
}

export interface SubscriberCounts {
  /** Subscribers of the feed-changed channel, a watch of this file's not counted. */
  readonly feedChanged: number;
  readonly control: number;
}

/** PUBSUB NUMSUB of the deployment's two channels. `watching`: watches of ours on feed-changed. */
export async function subscriberCounts(redis: RedisClient, prefix: string, watching = 1): Promise<SubscriberCounts> {
  const reply = (await redis.pubsub('NUMSUB', snapshotChannel(prefix), redisKey(prefix, 'control'))) as Array<string | number>;
  return { feedChanged: Number(reply[1]) - watching, control: Number(reply[3]) };
}

/**
 * The counts once they equal `expected` (processes subscribe as they finish booting), or as
 * they are after `timeoutMs`, for the caller's assertion to show.
 */
export async function settledSubscriberCounts(redis: RedisClient, prefix: string, expected: SubscriberCounts, timeoutMs = 10_000): Promise<SubscriberCounts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await subscriberCounts(redis, prefix);
    if ((counts.feedChanged === expected.feedChanged && counts.control === expected.control) || Date.now() > deadline) return counts;
    await sleep(50);
  }
}
