// The push side end to end inside core, on real MySQL and Redis: the outbox written with the
// videos, the relay, each feed's Redis Stream log, and the fan-out to SSE clients with resume.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { createChannelSubscriber } from '../platform/redis/channel-subscriber.js';
import { createFeedEventRepository } from '../catalog/feed-event-repository.js';
import { ALL_FEED, channelFeed, queryFeed } from '../catalog/feed-keys.js';
import { createSearchQueryRepository } from '../catalog/search-query-repository.js';
import { createVideoRepository } from '../catalog/video-repository.js';
import { clearRedisPrefix, createTestDatabase, createTestRedis, silentLogger, testRedisUrl, uniqueName, until, videoInput, type TestDatabase } from '../testing/index.js';
import type { FeedEvent, FeedEventSink } from './feed-events.js';
import { NO_LOG, compareStreamIds, createFeedLog, feedLogKeys, feedLogSink, formatPosition, parsePosition, resumeCheck, type FeedLog, type StreamId } from './feed-log.js';
import { createFeedRelay } from './feed-relay.js';
import { createStreamHub, type StreamClient } from './stream-hub.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
const redis = createTestRedis();
let db: TestDatabase;
const closers: Array<() => unknown> = [];
let prefix: string;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await clearRedisPrefix(redis, prefix);
  await db.kysely.deleteFrom('feed_events').execute();
});
afterAll(async () => {
  redis.disconnect();
  await db.drop();
});

function setup(options: { maxLength?: number; sinks?: (log: FeedLog) => FeedEventSink[] } = {}) {
  prefix = uniqueName('push');
  const log = createFeedLog({ redis, prefix, maxLength: options.maxLength ?? 1000, maxAgeMs: 3_600_000 });
  const events = createFeedEventRepository({ db: db.kysely });
  const relay = createFeedRelay({
    events,
    sinks: options.sinks?.(log) ?? [feedLogSink(log)],
    clock,
    log: silentLogger,
    intervalMs: 60_000,
    retentionMs: 3_600_000,
  });
  closers.push(() => relay.stop());
  return { log, events, relay, videos: createVideoRepository({ db: db.kysely, clock }) };
}

/** Every video id in a feed's log, in log order. */
async function logged(log: FeedLog, feed: string): Promise<string[]> {
  const read = await log.read(feed, [0, 0], 10_000);
  return read.entries.map((entry) => entry.videoId);
}

/** An SSE client that records what it was sent. */
function recorder() {
  const texts: string[] = [];
  let closed = false;
  const client: StreamClient = {
    send(text) {
      if (closed) return false;
      texts.push(text);
      return true;
    },
    close() {
      closed = true;
    },
  };
  // One send may carry several events (a fan-out writes what it read at once).
  const events = () =>
    texts
      .join('')
      .split('\n\n')
      .filter((text) => text.startsWith('id: '))
      .map((text) => {
        const [idLine, eventLine, dataLine] = text.split('\n');
        return { id: idLine!.slice(4), event: eventLine!.slice(7), data: dataLine!.slice(6) };
      });
  const videoIds = () =>
    events()
      .filter((event) => event.event === 'video')
      .map((event) => (JSON.parse(event.data) as { video_id: string }).video_id);
  return { client, events, videoIds, lastId: () => events().at(-1)?.id, isClosed: () => closed };
}

describe('the outbox', () => {
  it('gets one row per feed a video newly enters, in the storing transaction, and none for a video stored again', async () => {
    const { videos, events } = setup();
    const queries = createSearchQueryRepository({ db: db.kysely, clock });
    const query = await queries.follow(uniqueName('q'));
    const a = videoInput({ channelId: 'UCaaaaaaaaaaaaaaaaaaaaaa' });
    const b = videoInput({ channelId: 'UCbbbbbbbbbbbbbbbbbbbbbb' });
    await videos.upsertBatch([a, b], { queryId: query.id });
    // Stored again, changed, and found by the query again: nothing is new.
    await videos.upsertBatch([{ ...a, title: 'Edited' }, b], { queryId: query.id });
    // Found by a second query: new in that query's feed only.
    const other = await queries.follow(uniqueName('q'));
    await videos.upsertBatch([{ ...a, title: 'Edited' }], { queryId: other.id });

    const { events: pending } = await events.pending(100);
    const byFeed = (feed: string) => pending.filter((event) => event.feed === feed).map((event) => event.videoId).sort();
    expect(byFeed(ALL_FEED)).toEqual([a.videoId, b.videoId].sort());
    expect(byFeed(channelFeed(a.channelId))).toEqual([a.videoId]);
    expect(byFeed(channelFeed(b.channelId))).toEqual([b.videoId]);
    expect(byFeed(queryFeed(query.id))).toEqual([a.videoId, b.videoId].sort());
    expect(byFeed(queryFeed(other.id))).toEqual([a.videoId]);
    expect(pending).toHaveLength(7);
    // The event carries the video as listings serve it (its current JSON: the edited title).
    const event = pending.find((e) => e.feed === queryFeed(other.id))!;
    expect(JSON.parse(event.video)).toMatchObject({ video_id: a.videoId, title: 'Edited' });
  });
});

describe('the relay', () => {
  it('appends each event to its feed’s log once, even when handed over again after a crash before marking', async () => {
    // A crash between the sinks taking a batch and the rows being marked relayed: the first
    // mark fails, so the next drain hands the same events over again.
    prefix = uniqueName('push');
    const log = createFeedLog({ redis, prefix, maxLength: 1000, maxAgeMs: 3_600_000 });
    const repository = createFeedEventRepository({ db: db.kysely });
    let failMarks = 1;
    const relay = createFeedRelay({
      events: {
        pending: repository.pending,
        prune: repository.prune,
        markRelayed: async (seqs, at) => {
          if (failMarks-- > 0) throw new Error('connection lost');
          await repository.markRelayed(seqs, at);
        },
      },
      sinks: [feedLogSink(log)],
      clock,
      log: silentLogger,
      intervalMs: 60_000,
      retentionMs: 3_600_000,
    });
    closers.push(() => relay.stop());
    const videos = createVideoRepository({ db: db.kysely, clock });
    const batch = Array.from({ length: 5 }, () => videoInput());
    await videos.upsertBatch(batch);

    await relay.drain(); // takes, then fails to mark
    expect((await repository.pending(100)).events).toHaveLength(10);
    await relay.drain(); // hands over again, marks
    expect((await repository.pending(100)).events).toHaveLength(0);
    expect((await logged(log, ALL_FEED)).sort()).toEqual(batch.map((v) => v.videoId).sort());
    expect(await logged(log, channelFeed(batch[0]!.channelId))).toHaveLength(5);
  });

  it('leaves events in the outbox while a sink fails, and relays them in order once it works', async () => {
    let down = true;
    const taken: FeedEvent[] = [];
    const { relay, events, videos } = setup({
      sinks: (log) => [
        feedLogSink(log),
        {
          name: 'flaky',
          take: (batch) => {
            if (down) return Promise.reject(new Error('sink down'));
            taken.push(...batch);
            return Promise.resolve();
          },
        },
      ],
    });
    const first = videoInput();
    await videos.upsertBatch([first]);
    await relay.drain();
    expect((await events.pending(100)).events).toHaveLength(2);
    const second = videoInput();
    await videos.upsertBatch([second]);
    down = false;
    await relay.drain();
    expect((await events.pending(100)).events).toHaveLength(0);
    expect(taken.filter((e) => e.feed === ALL_FEED).map((e) => e.videoId)).toEqual([first.videoId, second.videoId]);
  });

  it('prunes relayed rows older than the retention, never pending ones', async () => {
    const { relay, events, videos } = setup();
    await videos.upsertBatch([videoInput()]);
    await relay.drain();
    await videos.upsertBatch([videoInput()]);
    // Nothing is old enough yet.
    expect(await events.prune(new Date(clock.now().getTime() - 3_600_000))).toBe(0);
    clock.advance(2 * 3_600_000);
    // The first video's two relayed rows go; the second's, pending, stay however old.
    expect(await events.prune(new Date(clock.now().getTime() - 3_600_000))).toBe(2);
    const rows = await db.kysely.selectFrom('feed_events').select(['seq', 'relayed_at']).execute();
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.relayed_at === null)).toBe(true);
  });
});

describe('the log', () => {
  it('says a position is resumable, trimmed, or of another log', async () => {
    const { log } = setup({ maxLength: 100 });
    const event = (seq: number): FeedEvent => ({ seq, feed: ALL_FEED, videoId: `v${seq}`, video: `{"video_id":"v${seq}"}`, storedAt: clock.now() });
    await log.append(ALL_FEED, [event(1), event(2), event(3)]);
    const state = await log.read(ALL_FEED, [0, 0]);
    const [one, two] = state.entries;
    expect(resumeCheck(state, { generation: state.generation, id: one!.id })).toBe('ok');
    // Position strings round-trip; junk is not a position.
    expect(parsePosition(formatPosition({ generation: state.generation, id: two!.id }))).toEqual({ generation: state.generation, id: two!.id });
    for (const junk of ['', '1-2', 'abc.', 'ABC.1-2', 'abc.1-', 'abc.1-2-3', `${'a'.repeat(33)}.1-2`]) expect(parsePosition(junk), junk).toBeNull();
    // Appending the same seqs again adds nothing.
    expect(await log.append(ALL_FEED, [event(2), event(3)])).toBe(0);
    // 150 more: the bounds drop the oldest, and a position before them is trimmed.
    await log.append(
      ALL_FEED,
      Array.from({ length: 150 }, (_, i) => event(10 + i)),
    );
    const after = await log.read(ALL_FEED, [0, 0], 1000);
    expect(after.entries).toHaveLength(100);
    expect(resumeCheck(after, { generation: after.generation, id: one!.id })).toBe('trimmed');
    expect(resumeCheck(after, { generation: 'ffffffffffff', id: after.last })).toBe('other-log');
    expect(resumeCheck(after, { generation: after.generation, id: [after.last[0] + 1, 0] })).toBe('other-log');
    // Gone entirely (keys expired, Redis emptied): a new generation, so old positions reset.
    await clearRedisPrefix(redis, prefix);
    const fresh = await log.read(ALL_FEED, null);
    expect(fresh.generation).not.toBe(after.generation);
    expect(resumeCheck(fresh, { generation: after.generation, id: after.last })).toBe('other-log');
  });
});

describe('the stream hub', () => {
  function hubOf(log: FeedLog) {
    const channels = createChannelSubscriber({ redis: { url: testRedisUrl(), prefix }, log: silentLogger });
    const hub = createStreamHub({ log, channels, prefix, logger: silentLogger, pollMs: 60_000, heartbeatMs: 60_000 });
    hub.start();
    channels.start();
    closers.push(() => channels.close(), () => hub.stop());
    return { hub, channels };
  }

  it('sends every new video to live clients as the relay appends it, once each, and resumes a reconnecting client after its last id', async () => {
    const { log, relay, videos } = setup();
    const { hub, channels } = hubOf(log);
    await until('subscribed', () => (channels.state() === 'up' ? true : undefined));
    const live = recorder();
    const leaveLive = await hub.subscribe(ALL_FEED, undefined, live.client);
    expect(live.events()[0]!.event).toBe('ready');

    const first = Array.from({ length: 3 }, () => videoInput());
    await videos.upsertBatch(first);
    await relay.drain();
    await until('first videos live (by the notice: the poll is a minute away)', () => (live.videoIds().length === 3 ? true : undefined));

    // A client that got the first video, then dropped; more videos while it is away.
    const dropped = recorder();
    const firstEvent = live.events().find((event) => event.event === 'video')!;
    const more = Array.from({ length: 4 }, () => videoInput());
    await videos.upsertBatch(more);
    await relay.drain();
    const leave = await hub.subscribe(ALL_FEED, firstEvent.id, dropped.client);
    await until('live client has all', () => (live.videoIds().length === 7 ? true : undefined));
    const expected = [...first, ...more].map((v) => v.videoId);
    expect(new Set(live.videoIds())).toEqual(new Set(expected));
    expect(live.videoIds()).toHaveLength(7);
    // The reconnecting client: everything after the first video, once, in log order.
    await until('resumed client caught up', () => (dropped.videoIds().length === 6 ? true : undefined));
    expect(dropped.videoIds()).toEqual(live.videoIds().slice(1));
    // And it stays live.
    const last = videoInput();
    await videos.upsertBatch([last]);
    await relay.drain();
    await until('both got the last one', () => (dropped.videoIds().includes(last.videoId) && live.videoIds().includes(last.videoId) ? true : undefined));
    expect(dropped.videoIds()).toHaveLength(7);
    leave();
    leaveLive();
    expect(hub.clients()).toBe(0);
  });

  it('tells a client to reset when the events after its id are gone, and gives it a position to follow on from', async () => {
    const { log, relay, videos } = setup({ maxLength: 100 });
    const { hub } = hubOf(log);
    await videos.upsertBatch([videoInput()]);
    await relay.drain();
    const state = await log.read(ALL_FEED, [0, 0]);
    const oldId = formatPosition({ generation: state.generation, id: state.entries[0]!.id });
    await videos.upsertBatch(Array.from({ length: 120 }, () => videoInput()));
    await relay.drain();
    for (const [id, reason] of [
      [oldId, 'trimmed'],
      [formatPosition({ generation: 'abcdef', id: state.last }), 'other-log'],
      ['not-an-id', 'unknown-id'],
    ] as const) {
      const client = recorder();
      const leave = await hub.subscribe(ALL_FEED, id, client.client);
      const [reset] = client.events();
      expect(reset?.event, id).toBe('reset');
      expect(JSON.parse(reset!.data), id).toMatchObject({ reason });
      // The reset's id is the log's end: resuming from it is fine.
      const position = parsePosition(reset!.id)!;
      expect(resumeCheck(await log.read(ALL_FEED, null), position)).toBe('ok');
      expect(client.videoIds()).toEqual([]);
      leave();
    }
  });

  it('loses nothing for clients that join with an id while videos are being appended and fanned out to 1,100 live clients', async () => {
    const { log, relay, videos } = setup();
    const { hub, channels } = hubOf(log);
    await until('subscribed', () => (channels.state() === 'up' ? true : undefined));
    await videos.upsertBatch([videoInput()]);
    await relay.drain();
    const start = (await log.read(ALL_FEED, [0, 0])).entries[0]!;
    const generation = (await log.read(ALL_FEED, null)).generation;
    // More live clients than one fan-out slice, so deliveries yield to the event loop (and
    // the joining clients below go live) in the middle of a fan-out.
    const crowd = Array.from({ length: 1100 }, () => recorder());
    for (const member of crowd) closers.push(await hub.subscribe(ALL_FEED, undefined, member.client));
    const stored: string[] = [];
    const writing = (async () => {
      for (let i = 0; i < 20; i++) {
        const video = videoInput();
        stored.push(video.videoId);
        await videos.upsertBatch([video]);
        await relay.drain();
      }
    })();
    const clients = [];
    for (let i = 0; i < 10; i++) {
      const client = recorder();
      clients.push(client);
      closers.push(await hub.subscribe(ALL_FEED, formatPosition({ generation, id: start.id }), client.client));
    }
    await writing;
    for (const [i, client] of clients.entries()) {
      await until(`client ${i} has every video`, () => (client.videoIds().length >= 20 ? true : undefined));
      expect(client.videoIds(), `client ${i}`).toEqual(stored);
    }
    for (const [i, member] of crowd.entries()) {
      await until(`live client ${i} has every video`, () => (member.videoIds().length >= 20 ? true : undefined));
      expect(member.videoIds(), `live client ${i}`).toEqual(stored);
    }
  });
});

describe('the log and hub at their edges', () => {
  const event = (seq: number, feed = ALL_FEED): FeedEvent => ({ seq, feed, videoId: `v${seq}`, video: `{"video_id":"v${seq}"}`, storedAt: clock.now() });

  function hubOn(log: FeedLog, readCount?: number) {
    const channels = createChannelSubscriber({ redis: { url: testRedisUrl(), prefix }, log: silentLogger });
    const hub = createStreamHub({ log, channels, prefix, logger: silentLogger, pollMs: 60_000, heartbeatMs: 60_000, ...(readCount === undefined ? {} : { readCount }) });
    hub.start();
    channels.start();
    closers.push(() => channels.close(), () => hub.stop());
    return hub;
  }

  it('appends a batch larger than the length bound once, however often it is handed over', async () => {
    const { log } = setup({ maxLength: 100 });
    const batch = Array.from({ length: 500 }, (_, i) => event(i + 1));
    expect(await log.append(ALL_FEED, batch)).toBe(500);
    expect(await log.append(ALL_FEED, batch)).toBe(0);
    expect((await log.read(ALL_FEED, [0, 0], 1000)).entries).toHaveLength(100);
  });

  it('keeps judging positions rightly after a quiet feed’s entries expired, and creates nothing for a feed never written', async () => {
    const { log } = setup();
    await log.append(ALL_FEED, [event(1), event(2)]);
    const state = await log.read(ALL_FEED, [0, 0]);
    const [one, two] = state.entries;
    // The entries expire after the retention; the small meta outlives them.
    await redis.del(feedLogKeys(prefix, ALL_FEED).stream);
    const quiet = await log.read(ALL_FEED, null);
    expect(quiet.generation).toBe(state.generation);
    expect(resumeCheck(quiet, { generation: state.generation, id: two!.id })).toBe('ok');
    expect(resumeCheck(quiet, { generation: state.generation, id: one!.id })).toBe('trimmed');
    // Reading a feed nobody wrote leaves no key behind.
    const never = await log.read(channelFeed('UCnever000000000000000001'), null);
    expect(never.generation).toBe(NO_LOG);
    expect(await redis.exists(...Object.values(feedLogKeys(prefix, channelFeed('UCnever000000000000000001'))))).toBe(0);
  });

  it('gives a client that joined before the feed’s first log everything in it, without a reset', async () => {
    const { log } = setup();
    const hub = hubOn(log);
    const client = recorder();
    closers.push(await hub.subscribe(channelFeed('UCfirst000000000000000001'), undefined, client.client));
    expect(client.events()[0]).toMatchObject({ event: 'ready', id: `${NO_LOG}.0-0` });
    await log.append(channelFeed('UCfirst000000000000000001'), [event(1, channelFeed('UCfirst000000000000000001'))]);
    await log.announce([channelFeed('UCfirst000000000000000001')]);
    await until('the first video', () => (client.videoIds().length === 1 ? true : undefined));
    // And one that reconnects with the ready id gets it too.
    const later = recorder();
    closers.push(await hub.subscribe(channelFeed('UCfirst000000000000000001'), `${NO_LOG}.0-0`, later.client));
    expect(later.videoIds()).toEqual(['v1']);
    expect(client.events().filter((e) => e.event === 'reset')).toEqual([]);
  });

  /**
   * The client got `before`, then a reset for `reason`, and after it only what follows the
   * reset's position (the hub may already be fanning the new entries out to it).
   */
  function expectResetAfter(client: ReturnType<typeof recorder>, before: string[], reason: string): void {
    const events = client.events();
    const at = events.findIndex((e) => e.event === 'reset');
    expect(at, 'a reset').toBeGreaterThan(-1);
    const videoId = (e: { data: string }) => (JSON.parse(e.data) as { video_id: string }).video_id;
    expect(events.slice(0, at).filter((e) => e.event === 'video').map(videoId)).toEqual(before);
    expect(JSON.parse(events[at]!.data)).toMatchObject({ reason });
    const from = parsePosition(events[at]!.id)!;
    for (const later of events.slice(at + 1)) expect(compareStreamIds(parsePosition(later.id)!.id, from.id)).toBeGreaterThan(0);
  }

  /** The log, with `before` run once ahead of the first read after `at` (a client's, not the hub's). */
  function onRead(log: FeedLog, at: StreamId, before: () => Promise<unknown>): FeedLog {
    let done = false;
    return {
      ...log,
      read: async (feed, after, count) => {
        if (!done && after !== null && compareStreamIds(after, at) === 0) {
          done = true;
          await before();
        }
        return log.read(feed, after, count);
      },
    };
  }

  it('resets a catching-up client whose next entries the bounds removed meanwhile', async () => {
    const { log } = setup({ maxLength: 100 });
    await log.append(ALL_FEED, Array.from({ length: 10 }, (_, i) => event(i + 1)));
    const state = await log.read(ALL_FEED, [0, 0]);
    const from = formatPosition({ generation: state.generation, id: state.entries[0]!.id });
    // The client reads 2 entries at a time; before its second read, 150 more push the rest out.
    const hub = hubOn(
      onRead(log, state.entries[2]!.id, () => log.append(ALL_FEED, Array.from({ length: 150 }, (_, i) => event(100 + i)))),
      2,
    );
    const client = recorder();
    closers.push(await hub.subscribe(ALL_FEED, from, client.client));
    expectResetAfter(client, ['v2', 'v3'], 'trimmed');
  });

  it('resets a catching-up client when the log is recreated under it, and holds nothing after stop()', async () => {
    const { log } = setup();
    await log.append(ALL_FEED, Array.from({ length: 6 }, (_, i) => event(i + 1)));
    const state = await log.read(ALL_FEED, [0, 0]);
    const from = formatPosition({ generation: state.generation, id: state.entries[0]!.id });
    // Before the client's second read, Redis loses the log and a new one starts.
    const hub = hubOn(
      onRead(log, state.entries[2]!.id, async () => {
        await clearRedisPrefix(redis, prefix);
        await log.append(ALL_FEED, [event(50)]);
      }),
      2,
    );
    const client = recorder();
    closers.push(await hub.subscribe(ALL_FEED, from, client.client));
    expectResetAfter(client, ['v2', 'v3'], 'other-log');

    hub.stop();
    expect(hub.clients()).toBe(0);
    expect(hub.feeds()).toBe(0);
    await expect(hub.subscribe(ALL_FEED, undefined, recorder().client)).rejects.toThrow(/shutting down/);
    expect(hub.clients()).toBe(0);
  });
});
