// The page-1 snapshot: what the API needs to answer `/getData?pageNo=1` for any limit up to
// 100 without touching MySQL and without serialising per request. The worker writes one per
// feed scope after every run that changed something (and on boot) and announces it on a
// pub/sub channel; API processes keep the parsed snapshot in memory (snapshot-cache.ts).
//
// Format (a Redis string): a JSON header line, then one already-serialised video per line,
// newest first. JSON never contains a raw newline, so lines split safely without a second
// round of escaping.
import { createHash } from 'node:crypto';
import { groupKey, redisKey, type RedisClient } from '../platform/redis/create-redis.js';
import { serializeVideo } from '../catalog/video-json.js';
import type { VideoRepository } from '../catalog/video-repository.js';

export const SNAPSHOT_SIZE = 100;

export interface FeedSnapshot {
  readonly scope: number;
  readonly total: number;
  /** Serialised videos, newest first (at most SNAPSHOT_SIZE). */
  readonly videos: readonly string[];
  /** Content hash: equal snapshots have equal versions, whichever process built them. */
  readonly version: string;
  readonly generatedAt: string;
}

// The snapshots of every scope are written in one MULTI: one hash-tag group, one cluster slot.
export const snapshotKey = (prefix: string, scope: number): string => groupKey(prefix, 'feed', 'snapshot', scope);
export const snapshotChannel = (prefix: string): string => redisKey(prefix, 'feed', 'changed');

export async function buildSnapshot(
  videos: Pick<VideoRepository, 'newest'>,
  scope: number,
  now: Date,
): Promise<FeedSnapshot> {
  const slice = await videos.newest(scope, SNAPSHOT_SIZE);
  const lines = slice.videos.map(serializeVideo);
  const version = createHash('sha1').update(String(slice.total)).update('\n').update(lines.join('\n')).digest('base64url').slice(0, 16);
  return { scope, total: slice.total, videos: lines, version, generatedAt: now.toISOString() };
}

export function encodeSnapshot(snapshot: FeedSnapshot): string {
  const header = JSON.stringify({
    v: 1,
    scope: snapshot.scope,
    total: snapshot.total,
    version: snapshot.version,
    generatedAt: snapshot.generatedAt,
  });
  return [header, ...snapshot.videos].join('\n');
}

export function decodeSnapshot(text: string): FeedSnapshot {
  const [headerLine = '', ...videos] = text.split('\n');
  const header = JSON.parse(headerLine) as { v: number; scope: number; total: number; version: string; generatedAt: string };
  if (header.v !== 1) throw new Error(`unknown snapshot format ${header.v}`);
  return { scope: header.scope, total: header.total, version: header.version, generatedAt: header.generatedAt, videos };
}

export interface SnapshotWriterDeps {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly videos: Pick<VideoRepository, 'newest'>;
  readonly now: () => Date;
}

export type SnapshotWriter = ReturnType<typeof createSnapshotWriter>;

export function createSnapshotWriter({ redis, prefix, videos, now }: SnapshotWriterDeps) {
  /** Rebuilds the snapshots of these scopes from MySQL, stores them and announces them. */
  async function refresh(scopes: readonly number[]): Promise<FeedSnapshot[]> {
    const unique = [...new Set(scopes)];
    const snapshots = await Promise.all(unique.map((scope) => buildSnapshot(videos, scope, now())));
    const pipeline = redis.multi();
    for (const snapshot of snapshots) pipeline.set(snapshotKey(prefix, snapshot.scope), encodeSnapshot(snapshot));
    pipeline.publish(snapshotChannel(prefix), JSON.stringify({ scopes: unique }));
    await pipeline.exec();
    return snapshots;
  }
  return { refresh };
}
