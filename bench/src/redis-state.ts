// The Redis side of the benchmark: one key prefix per system under test (cleared afterwards),
// and the page-1 snapshot of the seeded data set, written as the worker writes it on boot, so
// the API serves page 1 the way it does in production also when the data set is reused.
import { access } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { ALL_VIDEOS_SCOPE, clearPrefix, createDb, createSnapshotWriter, createVideoRepository, systemClock } from '@tubefeed/core';

export function openRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
}

export async function redisVersion(redis: Redis): Promise<string> {
  const info = await redis.info('server');
  return /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown';
}

/** Redis's process id when it runs on this machine (for the CPU split), else null. */
export async function redisServerPid(redis: Redis): Promise<number | null> {
  const pid = Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    await access(`/proc/${pid}/stat`);
    return pid;
  } catch {
    return null;
  }
}

/** Key prefix of one system under test, unique to this harness process. */
export function benchPrefix(basePrefix: string, label: string, pid: number): string {
  return `${basePrefix}-bench-${pid}-${label}`;
}

export { clearPrefix };

/** Builds the page-1 snapshot of every scope the API will be asked for and stores it under `prefix`. */
export async function writeFeedSnapshot(redis: Redis, prefix: string, mysqlUrl: string): Promise<{ total: number; version: string }> {
  const db = createDb({ url: mysqlUrl, poolSize: 1 });
  try {
    const writer = createSnapshotWriter({
      redis,
      prefix,
      videos: createVideoRepository({ db: db.kysely, clock: systemClock }),
      now: () => systemClock.now(),
    });
    const [snapshot] = await writer.refresh([ALL_VIDEOS_SCOPE]);
    if (snapshot === undefined) throw new Error('no snapshot was written');
    return { total: snapshot.total, version: snapshot.version };
  } finally {
    await db.close();
  }
}
