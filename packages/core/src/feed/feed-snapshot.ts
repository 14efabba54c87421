// The page-1 snapshot: what the API needs to answer `/getData?pageNo=1` for any limit up to
// 100 without touching MySQL and without serialising per request. The worker writes one per
// feed scope after every run that changed something (and on boot) and announces it on a
// pub/sub channel; API processes keep the parsed snapshot in memory (snapshot-cache.ts).
//
// Format (a Redis string): a JSON header line, then one already-serialised video per line,
// newest first. JSON never contains a raw newline, so lines split safely without a second
// round of escaping.
//
// Ordering: rebuilds may run in several workers at once, and a slow MySQL read may finish after
// a later one. Each rebuild takes a number from a counter (INCR) before it reads, and stores a
// snapshot only if it is newer than the stored one's (one script: compare, SET, PUBLISH), so an
// older read never replaces a newer snapshot, and is not announced.
import { createHash } from 'node:crypto';
import { groupKey, redisKey, type RedisClient } from '../platform/redis/create-redis.js';
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
  /** Order of the read that built it (taken before reading); absent when built for one reader only. */
  readonly seq?: number;
}

// The snapshots of every scope are written in one MULTI: one hash-tag group, one cluster slot.
export const snapshotKey = (prefix: string, scope: number): string => groupKey(prefix, 'feed', 'snapshot', scope);
export const snapshotChannel = (prefix: string): string => redisKey(prefix, 'feed', 'changed');
/** The counter that orders rebuilds' reads: same hash tag as the snapshots. */
export const snapshotSeqKey = (prefix: string): string => groupKey(prefix, 'feed', 'snapshot-seq');

// KEYS: the snapshots' keys; ARGV: seq, channel, then each key's encoded snapshot, then its scope.
// The stored seq is read from the header's first bytes (written second, after `v`); a snapshot
// without one (written before seqs existed) counts as 0. Returns the scopes written.
const STORE_IF_NEWER = `
local seq = tonumber(ARGV[1])
local n = #KEYS
local written = {}
for i = 1, n do
  local head = redis.call('GETRANGE', KEYS[i], 0, 255)
  local stored = tonumber(string.match(string.match(head, '^[^\\n]*'), '"seq":(%d+)') or '0')
  if seq > stored then
    redis.call('SET', KEYS[i], ARGV[2 + i])
    written[#written + 1] = tonumber(ARGV[2 + n + i])
  end
end
if #written > 0 then redis.call('PUBLISH', ARGV[2], cjson.encode({ scopes = written })) end
return written`;

export async function buildSnapshot(
  videos: Pick<VideoRepository, 'newest'>,
  scope: number,
  now: Date,
): Promise<FeedSnapshot> {
  const slice = await videos.newest(scope, SNAPSHOT_SIZE);
  const lines = slice.videos.map((video) => video.json.toString('utf8'));
  const version = createHash('sha1').update(String(slice.total)).update('\n').update(lines.join('\n')).digest('base64url').slice(0, 16);
  return { scope, total: slice.total, videos: lines, version, generatedAt: now.toISOString() };
}

export function encodeSnapshot(snapshot: FeedSnapshot): string {
  const header = JSON.stringify({
    v: 1,
    ...(snapshot.seq === undefined ? {} : { seq: snapshot.seq }),
    scope: snapshot.scope,
    total: snapshot.total,
    version: snapshot.version,
    generatedAt: snapshot.generatedAt,
  });
  return [header, ...snapshot.videos].join('\n');
}

export function decodeSnapshot(text: string): FeedSnapshot {
  const [headerLine = '', ...videos] = text.split('\n');
  const header = JSON.parse(headerLine) as { v: number; seq?: number; scope: number; total: number; version: string; generatedAt: string };
  if (header.v !== 1) throw new Error(`unknown snapshot format ${header.v}`);
  const { scope, total, version, generatedAt, seq } = header;
  return { scope, total, version, generatedAt, videos, ...(seq === undefined ? {} : { seq }) };
}

export interface SnapshotWriterDeps {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly videos: Pick<VideoRepository, 'newest'>;
  readonly now: () => Date;
}

export type SnapshotWriter = ReturnType<typeof createSnapshotWriter>;

export function createSnapshotWriter({ redis, prefix, videos, now }: SnapshotWriterDeps) {
  /**
   * Rebuilds the snapshots of these scopes from MySQL, stores them and announces them, unless a
   * rebuild that started reading later has already stored a scope's (that one is left as it is).
   */
  async function refresh(scopes: readonly number[]): Promise<FeedSnapshot[]> {
    const unique = [...new Set(scopes)];
    if (unique.length === 0) return [];
    // Taken before reading: a rebuild that starts reading later always has a higher seq.
    const seq = await redis.incr(snapshotSeqKey(prefix));
    const built = await Promise.all(unique.map((scope) => buildSnapshot(videos, scope, now())));
    const snapshots = built.map((snapshot) => ({ ...snapshot, seq }));
    await redis.eval(
      STORE_IF_NEWER,
      snapshots.length,
      ...snapshots.map((snapshot) => snapshotKey(prefix, snapshot.scope)),
      seq,
      snapshotChannel(prefix),
      ...snapshots.map(encodeSnapshot),
      ...snapshots.map((snapshot) => snapshot.scope),
    );
    return snapshots;
  }
  return { refresh };
}
