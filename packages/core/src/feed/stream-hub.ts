// Fans each feed's log (feed-log.ts) out to the SSE clients of one API process. A feed with
// clients is read once per change, however many clients follow it, and each event's SSE text is
// built once and written to every client as the same string.
//
// Reads happen on every change notice the worker publishes, at least every `pollMs` (a notice
// lost while pub/sub was down delays events, it never drops them), and after the pub/sub
// connection comes back.
//
// A client has its own position. Joining without one, it starts at the log's end (and is told
// that position at once in a `ready` event, so a reconnect after a quiet spell resumes from
// there). Joining with one (`Last-Event-ID`), it first reads the log after it on its own and
// goes live only once it has caught up with what this process already fanned out, so it gets
// every event in between once; if the events after its position are gone (trimmed, or the log
// was recreated), it gets a `reset` event instead, carrying the current position.
import { BusyError } from '../platform/errors.js';
import type { ChannelSubscriber } from '../platform/redis/channel-subscriber.js';
import type { Logger } from '../platform/logger.js';
import type { FeedKey } from '../catalog/feed-keys.js';
import {
  NO_LOG,
  compareStreamIds,
  feedLogChannel,
  formatPosition,
  parsePosition,
  resumeCheck,
  type FeedLog,
  type LogEntry,
  type StreamId,
} from './feed-log.js';

/** Where an SSE connection's text goes. */
export interface StreamClient {
  /** Writes SSE text; false when the client is too far behind (it is then closed). */
  send(text: string): boolean;
  /** Resolves once what was written has been handed to the network (or the client is gone). */
  drained?(): Promise<void>;
  close(): void;
}

export interface StreamHubDeps {
  readonly log: Pick<FeedLog, 'read'>;
  readonly channels: Pick<ChannelSubscriber, 'on' | 'onState'>;
  readonly prefix: string;
  readonly logger: Logger;
  readonly pollMs: number;
  readonly heartbeatMs: number;
  /** Entries read per step (default 500). */
  readonly readCount?: number;
  /** Called for each event written to a live client, with its store time (metrics). */
  readonly onDelivered?: (storedAtMs: number) => void;
}

interface Subscriber {
  readonly client: StreamClient;
  cursor: StreamId;
  live: boolean;
  /** Stops following: the count, the hub's set, the hub itself once empty. */
  leave: () => void;
}

interface Hub {
  readonly feed: FeedKey;
  generation: string;
  last: StreamId;
  readonly subscribers: Set<Subscriber>;
  reading: Promise<void> | null;
  again: boolean;
}

export type StreamHub = ReturnType<typeof createStreamHub>;

const event = (name: string, id: string, data: string): string => `id: ${id}\nevent: ${name}\ndata: ${data}\n\n`;
const HEARTBEAT = ':\n\n';
/** Clients written to between two turns of the event loop. */
const FAN_OUT_SLICE = 500;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function createStreamHub({ log, channels, prefix, logger, pollMs, heartbeatMs, readCount = 500, onDelivered }: StreamHubDeps) {
  const hubs = new Map<FeedKey, Hub>();
  const opening = new Map<FeedKey, Promise<Hub>>();
  let clients = 0;

  const videoEvent = (generation: string, entry: LogEntry): string => event('video', formatPosition({ generation, id: entry.id }), entry.video);
  const resetEvent = (generation: string, at: StreamId, reason: string): string =>
    event('reset', formatPosition({ generation, id: at }), JSON.stringify({ reason, message: 'events were missed: reload the listing, then follow on from here' }));

  let stopped = false;

  function drop(_hub: Hub, subscriber: Subscriber): void {
    subscriber.leave();
    subscriber.client.close();
  }

  /** Tells a live client the events after its position are gone and moves it to `at`. */
  function reset(hub: Hub, subscriber: Subscriber, at: StreamId, reason: string): void {
    subscriber.cursor = at;
    subscriber.live = true;
    if (!subscriber.client.send(resetEvent(hub.generation, at, reason))) drop(hub, subscriber);
  }

  function deliver(hub: Hub, subscriber: Subscriber, entry: LogEntry, text: string): boolean {
    if (compareStreamIds(entry.id, subscriber.cursor) <= 0) return true;
    subscriber.cursor = entry.id;
    if (!subscriber.client.send(text)) return false;
    if (subscriber.live) onDelivered?.(entry.storedAtMs);
    return true;
  }

  /**
   * Writes entries just read to the hub's live clients: each entry's text built once, all of
   * them in one write per client, and the event loop given back every FAN_OUT_SLICE clients
   * (thousands of clients would otherwise hold every other request for tens of ms).
   *
   * `hub.last` moves first: a client still catching up goes live only once its own reads reach
   * it, so it gets these entries from the log itself, while clients live now are the ones
   * written to here.
   */
  async function fanOut(hub: Hub, entries: readonly LogEntry[]): Promise<void> {
    const texts = entries.map((entry) => videoEvent(hub.generation, entry));
    const all = texts.join('');
    const first = entries[0]!.id;
    const last = entries.at(-1)!;
    hub.last = last.id;
    const targets = [...hub.subscribers].filter((subscriber) => subscriber.live);
    for (let i = 0; i < targets.length; i++) {
      const subscriber = targets[i]!;
      if (hub.subscribers.has(subscriber) && compareStreamIds(subscriber.cursor, last.id) < 0) {
        // Usually all of them; a client that joined at a later position gets only what is newer.
        const fresh = compareStreamIds(subscriber.cursor, first) < 0 ? null : entries.filter((entry) => compareStreamIds(entry.id, subscriber.cursor) > 0);
        const text = fresh === null ? all : fresh.map((entry) => texts[entries.indexOf(entry)]!).join('');
        subscriber.cursor = last.id;
        if (!subscriber.client.send(text)) drop(hub, subscriber);
        else if (onDelivered !== undefined) for (const entry of fresh ?? entries) onDelivered(entry.storedAtMs);
      }
      if ((i + 1) % FAN_OUT_SLICE === 0 && i + 1 < targets.length) await yieldToLoop();
    }
  }

  /** Reads what is new in the hub's log and writes it to its live clients. */
  async function pull(hub: Hub): Promise<void> {
    for (;;) {
      const read = await log.read(hub.feed, hub.last, readCount);
      if (read.generation !== hub.generation) {
        const previous = hub.generation;
        hub.generation = read.generation;
        hub.last = [0, 0];
        // The feed's first log: its clients joined before it, so they take it from its start.
        if (previous === NO_LOG) continue;
        // Recreated (Redis lost it, or its meta expired): what it held is gone.
        for (const subscriber of [...hub.subscribers]) if (subscriber.live) reset(hub, subscriber, hub.last, 'log-recreated');
        logger.warn({ feed: hub.feed, previous, generation: hub.generation }, 'feed log recreated; clients told to reset');
        continue;
      }
      if (read.entries.length > 0) await fanOut(hub, read.entries);
      if (read.entries.length < readCount) return;
    }
  }

  function poll(hub: Hub): Promise<void> {
    if (hub.reading !== null) {
      hub.again = true;
      return hub.reading;
    }
    hub.reading = (async () => {
      do {
        hub.again = false;
        try {
          await pull(hub);
        } catch (error) {
          logger.warn({ feed: hub.feed, err: (error as Error).message }, 'could not read a feed log; retrying at the next poll');
          return;
        }
      } while (hub.again);
    })().finally(() => {
      hub.reading = null;
    });
    return hub.reading;
  }

  async function open(feed: FeedKey): Promise<Hub> {
    const existing = hubs.get(feed);
    if (existing !== undefined) return existing;
    let pending = opening.get(feed);
    if (pending === undefined) {
      pending = log
        .read(feed, null)
        .then((state) => {
          const hub: Hub = { feed, generation: state.generation, last: state.last, subscribers: new Set(), reading: null, again: false };
          if (!stopped) hubs.set(feed, hub);
          return hub;
        })
        .finally(() => opening.delete(feed));
      opening.set(feed, pending);
    }
    return pending;
  }

  /**
   * Follows `feed` for `client`, from `lastEventId` when given. Resolves once the client is
   * live; returns the function that stops following.
   */
  async function subscribe(feed: FeedKey, lastEventId: string | undefined, client: StreamClient): Promise<() => void> {
    if (stopped) throw new BusyError('this API process is shutting down: reconnect (to another one) with the last event id');
    const opened = await open(feed);
    if (stopped) throw new BusyError('this API process is shutting down: reconnect (to another one) with the last event id');
    // The last client of an opened hub may have left meanwhile, taking it out of the map.
    let hub = hubs.get(feed);
    if (hub === undefined) hubs.set(feed, (hub = opened));
    const joined = hub;
    let left = false;
    const subscriber: Subscriber = {
      client,
      cursor: hub.last,
      live: false,
      leave: () => {
        if (left) return;
        left = true;
        clients--;
        joined.subscribers.delete(subscriber);
        if (joined.subscribers.size === 0 && hubs.get(feed) === joined) hubs.delete(feed);
      },
    };
    hub.subscribers.add(subscriber);
    clients++;
    try {
      await catchUp(hub, subscriber, lastEventId);
    } catch (error) {
      subscriber.leave();
      throw error;
    }
    return subscriber.leave;
  }

  async function catchUp(hub: Hub, subscriber: Subscriber, lastEventId: string | undefined): Promise<void> {
    const position = lastEventId === undefined ? null : parsePosition(lastEventId.trim());
    if (position === null) {
      // A new client, or an id that is not one of ours: start at the end this process knows.
      subscriber.cursor = hub.last;
      const text =
        lastEventId === undefined
          ? event('ready', formatPosition({ generation: hub.generation, id: hub.last }), '{}')
          : resetEvent(hub.generation, hub.last, 'unknown-id');
      subscriber.live = true;
      if (!subscriber.client.send(text)) drop(hub, subscriber);
      return;
    }
    let read = await log.read(hub.feed, position.id, readCount);
    // Judged again on every read: the bounds may remove entries while this client catches up.
    let generation = position.generation;
    subscriber.cursor = position.id;
    for (;;) {
      const verdict = resumeCheck(read, { generation, id: subscriber.cursor });
      // (A hub with no log yet has not read the feed's first log: it will take it as it is.)
      if (verdict !== 'ok' || (read.generation !== hub.generation && hub.generation !== NO_LOG)) {
        // Follow on from the newest position this process knows (the hub tells everyone of a
        // recreated log; this client, not live yet, is told here).
        reset(hub, subscriber, hub.last, verdict === 'ok' ? 'log-recreated' : verdict);
        return;
      }
      generation = read.generation;
      for (const entry of read.entries) {
        if (!deliver(hub, subscriber, entry, videoEvent(generation, entry))) {
          drop(hub, subscriber);
          return;
        }
      }
      // Live once this client has seen everything this process fanned out: no await between
      // the check and going live, so no fan-out can fall in between.
      if (read.entries.length < readCount && compareStreamIds(subscriber.cursor, hub.last) >= 0) break;
      // A client far behind gets the log as fast as it reads, not faster (no unbounded buffer).
      await subscriber.client.drained?.();
      if (!hub.subscribers.has(subscriber)) return;
      read = await log.read(hub.feed, subscriber.cursor, readCount);
    }
    subscriber.live = true;
  }

  let heartbeat: NodeJS.Timeout | undefined;
  let poller: NodeJS.Timeout | undefined;
  const stopListening: Array<() => void> = [];

  function pollAll(): void {
    for (const hub of hubs.values()) void poll(hub);
  }

  return {
    subscribe,
    /** SSE clients connected to this process. */
    clients: () => clients,
    /** Feeds with clients on this process. */
    feeds: () => hubs.size,
    start(): void {
      stopListening.push(
        channels.on(feedLogChannel(prefix), (message) => {
          let feeds: unknown;
          try {
            feeds = JSON.parse(message);
          } catch {
            feeds = null;
          }
          if (!Array.isArray(feeds)) {
            pollAll();
            return;
          }
          for (const feed of feeds) {
            const hub = typeof feed === 'string' ? hubs.get(feed) : undefined;
            if (hub !== undefined) void poll(hub);
          }
        }),
        channels.onState((state) => {
          if (state === 'up') pollAll();
        }),
      );
      poller = setInterval(pollAll, pollMs);
      poller.unref();
      heartbeat = setInterval(() => {
        void (async () => {
          let written = 0;
          for (const hub of [...hubs.values()]) {
            for (const subscriber of [...hub.subscribers]) {
              if (hub.subscribers.has(subscriber) && !subscriber.client.send(HEARTBEAT)) drop(hub, subscriber);
              if (++written % FAN_OUT_SLICE === 0) await yieldToLoop();
            }
          }
        })();
      }, heartbeatMs);
      heartbeat.unref();
    },
    /** Stops reading; closes every client (they reconnect, to this process or another). */
    stop(): void {
      stopped = true;
      clearInterval(poller);
      clearInterval(heartbeat);
      for (const stop of stopListening.splice(0)) stop();
      for (const hub of hubs.values()) for (const subscriber of [...hub.subscribers]) drop(hub, subscriber);
      hubs.clear();
    },
  };
}
