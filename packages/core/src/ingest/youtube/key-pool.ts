// The pool of YouTube API keys, shared by every worker through Redis.
//
// Quota as YouTube counts it (youtube-api.md): each Google Cloud project has its own daily
// buckets, `search` (search.list, 100 calls a day by default, 1 per call) and `units` (every
// other read method together, 10,000 a day, 1 per videos.list call), and every key of a project
// draws from the project's buckets. So the pool counts per project and per bucket: two keys of
// one project are one budget, keys of two projects are two.
//
// Choosing a key is one atomic Lua script: it advances the round-robin index, skips keys that
// are disabled, suspect, or whose project's bucket is exhausted (by a quota answer, or by our
// own count of the current Pacific quota day), and charges the call to the project's bucket
// before the call, because YouTube charges failed calls too. When no key can be used the script
// says why (every usable project's bucket spent, with the earliest reset; or none usable), so
// no call is made at all.
//
// Exhaustion, rejection and suspicion are also written to MySQL (api_keys, through a
// KeyStateStore): Redis here keeps nothing on disk. The key source hands each key's saved state
// to the script with the key, so after a Redis restart the pool still skips keys that are out
// of quota, rejected or suspect, and acquiring stays one Redis round trip with no MySQL read.
// Redis and the saved state are combined, never copied into each other: an operator's enable
// clears both.
//
// Redis layout (key ids are fingerprints, never keys; a project id is the operator's label, or
// `key:<fingerprint>` for a key of a project of its own). Every key sits in the deployment's
// hash-tag group `{<prefix>}` (groupKey), so the acquire script and the transactions below, which
// touch several of them at once, run on a Redis Cluster too (one slot), and the script is handed
// every key it touches in KEYS:
//   {<prefix>}:yt:rr                           round-robin counter
//   {<prefix>}:yt:key:<id>                     hash: disabledReason, disabledAt, suspectReason,
//                                              suspectUntil, unknownStreak, lastUsedAt, lastError, lastErrorAt
//   {<prefix>}:yt:project:<project>            hash: exhausted:<bucket> (ms until the bucket is usable again)
//   {<prefix>}:yt:usage:<project>:<YYYY-MM-DD> hash per Pacific day: <bucket> (spent); expires in 3 days
//   {<prefix>}:yt:keyday:<id>:<YYYY-MM-DD>     hash per Pacific day: calls:<bucket>, err:<kind>
//   {<prefix>}:metrics                         shared counters (platform/redis/shared-counters.ts):
//                                              quota:<bucket>:<id> (calls made with each key)
import type { Clock } from '../../platform/clock.js';
import type { ProjectQuota } from '../../platform/config.js';
import type { Logger } from '../../platform/logger.js';
import { countersKey } from '../../platform/redis/shared-counters.js';
import { groupKey, type RedisClient } from '../../platform/redis/create-redis.js';
import { nextPacificMidnight, pacificDayKey } from '../../platform/time/pacific-time.js';
import type { ApiKeyRow } from '../../platform/db/schema.js';
import type { ApiKeyRepository, KeyTarget } from './api-key-repository.js';
import { keyFingerprint, maskKey } from '../../platform/key-mask.js';
import type { QuotaBucket } from './quota-buckets.js';
import { NoUsableKeyError, QuotaExhaustedError, type YoutubeErrorKind } from './youtube-errors.js';

export interface PoolKey {
  /** Stable id: a fingerprint of the key. Safe to log, store and show. */
  readonly id: string;
  readonly secret: string;
  readonly masked: string;
  readonly label: string;
  /** The Google Cloud project an operator said the key belongs to; null: a project of its own. */
  readonly project: string | null;
  /** What MySQL remembers about the key, for when Redis has lost it. */
  readonly saved?: SavedKeyState;
}

export interface SavedKeyState {
  readonly exhaustedUntil: Readonly<Record<QuotaBucket, Date | null>>;
  readonly rejectedReason: string | null;
  readonly suspectUntil: Date | null;
}

/** The id quota is counted under: keys of one project share it. */
export function projectIdOf(key: Pick<PoolKey, 'id' | 'project'>): string {
  return key.project ?? `key:${key.id}`;
}

export interface KeySource {
  keys(): Promise<readonly PoolKey[]>;
  /** Makes the next read fresh (after the pool changed a key's saved state). */
  invalidate?(): void;
}

/** Where the pool keeps key state durably (the api_keys table); keys are named by id. */
export interface KeyStateStore {
  /** A project's bucket is spent: saved on every key of the project. */
  markExhausted(ids: readonly string[], bucket: QuotaBucket, until: Date): Promise<void>;
  markRejected(id: string, reason: string, at: Date): Promise<void>;
  markSuspect(id: string, reason: string, until: Date): Promise<void>;
  clearState(ids: readonly string[]): Promise<void>;
}

export function poolKey(secret: string, options: { label?: string; project?: string | null } = {}): PoolKey {
  const masked = maskKey(secret);
  return { id: keyFingerprint(secret), secret, masked, label: options.label ?? masked, project: options.project ?? null };
}

/** A stored key (a row of api_keys) as the pool knows it, with its saved state. */
export function storedPoolKey(row: ApiKeyRow): PoolKey {
  return {
    ...poolKey(row.api_key, { label: row.label, project: row.project }),
    id: row.fingerprint,
    saved: {
      exhaustedUntil: { search: row.search_exhausted_until, units: row.units_exhausted_until },
      rejectedReason: row.rejected_reason,
      suspectUntil: row.suspect_until,
    },
  };
}

/** Keys fixed at start-up (tests; the services read them from MySQL). `project:key` names a project. */
export function staticKeySource(entries: readonly string[]): KeySource {
  const keys = [...new Set(entries)].map((entry) => {
    const colon = entry.indexOf(':');
    return colon === -1 ? poolKey(entry) : poolKey(entry.slice(colon + 1), { project: entry.slice(0, colon) });
  });
  return { keys: () => Promise.resolve(keys) };
}

/**
 * The enabled keys in the api_keys table for one target, cached: `invalidate()` (on a control
 * message) makes the next read fresh, and entries also expire after `ttlMs` as a safety net.
 */
export function storedKeySource({
  keys,
  target,
  clock,
  ttlMs = 30_000,
}: {
  keys: Pick<ApiKeyRepository, 'list'>;
  target: KeyTarget;
  clock: Clock;
  ttlMs?: number;
}): KeySource & { invalidate(): void } {
  let cached: { keys: PoolKey[]; until: number } | undefined;
  let loading: Promise<PoolKey[]> | undefined;
  return {
    async keys() {
      const now = clock.now().getTime();
      if (cached !== undefined && cached.until > now) return cached.keys;
      loading ??= keys
        .list(target, { enabledOnly: true })
        .then((rows) => {
          const list = rows.map(storedPoolKey);
          cached = { keys: list, until: now + ttlMs };
          return list;
        })
        .finally(() => {
          loading = undefined;
        });
      return loading;
    },
    invalidate() {
      cached = undefined;
    },
  };
}

/**
 * A key's state for searching: ok; exhausted (its project's search bucket is spent until the
 * reset); suspect (YouTube kept answering it with errors nothing explains: set aside until the
 * next quota day or an operator's enable); disabled (rejected by YouTube: until an operator acts).
 */
export type KeyState = 'ok' | 'exhausted' | 'suspect' | 'disabled';
export type YoutubeState = 'ok' | 'quota_exhausted' | 'keys_suspect' | 'keys_disabled' | 'no_keys';

export interface BucketStatus {
  readonly used: number;
  readonly limit: number;
  readonly remaining: number;
  /** When a quota answer or our own count found it spent: the reset it waits for. */
  readonly exhaustedUntil: Date | null;
}

export interface ProjectStatus {
  /** The id quota is counted under (the label, or `key:<fingerprint>`). */
  readonly id: string;
  /** The operator's label; null for a key's own project. */
  readonly label: string | null;
  /** Keys of the pool in this project. */
  readonly keys: number;
  /** Whether one of its keys can be used (not rejected, not suspect). */
  readonly usable: boolean;
  readonly buckets: Readonly<Record<QuotaBucket, BucketStatus>>;
}

export interface KeyStatus {
  readonly id: string;
  readonly masked: string;
  readonly label: string;
  readonly project: string | null;
  readonly projectId: string;
  readonly state: KeyState;
  /** When the project's search bucket is spent: until when. */
  readonly exhaustedUntil: Date | null;
  readonly disabledReason: string | null;
  readonly suspectReason: string | null;
  readonly suspectUntil: Date | null;
  /** Calls made with this key today, by bucket. */
  readonly callsToday: Readonly<Record<QuotaBucket, number>>;
  readonly errorsToday: Readonly<Record<YoutubeErrorKind, number>>;
  /** Its project's buckets (shared with the project's other keys). */
  readonly quota: Readonly<Record<QuotaBucket, BucketStatus>>;
  readonly lastUsedAt: Date | null;
  readonly lastError: string | null;
  readonly lastErrorAt: Date | null;
}

export interface PoolStatus {
  readonly state: YoutubeState;
  /** When the state is quota_exhausted: the earliest moment a key can search again. */
  readonly resetAt: Date | null;
  readonly keys: readonly KeyStatus[];
  readonly projects: readonly ProjectStatus[];
}

export interface KeyLease {
  readonly key: PoolKey;
  readonly bucket: QuotaBucket;
  readonly cost: number;
}

export interface KeyPoolDeps {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly source: KeySource;
  readonly clock: Clock;
  /** Each project's daily buckets. */
  readonly quota: ProjectQuota;
  readonly log: Logger;
  /** Keeps exhaustion, rejection and suspicion durably; without one they live in Redis only. */
  readonly store?: KeyStateStore;
  /** Unknown answers from one key in one quota day before it is set aside (default 3). */
  readonly suspectAfter?: number;
}

export type KeyPool = ReturnType<typeof createKeyPool>;

const USAGE_TTL_SECONDS = 3 * 24 * 3600;
const KEYS_PER_KEY = 4;
const ARGS_PER_KEY = 5;

// KEYS: [1] round-robin counter, [2] shared counters, then per key: its hash, its project's
// hash, its project's usage of the day, its own calls of the day (a project's keys repeat for
// each of its keys). ARGV: now, bucket, cost, limit, nextReset, ttl, reserve, then per key: id,
// project id, saved exhaustedUntil of this bucket (ms, 0 for none), saved rejection ('1' or
// ''), saved suspectUntil (ms, 0 for none). A project with no more than `reserve` left is
// skipped without being marked spent (others may still draw the reserve).
// Returns {1, index, spent...} (picked and charged), {2, earliestReset, spent...} (every usable
// project's bucket spent) or {3, 0, spent...} (no key usable at all), where `spent` are the
// projects this call found out of quota by our own count (to be saved).
const ACQUIRE_SCRIPT = `
local now = tonumber(ARGV[1])
local bucket = ARGV[2]
local cost = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local nextReset = tonumber(ARGV[5])
local ttl = tonumber(ARGV[6])
local reserve = tonumber(ARGV[7])
local n = (#ARGV - 7) / ${ARGS_PER_KEY}
local spent = {}
if n == 0 then return {3, 0} end
local start = redis.call('INCR', KEYS[1])
local earliest = -1
for i = 0, n - 1 do
  local index = (start + i) % n
  local base = 8 + index * ${ARGS_PER_KEY}
  local k = 3 + index * ${KEYS_PER_KEY}
  local id = ARGV[base]
  local project = ARGV[base + 1]
  local keyHash = KEYS[k]
  local state = redis.call('HMGET', keyHash, 'disabledReason', 'suspectUntil')
  local suspectUntil = math.max(tonumber(state[2] or '0') or 0, tonumber(ARGV[base + 4]) or 0)
  if not state[1] and ARGV[base + 3] == '' and suspectUntil <= now then
    local projectHash = KEYS[k + 1]
    local exhaustedUntil = math.max(tonumber(redis.call('HGET', projectHash, 'exhausted:' .. bucket) or '0') or 0, tonumber(ARGV[base + 2]) or 0)
    local usageKey = KEYS[k + 2]
    local used = tonumber(redis.call('HGET', usageKey, bucket) or '0') or 0
    if exhaustedUntil > now then
      if earliest < 0 or exhaustedUntil < earliest then earliest = exhaustedUntil end
    elseif used + cost > limit then
      redis.call('HSET', projectHash, 'exhausted:' .. bucket, nextReset)
      table.insert(spent, project)
      if earliest < 0 or nextReset < earliest then earliest = nextReset end
    elseif used + cost > limit - reserve then
      if earliest < 0 or nextReset < earliest then earliest = nextReset end
    else
      redis.call('HINCRBY', usageKey, bucket, cost)
      redis.call('EXPIRE', usageKey, ttl)
      local dayKey = KEYS[k + 3]
      redis.call('HINCRBY', dayKey, 'calls:' .. bucket, 1)
      redis.call('EXPIRE', dayKey, ttl)
      redis.call('HSET', keyHash, 'lastUsedAt', now)
      redis.call('HINCRBY', KEYS[2], 'quota:' .. bucket .. ':' .. id, 1)
      return {1, index, unpack(spent)}
    end
  end
end
if earliest >= 0 then return {2, earliest, unpack(spent)} end
return {3, 0, unpack(spent)}
`;

export const ERROR_KINDS: readonly YoutubeErrorKind[] = ['quota', 'rejected', 'transient', 'request', 'unknown'];

const num = (value: string | null | undefined): number => (value == null ? 0 : Number(value) || 0);
const date = (value: string | null | undefined): Date | null => (value == null || value === '' ? null : new Date(Number(value)));

export function createKeyPool({ redis, prefix, source, clock, quota, log, store, suspectAfter = 3 }: KeyPoolDeps) {
  const keyHash = (id: string) => groupKey(prefix, null, 'yt', 'key', id);
  const projectHash = (project: string) => groupKey(prefix, null, 'yt', 'project', project);
  const usageKey = (project: string, day: string) => groupKey(prefix, null, 'yt', 'usage', project, day);
  const keyDayKey = (id: string, day: string) => groupKey(prefix, null, 'yt', 'keyday', id, day);
  const limitOf = (bucket: QuotaBucket): number => (bucket === 'search' ? quota.searchCallsPerDay : quota.unitsPerDay);

  /**
   * Writes a state change to MySQL after Redis has it. A failure is logged, not thrown: the
   * state still holds in Redis, and the call that found it out must not fail for it.
   */
  async function save(what: string, masked: string, write: (s: KeyStateStore) => Promise<void>): Promise<void> {
    if (store === undefined) return;
    try {
      await write(store);
      source.invalidate?.();
    } catch (error) {
      log.error({ err: error, key: masked, what }, 'could not save the key state in MySQL; it is kept in Redis only');
    }
  }

  /** The ids of every known key of a project (the one at hand included). */
  async function projectKeyIds(project: string, also?: string): Promise<string[]> {
    const ids = (await source.keys()).filter((k) => projectIdOf(k) === project).map((k) => k.id);
    return also === undefined || ids.includes(also) ? ids : [...ids, also];
  }

  /**
   * Picks the next usable key whose project has `cost` left in `bucket` (above `reserve`: units
   * a caller that can wait leaves to others, such as key checks), and charges it.
   */
  async function acquire(bucket: QuotaBucket, cost = 1, { reserve = 0 }: { reserve?: number } = {}): Promise<KeyLease> {
    const keys = await source.keys();
    const now = clock.now();
    const nextReset = nextPacificMidnight(now);
    const day = pacificDayKey(now);
    const scriptKeys = [
      groupKey(prefix, null, 'yt', 'rr'),
      countersKey(prefix),
      ...keys.flatMap((k) => [keyHash(k.id), projectHash(projectIdOf(k)), usageKey(projectIdOf(k), day), keyDayKey(k.id, day)]),
    ];
    const result = (await redis.eval(
      ACQUIRE_SCRIPT,
      scriptKeys.length,
      ...scriptKeys,
      now.getTime(),
      bucket,
      cost,
      limitOf(bucket),
      nextReset.getTime(),
      USAGE_TTL_SECONDS,
      Math.max(0, reserve),
      ...keys.flatMap((k) => [
        k.id,
        projectIdOf(k),
        k.saved?.exhaustedUntil[bucket]?.getTime() ?? 0,
        k.saved?.rejectedReason == null ? '' : '1',
        k.saved?.suspectUntil?.getTime() ?? 0,
      ]),
    )) as [number, number, ...string[]];
    const [code, value, ...spent] = result;
    for (const project of new Set(spent)) {
      log.warn({ project: projectLabel(project, keys), bucket, until: nextReset.toISOString() }, 'YouTube project reached its daily quota by our count; unused until Pacific midnight');
      const ids = keys.filter((k) => projectIdOf(k) === project).map((k) => k.id);
      await save('exhausted', project, (s) => s.markExhausted(ids, bucket, nextReset));
    }
    if (code === 1) return { key: keys[value]!, bucket, cost };
    if (code === 2) throw new QuotaExhaustedError(bucket, new Date(value));
    throw new NoUsableKeyError(keys.length === 0 ? 'no_keys' : await unusableState(keys));
  }

  /** Why no key could be used: all rejected, or some only set aside as suspect. */
  async function unusableState(keys: readonly PoolKey[]): Promise<'keys_suspect' | 'keys_disabled'> {
    const statuses = await statusOf(keys);
    return statuses.some((k) => k.state === 'suspect') ? 'keys_suspect' : 'keys_disabled';
  }

  /**
   * Counts a failed call against its key and remembers the (key-free) message. Answers no known
   * error explains, `suspectAfter` in a row (a success in between starts the count again), set
   * the key aside until the next quota day (or an operator's enable): it is never retried
   * forever. Returns whether the key is now suspect.
   */
  async function recordError(key: PoolKey, kind: YoutubeErrorKind, message: string): Promise<{ suspect: boolean }> {
    const now = clock.now();
    const day = keyDayKey(key.id, pacificDayKey(now));
    const transaction = redis
      .multi()
      .hincrby(day, `err:${kind}`, 1)
      .expire(day, USAGE_TTL_SECONDS)
      .hset(keyHash(key.id), { lastError: message.slice(0, 300), lastErrorAt: now.getTime() });
    if (kind === 'unknown') transaction.hincrby(keyHash(key.id), 'unknownStreak', 1);
    const replies = await transaction.exec();
    const streak = kind === 'unknown' ? Number(replies?.[3]?.[1] ?? 0) : 0;
    if (streak < suspectAfter) return { suspect: false };
    const until = nextPacificMidnight(now);
    const reason = message.slice(0, 200);
    // The streak starts again: the next quota day gives the key `suspectAfter` more tries.
    await redis.multi().hset(keyHash(key.id), { suspectReason: reason, suspectUntil: until.getTime() }).hdel(keyHash(key.id), 'unknownStreak').exec();
    log.error({ key: key.masked, answersInARow: streak, until: until.toISOString(), reason }, 'YouTube key set aside as suspect: it keeps getting answers no known error explains');
    await save('suspect', key.masked, (s) => s.markSuspect(key.id, reason, until));
    return { suspect: true };
  }

  /** A call with the key was answered: a run of unexplained answers, if any, is over. */
  async function recordSuccess(key: Pick<PoolKey, 'id'>): Promise<void> {
    await redis.hdel(keyHash(key.id), 'unknownStreak');
  }

  /** The key's project has spent this bucket: unusable for it until the next Pacific midnight. */
  async function markExhausted(key: PoolKey, bucket: QuotaBucket): Promise<Date> {
    const until = nextPacificMidnight(clock.now());
    const project = projectIdOf(key);
    await redis.hset(projectHash(project), `exhausted:${bucket}`, until.getTime());
    log.warn({ key: key.masked, project: key.project, bucket, until: until.toISOString() }, 'YouTube project out of quota until Pacific midnight');
    const ids = await projectKeyIds(project, key.id);
    await save('exhausted', key.masked, (s) => s.markExhausted(ids, bucket, until));
    return until;
  }

  /** YouTube refused the key itself: unusable until an operator enables it again. */
  async function disable(key: Pick<PoolKey, 'id' | 'masked'>, reason: string): Promise<void> {
    const at = clock.now();
    await redis.hset(keyHash(key.id), { disabledReason: reason.slice(0, 200), disabledAt: at.getTime() });
    log.error({ key: key.masked, reason }, 'YouTube key disabled');
    await save('rejected', key.masked, (s) => s.markRejected(key.id, reason, at));
  }

  /**
   * An operator's decision: clears the key's rejection and suspicion and its project's
   * exhaustion (the operator may know better, e.g. after raising the quota), in MySQL and Redis.
   */
  async function enable(key: Pick<PoolKey, 'id' | 'project'>): Promise<void> {
    const project = projectIdOf(key);
    // MySQL first and not caught: an enable that did not reach MySQL must fail loudly, or the
    // key would be skipped again after the next Redis restart.
    await store?.clearState(await projectKeyIds(project, key.id));
    source.invalidate?.();
    await redis
      .multi()
      .hdel(keyHash(key.id), 'disabledReason', 'disabledAt', 'suspectReason', 'suspectUntil', 'unknownStreak')
      .del(projectHash(project))
      .exec();
  }

  /** Counts a call made outside `acquire` (checking a new key) against its project's bucket. */
  async function charge(key: Pick<PoolKey, 'id' | 'project'>, bucket: QuotaBucket, cost = 1): Promise<void> {
    const now = clock.now();
    const dayKey = pacificDayKey(now);
    const usage = usageKey(projectIdOf(key), dayKey);
    const keyDay = keyDayKey(key.id, dayKey);
    await redis
      .multi()
      .hincrby(usage, bucket, cost)
      .expire(usage, USAGE_TTL_SECONDS)
      .hincrby(keyDay, `calls:${bucket}`, 1)
      .expire(keyDay, USAGE_TTL_SECONDS)
      .hincrby(countersKey(prefix), `quota:${bucket}:${key.id}`, 1)
      .exec();
  }

  /**
   * Gives back what was charged for a call that never reached YouTube (no connection could be
   * made): YouTube charged nothing, and an outage must not use up our count of the day.
   */
  async function refund(lease: KeyLease): Promise<void> {
    const usage = usageKey(projectIdOf(lease.key), pacificDayKey(clock.now()));
    await redis.hincrby(usage, lease.bucket, -lease.cost);
  }

  /** Drops everything Redis holds about a key that was removed (its project's count stays). */
  async function forget(key: Pick<PoolKey, 'id'>): Promise<void> {
    await redis.del(keyHash(key.id));
  }

  /** The pool's keys and projects and their state. */
  async function status(): Promise<PoolStatus> {
    const keys = await statusOf(await source.keys());
    return summarise(keys);
  }

  /** The state of any keys (also ones not in the pool, such as keys an operator switched off). */
  async function statusOf(keys: readonly PoolKey[]): Promise<KeyStatus[]> {
    const now = clock.now();
    const day = pacificDayKey(now);
    const projects = [...new Set(keys.map(projectIdOf))];
    const pipeline = redis.pipeline();
    for (const key of keys) {
      pipeline.hgetall(keyHash(key.id));
      pipeline.hgetall(keyDayKey(key.id, day));
    }
    for (const project of projects) {
      pipeline.hgetall(projectHash(project));
      pipeline.hgetall(usageKey(project, day));
    }
    const replies = (await pipeline.exec()) ?? [];
    const reply = (i: number): Record<string, string> => {
      const [error, value] = replies[i] ?? [];
      if (error) throw error;
      return (value ?? {}) as Record<string, string>;
    };
    const nextReset = nextPacificMidnight(now);
    const projectState = new Map(
      projects.map((project, j) => {
        const state = reply(2 * keys.length + 2 * j);
        const usage = reply(2 * keys.length + 2 * j + 1);
        return [project, { state, usage }] as const;
      }),
    );
    return keys.map((key, i): KeyStatus => {
      const s = reply(2 * i);
      const d = reply(2 * i + 1);
      const project = projectState.get(projectIdOf(key))!;
      const bucketStatus = (bucket: QuotaBucket): BucketStatus => {
        const limit = limitOf(bucket);
        const used = num(project.usage[bucket]);
        // Redis and the saved state combined, as the acquire script combines them.
        const until = Math.max(num(project.state[`exhausted:${bucket}`]), key.saved?.exhaustedUntil[bucket]?.getTime() ?? 0);
        const exhaustedUntil = until > now.getTime() ? new Date(until) : used >= limit ? nextReset : null;
        // A bucket YouTube said is spent has nothing left, whatever our own count says.
        return { used, limit, remaining: exhaustedUntil === null ? Math.max(0, limit - used) : 0, exhaustedUntil };
      };
      const buckets = { search: bucketStatus('search'), units: bucketStatus('units') };
      const disabledReason = s.disabledReason || key.saved?.rejectedReason || null;
      const suspectUntilMs = Math.max(num(s.suspectUntil), key.saved?.suspectUntil?.getTime() ?? 0);
      const suspectUntil = suspectUntilMs > now.getTime() ? new Date(suspectUntilMs) : null;
      const keyState: KeyState =
        disabledReason !== null ? 'disabled' : suspectUntil !== null ? 'suspect' : buckets.search.exhaustedUntil !== null ? 'exhausted' : 'ok';
      return {
        id: key.id,
        masked: key.masked,
        label: key.label,
        project: key.project,
        projectId: projectIdOf(key),
        state: keyState,
        exhaustedUntil: buckets.search.exhaustedUntil,
        disabledReason,
        suspectReason: suspectUntil === null ? null : (s.suspectReason ?? 'unexplained answers'),
        suspectUntil,
        callsToday: { search: num(d['calls:search']), units: num(d['calls:units']) },
        errorsToday: Object.fromEntries(ERROR_KINDS.map((kind) => [kind, num(d[`err:${kind}`])])) as Record<YoutubeErrorKind, number>,
        quota: buckets,
        lastUsedAt: date(s.lastUsedAt),
        lastError: s.lastError ?? null,
        lastErrorAt: date(s.lastErrorAt),
      };
    });
  }

  return { acquire, recordError, recordSuccess, markExhausted, disable, enable, charge, refund, forget, status, statusOf, quota };
}

function projectLabel(project: string, keys: readonly PoolKey[]): string {
  if (!project.startsWith('key:')) return project;
  const key = keys.find((k) => projectIdOf(k) === project);
  return key === undefined ? project : `own project of ${key.masked}`;
}

/** The projects behind a set of key statuses: each counted once, whatever its number of keys. */
export function projectsOf(keys: readonly KeyStatus[]): ProjectStatus[] {
  const projects = new Map<string, ProjectStatus>();
  for (const key of keys) {
    const known = projects.get(key.projectId);
    const usable = key.state !== 'disabled' && key.state !== 'suspect';
    projects.set(key.projectId, {
      id: key.projectId,
      label: key.project,
      keys: (known?.keys ?? 0) + 1,
      usable: (known?.usable ?? false) || usable,
      buckets: key.quota,
    });
  }
  return [...projects.values()];
}

export function summarise(keys: readonly KeyStatus[]): PoolStatus {
  const projects = projectsOf(keys);
  if (keys.length === 0) return { state: 'no_keys', resetAt: null, keys, projects };
  if (keys.some((k) => k.state === 'ok')) return { state: 'ok', resetAt: null, keys, projects };
  const resets = keys.flatMap((k) => (k.state === 'exhausted' && k.exhaustedUntil ? [k.exhaustedUntil.getTime()] : []));
  if (resets.length > 0) return { state: 'quota_exhausted', resetAt: new Date(Math.min(...resets)), keys, projects };
  if (keys.some((k) => k.state === 'suspect')) return { state: 'keys_suspect', resetAt: null, keys, projects };
  return { state: 'keys_disabled', resetAt: null, keys, projects };
}
