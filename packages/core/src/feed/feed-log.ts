// The durable event log SSE clients read: one Redis Stream per feed (feed-events.ts), bounded
// by length and by age, appended to by the worker's relay (feed-relay.ts) and read by every API
// process (stream-hub.ts). A client's `Last-Event-ID` names a position in one feed's stream;
// reconnecting with it (to any API process) resumes right after it.
//
// Exactly once in the log: the relay hands an outbox event over at least once (a crash after
// appending but before marking it relayed hands it over again), so each append goes through a
// script that adds the event only if its outbox `seq` is not in the feed's "seen" set, kept
// for as long as the stream keeps events. Stream, seen set and meta share a hash tag, so
// the script is one atomic step on a Redis Cluster too.
//
// Knowing what a client missed: the stream's ids are Redis's own (time-ordered), and every
// position is tagged with the log's generation, a random token made when the log is first
// written. A small meta hash (generation, newest id appended, newest id the bounds removed)
// outlives the entries by far, so a client resuming after a quiet spell is judged rightly: it
// resumes if nothing after its position was removed, and is told to reset if something was,
// if its generation is not the current one (Redis lost the log), or if it names a position the
// log never reached. A feed never written has no log at all (generation NO_LOG): a client that
// joined it holds position `0.0-0`, before everything any later log holds.
import { randomBytes } from 'node:crypto';
import { groupKey, redisKey, type RedisClient } from '../platform/redis/create-redis.js';
import type { FeedKey } from '../catalog/feed-keys.js';
import type { FeedEvent, FeedEventSink } from './feed-events.js';

const group = (feed: FeedKey) => `log:${feed}`;
export const feedLogKeys = (prefix: string, feed: FeedKey) => ({
  stream: groupKey(prefix, group(feed), 'stream'),
  /** The outbox seqs appended within the retention (the exactly-once check). */
  seen: groupKey(prefix, group(feed), 'seen'),
  /**
   * A small hash kept much longer than the entries: the generation (`g`), the newest id ever
   * appended (`l`) and the newest id the bounds removed (`t`; Redis's own max-deleted-entry-id
   * counts XDEL only). With it a position stays judged rightly after the entries expired.
   */
  meta: groupKey(prefix, group(feed), 'meta'),
});
/** Published with the feeds just appended to (a JSON array), so readers need not wait for a poll. */
export const feedLogChannel = (prefix: string): string => redisKey(prefix, 'feed', 'log-appended');

/** How long a log's meta outlives its last append (or last read by a process with clients). */
const META_TTL_MS = 30 * 86_400_000;
/** Outbox seqs remembered per feed at most (besides the age bound): many relay batches' worth. */
const SEEN_MIN_CAP = 100_000;

// KEYS: stream, seen, meta. ARGV: max length, max age ms, a new generation (used only if the
// log has none), meta TTL, seen cap, then per event: seq, video id, stored-at ms, JSON.
const APPEND = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local maxLength = tonumber(ARGV[1])
local maxAge = tonumber(ARGV[2])
if not redis.call('HGET', KEYS[3], 'g') then redis.call('HSET', KEYS[3], 'g', ARGV[3]) end
local appended, lastId = 0, nil
for i = 6, #ARGV, 4 do
  if redis.call('ZADD', KEYS[2], 'NX', now, ARGV[i]) == 1 then
    lastId = redis.call('XADD', KEYS[1], '*', 's', ARGV[i], 'v', ARGV[i + 1], 't', ARGV[i + 2], 'j', ARGV[i + 3])
    appended = appended + 1
  end
end
local function newer(a, b)
  if not a then return b end
  if not b then return a end
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  if am > bm or (am == bm and as > bs) then return a end
  return b
end
if appended > 0 then
  redis.call('HSET', KEYS[3], 'l', lastId)
  -- Note the newest entry each bound removes before removing it.
  local cut = nil
  local excess = redis.call('XLEN', KEYS[1]) - maxLength
  if excess > 0 then
    local gone = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', excess)
    cut = gone[#gone][1]
    redis.call('XTRIM', KEYS[1], 'MAXLEN', maxLength)
  end
  local minId = tostring(now - maxAge) .. '-0'
  local old = redis.call('XREVRANGE', KEYS[1], '(' .. minId, '-', 'COUNT', 1)
  if #old > 0 then
    cut = newer(cut, old[1][1])
    redis.call('XTRIM', KEYS[1], 'MINID', minId)
  end
  if cut then redis.call('HSET', KEYS[3], 't', newer(redis.call('HGET', KEYS[3], 't') or nil, cut)) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. tostring(now - maxAge))
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, extra - 1) end
redis.call('PEXPIRE', KEYS[1], maxAge + 60000)
redis.call('PEXPIRE', KEYS[2], maxAge + 60000)
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return appended`;

// KEYS: stream, meta. ARGV: the position to read after ('' for none: just the state), the
// most entries to return, the meta TTL (renewed: a log someone follows keeps its meta).
// Returns generation (false: no log), last id, newest removed id, entries. Nothing is created
// for a feed never written: following any channel id costs Redis nothing.
const READ = `
local generation = redis.call('HGET', KEYS[2], 'g')
if not generation then return { false, '0-0', '0-0', {} } end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
local last = redis.call('HGET', KEYS[2], 'l') or '0-0'
local removed = redis.call('HGET', KEYS[2], 't') or '0-0'
-- Entries all expired by age: everything up to the last one is gone.
if redis.call('EXISTS', KEYS[1]) == 0 then return { generation, last, last, {} } end
local entries = {}
if ARGV[1] ~= '' then entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2]) end
return { generation, last, removed, entries }`;

/** A Redis Stream id, `ms-n`, as a pair that compares in stream order. */
export type StreamId = readonly [number, number];

export function parseStreamId(text: string): StreamId | null {
  const match = /^(\d{1,15})-(\d{1,15})$/.exec(text);
  return match === null ? null : [Number(match[1]), Number(match[2])];
}
export const streamIdText = (id: StreamId): string => `${id[0]}-${id[1]}`;
export const compareStreamIds = (a: StreamId, b: StreamId): number => a[0] - b[0] || a[1] - b[1];

/** A client's position in one feed's log: what SSE sends as the event id. */
export interface LogPosition {
  readonly generation: string;
  readonly id: StreamId;
}
export const formatPosition = (position: LogPosition): string => `${position.generation}.${streamIdText(position.id)}`;
export function parsePosition(text: string): LogPosition | null {
  const dot = text.indexOf('.');
  if (dot <= 0) return null;
  const generation = text.slice(0, dot);
  if (!/^[a-z0-9]{1,32}$/.test(generation)) return null;
  const id = parseStreamId(text.slice(dot + 1));
  return id === null ? null : { generation, id };
}

/** One event as the log holds it. */
export interface LogEntry {
  readonly id: StreamId;
  readonly seq: number;
  readonly videoId: string;
  readonly storedAtMs: number;
  /** The video's JSON text (`/videos` item). */
  readonly video: string;
}

/** The generation of a feed with no log yet: a position in it is "before everything". */
export const NO_LOG = '0';

export interface LogState {
  /** The log's generation, NO_LOG when it has none (never written, or its meta expired). */
  readonly generation: string;
  /** The newest position ever appended (0-0 when none). */
  readonly last: StreamId;
  /** The newest position the bounds removed (0-0 when none). */
  readonly deleted: StreamId;
}

export interface LogRead extends LogState {
  readonly entries: readonly LogEntry[];
}

/**
 * Where a client that says it saw `position` stands: 'ok' (it can read on from there), or why
 * it must reset (events it did not see are gone, or the position is not of this log).
 */
export function resumeCheck(state: LogState, position: LogPosition): 'ok' | 'trimmed' | 'other-log' {
  // Joined before the log existed: every entry came after, so only removed ones are missed.
  if (position.generation === NO_LOG && compareStreamIds(position.id, [0, 0]) === 0) {
    return compareStreamIds(state.deleted, [0, 0]) > 0 ? 'trimmed' : 'ok';
  }
  if (state.generation !== position.generation) return 'other-log';
  if (compareStreamIds(position.id, state.last) > 0) return 'other-log';
  if (compareStreamIds(position.id, state.deleted) < 0) return 'trimmed';
  return 'ok';
}

type RawEntry = [string, string[]];

// Hex, never NO_LOG.
const newGeneration = (): string => `g${randomBytes(6).toString('hex')}`;

function toEntry([id, fields]: RawEntry): LogEntry {
  const value = (name: string): string => {
    for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]!;
    return '';
  };
  return { id: parseStreamId(id) ?? [0, 0], seq: Number(value('s')), videoId: value('v'), storedAtMs: Number(value('t')), video: value('j') };
}

export interface FeedLogOptions {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly maxLength: number;
  readonly maxAgeMs: number;
}

export type FeedLog = ReturnType<typeof createFeedLog>;

export function createFeedLog({ redis, prefix, maxLength, maxAgeMs }: FeedLogOptions) {
  /** Appends the events of one feed (each `seq` once, ever); returns how many were new. */
  async function append(feed: FeedKey, events: readonly FeedEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const keys = feedLogKeys(prefix, feed);
    const args: Array<string | number> = [maxLength, maxAgeMs, newGeneration(), Math.max(META_TTL_MS, 2 * maxAgeMs), Math.max(SEEN_MIN_CAP, 2 * maxLength)];
    for (const event of events) args.push(event.seq, event.videoId, event.storedAt.getTime(), event.video);
    return Number(await redis.eval(APPEND, 3, keys.stream, keys.seen, keys.meta, ...args));
  }

  /** The log's state, and up to `count` entries after `after` when given. */
  async function read(feed: FeedKey, after: StreamId | null, count = 500): Promise<LogRead> {
    const keys = feedLogKeys(prefix, feed);
    const [generation, last, deleted, entries] = (await redis.eval(
      READ,
      2,
      keys.stream,
      keys.meta,
      after === null ? '' : streamIdText(after),
      count,
      Math.max(META_TTL_MS, 2 * maxAgeMs),
    )) as [string | null, string, string, RawEntry[]];
    return {
      generation: generation ?? NO_LOG,
      last: parseStreamId(last) ?? [0, 0],
      deleted: parseStreamId(deleted) ?? [0, 0],
      entries: entries.map(toEntry),
    };
  }

  /** Tells every API process which feeds have new entries. */
  async function announce(feeds: readonly FeedKey[]): Promise<void> {
    if (feeds.length > 0) await redis.publish(feedLogChannel(prefix), JSON.stringify(feeds));
  }

  return { append, read, announce };
}

/** The relay's sink for the log: each feed's events appended, then announced. */
export function feedLogSink(log: Pick<FeedLog, 'append' | 'announce'>): FeedEventSink {
  return {
    name: 'feed-log',
    async take(events) {
      const byFeed = new Map<FeedKey, FeedEvent[]>();
      for (const event of events) {
        const list = byFeed.get(event.feed);
        if (list === undefined) byFeed.set(event.feed, [event]);
        else list.push(event);
      }
      const touched: FeedKey[] = [];
      for (const [feed, list] of byFeed) {
        if ((await log.append(feed, list)) > 0) touched.push(feed);
      }
      await log.announce(touched);
    },
  };
}
