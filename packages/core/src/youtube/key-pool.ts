// The pool of YouTube API keys, shared by every worker through Redis.
//
// Choosing a key is one atomic Lua script: it advances the round-robin index, skips keys that
// are disabled or exhausted (by a quotaExceeded answer, or by our own count of units spent in
// the current Pacific quota day), and charges the call's units to the key it picks — before
// the call, because YouTube charges failed calls too. When no key can be used the script says
// why (all exhausted, with the earliest reset; or none usable), so no call is made at all.
//
// Exhaustion and rejection are also written to MySQL (api_keys, through a KeyStateStore): Redis
// here keeps nothing on disk. The key source hands each key's saved state to the script with
// the key, so after a Redis restart the pool still skips keys that are out of quota or were
// rejected, and acquiring stays one Redis round trip with no MySQL read. Redis and the saved
// state are combined, never copied into each other: an operator's enable clears both, and a
// process still holding the old saved state skips the key only until its source is refreshed.
//
// Redis layout under the deployment prefix (key ids are fingerprints, never keys):
//   yt:rr                      round-robin counter
//   yt:key:<id>                hash: exhaustedUntil, disabledReason, disabledAt, lastUsedAt,
//                              lastError, lastErrorAt
//   yt:usage:<id>:<YYYY-MM-DD> hash per Pacific day: units, calls, err:<kind>; expires in 3 days
//   metrics                    shared counters (metrics/shared-counters.ts): search_calls:<id>,
//                              search_units:<id>
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import type { Logger } from '../logging/logger.js';
import { countersKey } from '../metrics/shared-counters.js';
import { redisKey } from '../redis/create-redis.js';
import { nextPacificMidnight, pacificDayKey } from '../time/pacific-time.js';
import type { ApiKeyRow } from '../db/schema.js';
import type { ApiKeyRepository, KeyTarget } from './api-key-repository.js';
import { keyFingerprint, maskKey } from './key-mask.js';
import { NoUsableKeyError, QuotaExhaustedError, type YoutubeErrorKind } from './youtube-errors.js';

export interface PoolKey {
  /** Stable id: a fingerprint of the key. Safe to log, store and show. */
  readonly id: string;
  readonly secret: string;
  readonly masked: string;
  readonly label: string;
  /** What MySQL remembers about the key, for when Redis has lost it. */
  readonly saved?: SavedKeyState;
}

export interface SavedKeyState {
  readonly exhaustedUntil: Date | null;
  readonly rejectedReason: string | null;
}

export interface KeySource {
  keys(): Promise<readonly PoolKey[]>;
  /** Makes the next read fresh (after the pool changed a key's saved state). */
  invalidate?(): void;
}

/** Where the pool keeps key state durably (the api_keys table); keys are named by id. */
export interface KeyStateStore {
  markExhausted(id: string, until: Date): Promise<void>;
  markRejected(id: string, reason: string, at: Date): Promise<void>;
  clearState(id: string): Promise<void>;
}

export function poolKey(secret: string, label?: string): PoolKey {
  const masked = maskKey(secret);
  return { id: keyFingerprint(secret), secret, masked, label: label ?? masked };
}

/** A stored key (a row of api_keys) as the pool knows it, with its saved state. */
export function storedPoolKey(row: ApiKeyRow): PoolKey {
  return {
    ...poolKey(row.api_key, row.label),
    id: row.fingerprint,
    saved: { exhaustedUntil: row.exhausted_until, rejectedReason: row.rejected_reason },
  };
}

/** Keys fixed at start-up (tests; the services read them from MySQL). */
export function staticKeySource(secrets: readonly string[]): KeySource {
  const keys = [...new Set(secrets)].map((secret) => poolKey(secret));
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

export type KeyState = 'ok' | 'exhausted' | 'disabled';
export type YoutubeState = 'ok' | 'quota_exhausted' | 'keys_disabled' | 'no_keys';

export interface KeyStatus {
  readonly id: string;
  readonly masked: string;
  readonly label: string;
  readonly state: KeyState;
  readonly exhaustedUntil: Date | null;
  readonly disabledReason: string | null;
  readonly unitsToday: number;
  readonly callsToday: number;
  readonly errorsToday: Readonly<Record<YoutubeErrorKind, number>>;
  readonly lastUsedAt: Date | null;
  readonly lastError: string | null;
  readonly lastErrorAt: Date | null;
}

export interface PoolStatus {
  readonly state: YoutubeState;
  /** When the state is quota_exhausted: the earliest moment a key can be used again. */
  readonly resetAt: Date | null;
  readonly keys: readonly KeyStatus[];
}

export interface KeyLease {
  readonly key: PoolKey;
  readonly units: number;
}

export interface KeyPoolDeps {
  readonly redis: Redis;
  readonly prefix: string;
  readonly source: KeySource;
  readonly clock: Clock;
  /** Units each key may spend per Pacific day (YouTube's default is 10,000). */
  readonly dailyQuota: number;
  readonly log: Logger;
  /** Keeps exhaustion and rejection durably; without one they live in Redis only. */
  readonly store?: KeyStateStore;
}

export type KeyPool = ReturnType<typeof createKeyPool>;

const USAGE_TTL_SECONDS = 3 * 24 * 3600;

// KEYS[1] = round-robin counter. ARGV: now, day, cost, quota, prefix, nextReset, ttl, then per
// key: id, saved exhaustedUntil (ms, 0 for none), saved rejection ('1' or '').
// Returns {1, index, spent...} (picked and charged), {2, earliestReset, spent...} (all usable
// keys exhausted) or {3, 0, spent...} (no key usable at all), where `spent` are the ids of keys
// this call found out of quota by our own count (to be saved). Per-key hashes are addressed
// inside the script; the service runs against one Redis (not a cluster), where that is allowed.
const ACQUIRE_SCRIPT = `
local now = tonumber(ARGV[1])
local day = ARGV[2]
local cost = tonumber(ARGV[3])
local quota = tonumber(ARGV[4])
local prefix = ARGV[5]
local nextReset = tonumber(ARGV[6])
local ttl = tonumber(ARGV[7])
local n = (#ARGV - 7) / 3
local spent = {}
if n == 0 then return {3, 0} end
local start = redis.call('INCR', KEYS[1])
local earliest = -1
for i = 0, n - 1 do
  local index = (start + i) % n
  local base = 8 + index * 3
  local id = ARGV[base]
  local stateKey = prefix .. ':yt:key:' .. id
  local state = redis.call('HMGET', stateKey, 'exhaustedUntil', 'disabledReason')
  if not state[2] and ARGV[base + 2] == '' then
    local exhaustedUntil = math.max(tonumber(state[1] or '0') or 0, tonumber(ARGV[base + 1]) or 0)
    local usageKey = prefix .. ':yt:usage:' .. id .. ':' .. day
    local units = tonumber(redis.call('HGET', usageKey, 'units') or '0') or 0
    if exhaustedUntil > now then
      if earliest < 0 or exhaustedUntil < earliest then earliest = exhaustedUntil end
    elseif units + cost > quota then
      redis.call('HSET', stateKey, 'exhaustedUntil', nextReset)
      table.insert(spent, id)
      if earliest < 0 or nextReset < earliest then earliest = nextReset end
    else
      redis.call('HINCRBY', usageKey, 'units', cost)
      redis.call('HINCRBY', usageKey, 'calls', 1)
      redis.call('EXPIRE', usageKey, ttl)
      redis.call('HSET', stateKey, 'lastUsedAt', now)
      redis.call('HINCRBY', prefix .. ':metrics', 'search_calls:' .. id, 1)
      redis.call('HINCRBY', prefix .. ':metrics', 'search_units:' .. id, cost)
      return {1, index, unpack(spent)}
    end
  end
end
if earliest >= 0 then return {2, earliest, unpack(spent)} end
return {3, 0, unpack(spent)}
`;

const ERROR_KINDS: readonly YoutubeErrorKind[] = ['quota', 'rejected', 'transient', 'request'];

const num = (value: string | null | undefined): number => (value == null ? 0 : Number(value) || 0);
const date = (value: string | null | undefined): Date | null => (value == null || value === '' ? null : new Date(Number(value)));

export function createKeyPool({ redis, prefix, source, clock, dailyQuota, log, store }: KeyPoolDeps) {
  const stateKey = (id: string) => redisKey(prefix, 'yt', 'key', id);
  const usageKey = (id: string, day: string) => redisKey(prefix, 'yt', 'usage', id, day);

  /**
   * Writes a state change to MySQL after Redis has it. A failure is logged, not thrown: the
   * state still holds in Redis, and the call that found it out must not fail for it.
   */
  async function save(what: string, key: Pick<PoolKey, 'id'> & { masked?: string }, write: (s: KeyStateStore) => Promise<void>): Promise<void> {
    if (store === undefined) return;
    try {
      await write(store);
      source.invalidate?.();
    } catch (error) {
      log.error({ err: error, key: key.masked ?? key.id, what }, 'could not save the key state in MySQL; it is kept in Redis only');
    }
  }

  /** Picks the next usable key and charges `units` to it. */
  async function acquire(units: number): Promise<KeyLease> {
    const keys = await source.keys();
    const now = clock.now();
    const nextReset = nextPacificMidnight(now);
    const result = (await redis.eval(
      ACQUIRE_SCRIPT,
      1,
      redisKey(prefix, 'yt', 'rr'),
      now.getTime(),
      pacificDayKey(now),
      units,
      dailyQuota,
      prefix,
      nextReset.getTime(),
      USAGE_TTL_SECONDS,
      ...keys.flatMap((k) => [k.id, k.saved?.exhaustedUntil?.getTime() ?? 0, k.saved?.rejectedReason == null ? '' : '1']),
    )) as [number, number, ...string[]];
    const [code, value, ...spent] = result;
    for (const id of spent) {
      const key = keys.find((k) => k.id === id);
      log.warn({ key: key?.masked ?? id, until: nextReset.toISOString() }, 'YouTube key reached its daily quota by our count; unused until Pacific midnight');
      await save('exhausted', { id, ...(key ? { masked: key.masked } : {}) }, (s) => s.markExhausted(id, nextReset));
    }
    if (code === 1) return { key: keys[value]!, units };
    if (code === 2) throw new QuotaExhaustedError(new Date(value));
    throw new NoUsableKeyError(keys.length === 0 ? 'no_keys' : 'keys_disabled');
  }

  /** Counts a failed call against its key and remembers the (key-free) message. */
  async function recordError(key: PoolKey, kind: YoutubeErrorKind, message: string): Promise<void> {
    const now = clock.now();
    const usage = usageKey(key.id, pacificDayKey(now));
    await redis
      .multi()
      .hincrby(usage, `err:${kind}`, 1)
      .expire(usage, USAGE_TTL_SECONDS)
      .hset(stateKey(key.id), { lastError: message.slice(0, 300), lastErrorAt: now.getTime() })
      .exec();
  }

  /** The key's quota is spent: unusable until the next Pacific midnight. */
  async function markExhausted(key: PoolKey): Promise<Date> {
    const until = nextPacificMidnight(clock.now());
    await redis.hset(stateKey(key.id), 'exhaustedUntil', until.getTime());
    log.warn({ key: key.masked, until: until.toISOString() }, 'YouTube key out of quota until Pacific midnight');
    await save('exhausted', key, (s) => s.markExhausted(key.id, until));
    return until;
  }

  /** YouTube refused the key itself: unusable until an operator enables it again. */
  async function disable(key: Pick<PoolKey, 'id' | 'masked'>, reason: string): Promise<void> {
    const at = clock.now();
    await redis.hset(stateKey(key.id), { disabledReason: reason.slice(0, 200), disabledAt: at.getTime() });
    log.error({ key: key.masked, reason }, 'YouTube key disabled');
    await save('rejected', key, (s) => s.markRejected(key.id, reason, at));
  }

  /** An operator's decision: clears a rejection and an exhaustion, in MySQL and Redis. */
  async function enable(key: Pick<PoolKey, 'id'>): Promise<void> {
    // MySQL first and not caught: an enable that did not reach MySQL must fail loudly, or the
    // key would be skipped again after the next Redis restart.
    await store?.clearState(key.id);
    source.invalidate?.();
    await redis.hdel(stateKey(key.id), 'disabledReason', 'disabledAt', 'exhaustedUntil');
  }

  /** Counts units spent outside a search (checking a new key) against a key. */
  async function charge(key: Pick<PoolKey, 'id'>, units: number): Promise<void> {
    const now = clock.now();
    const usage = usageKey(key.id, pacificDayKey(now));
    await redis
      .multi()
      .hincrby(usage, 'units', units)
      .hincrby(usage, 'calls', 1)
      .expire(usage, USAGE_TTL_SECONDS)
      .hincrby(countersKey(prefix), `search_units:${key.id}`, units)
      .exec();
  }

  /**
   * Gives back the units charged for a call that never reached YouTube (no connection could be
   * made): YouTube charged nothing, and an outage must not use up our count of the day.
   */
  async function refund(lease: KeyLease): Promise<void> {
    const usage = usageKey(lease.key.id, pacificDayKey(clock.now()));
    await redis.hincrby(usage, 'units', -lease.units);
  }

  /** Drops everything Redis holds about a key that was removed. */
  async function forget(key: Pick<PoolKey, 'id'>): Promise<void> {
    await redis.del(stateKey(key.id));
  }

  /** The pool's keys and their state. */
  async function status(): Promise<PoolStatus> {
    return summarise(await statusOf(await source.keys()));
  }

  /** The state of any keys (also ones not in the pool, such as keys an operator switched off). */
  async function statusOf(keys: readonly PoolKey[]): Promise<KeyStatus[]> {
    const now = clock.now();
    const day = pacificDayKey(now);
    const pipeline = redis.pipeline();
    for (const key of keys) {
      pipeline.hgetall(stateKey(key.id));
      pipeline.hgetall(usageKey(key.id, day));
    }
    const replies = (await pipeline.exec()) ?? [];
    const statuses = keys.map((key, i): KeyStatus => {
      const [stateError, state] = replies[2 * i] ?? [];
      const [usageError, usage] = replies[2 * i + 1] ?? [];
      const failure = stateError ?? usageError;
      if (failure) throw failure;
      const s = (state ?? {}) as Record<string, string>;
      const u = (usage ?? {}) as Record<string, string>;
      // Redis and the saved state combined, as the acquire script combines them.
      const until = Math.max(num(s.exhaustedUntil), key.saved?.exhaustedUntil?.getTime() ?? 0);
      const exhaustedUntil = until > now.getTime() ? new Date(until) : null;
      const disabledReason = s.disabledReason || key.saved?.rejectedReason || null;
      const spent = num(u.units) >= dailyQuota;
      const keyState: KeyState = disabledReason !== null ? 'disabled' : exhaustedUntil !== null || spent ? 'exhausted' : 'ok';
      return {
        id: key.id,
        masked: key.masked,
        label: key.label,
        state: keyState,
        exhaustedUntil: exhaustedUntil ?? (spent ? nextPacificMidnight(now) : null),
        disabledReason,
        unitsToday: num(u.units),
        callsToday: num(u.calls),
        errorsToday: Object.fromEntries(ERROR_KINDS.map((kind) => [kind, num(u[`err:${kind}`])])) as Record<YoutubeErrorKind, number>,
        lastUsedAt: date(s.lastUsedAt),
        lastError: s.lastError ?? null,
        lastErrorAt: date(s.lastErrorAt),
      };
    });
    return statuses;
  }

  return { acquire, recordError, markExhausted, disable, enable, charge, refund, forget, status, statusOf };
}

export function summarise(keys: readonly KeyStatus[]): PoolStatus {
  if (keys.length === 0) return { state: 'no_keys', resetAt: null, keys };
  if (keys.some((k) => k.state === 'ok')) return { state: 'ok', resetAt: null, keys };
  const resets = keys.flatMap((k) => (k.state === 'exhausted' && k.exhaustedUntil ? [k.exhaustedUntil.getTime()] : []));
  if (resets.length > 0) return { state: 'quota_exhausted', resetAt: new Date(Math.min(...resets)), keys };
  return { state: 'keys_disabled', resetAt: null, keys };
}
