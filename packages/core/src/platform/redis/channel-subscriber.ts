// The one Redis pub/sub connection of a process, and its only user: modules register the
// channels they listen to (the page-1 snapshot's change notices, the run-time control channel)
// and this owner subscribes them, again after every reconnect, and says whether they are live.
//
// Why an owner and not a shared ioredis client: a connection in subscriber mode may only be sent
// (P|S)SUBSCRIBE, UNSUBSCRIBE, PING, QUIT and RESET. ioredis by default sends more: CLIENT SETINFO
// and an INFO ready check after every connect, and it writes SUBSCRIBE (which it flags as valid
// while loading) before those. When a SUBSCRIBE got through first, the ready check was refused
// client-side ("Connection in subscriber mode"), ioredis dropped the connection, rejected the
// subscriptions still queued and re-subscribed only those confirmed before: a process could
// come up with its feed-changed channel silently missing. Here nothing but SUBSCRIBE is ever
// written (no ready check, no client info, no offline queue, nothing resent), it is written only
// once the connection is ready, and every registered channel goes in each time.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createRedis } from './create-redis.js';

/** 'up' once SUBSCRIBE is confirmed for every registered channel on the current connection. */
export type ChannelState = 'up' | 'down';

export type ChannelSubscriber = ReturnType<typeof createChannelSubscriber>;

export interface ChannelSubscriberDeps {
  readonly redis: Config['redis'];
  readonly log: Logger;
}

export function createChannelSubscriber({ redis, log }: ChannelSubscriberDeps) {
  const connection = createRedis(redis, 'subscriber', log);
  const handlers = new Map<string, Set<(message: string) => void>>();
  const stateListeners = new Set<(state: ChannelState) => void>();
  let current: ChannelState = 'down';
  let started = false;
  let closing = false;
  let losses = 0;
  let everUp = false;
  let downSince = 0;
  // Bumped by every ready and every close: a SUBSCRIBE answer for an older connection is ignored.
  let connectionEpoch = 0;
  let lastSubscribeError: string | undefined;

  function setState(next: ChannelState, reason: string): void {
    if (next === current) return;
    current = next;
    const channels = [...handlers.keys()];
    if (next === 'up') {
      if (everUp) log.info({ channels, downMs: Date.now() - downSince }, 'channels subscribed again');
      else log.info({ channels }, 'channels subscribed');
      everUp = true;
      lastSubscribeError = undefined;
    } else {
      downSince = Date.now();
      if (!closing) {
        losses++;
        log.warn({ channels, reason, losses }, 'channel subscription lost; subscribing again once Redis answers');
      }
    }
    for (const listener of [...stateListeners]) {
      try {
        listener(next);
      } catch (error) {
        log.error({ err: error, state: next }, 'channel state listener failed');
      }
    }
  }

  function subscribeAll(): void {
    const epoch = ++connectionEpoch;
    const channels = [...handlers.keys()];
    if (channels.length === 0) {
      setState('up', 'no channels');
      return;
    }
    connection.subscribe(...channels).then(
      (count) => {
        if (epoch !== connectionEpoch || connection.status !== 'ready') return;
        if (Number(count) >= channels.length) setState('up', 'subscribed');
      },
      (error: unknown) => {
        // An answer for a connection already gone: its close is handled, the next ready retries.
        if (epoch !== connectionEpoch || closing) return;
        const message = (error as Error).message;
        if (message !== lastSubscribeError) log.warn({ channels, err: message }, 'SUBSCRIBE failed; reconnecting to try again');
        lastSubscribeError = message;
        // A fresh connection, paced by the retry strategy, is the one way to try again cleanly.
        if (connection.status === 'ready') connection.disconnect(true);
      },
    );
  }

  connection.on('message', (channel: string, message: string) => {
    for (const handler of handlers.get(channel) ?? []) {
      try {
        handler(message);
      } catch (error) {
        log.error({ err: error, channel }, 'channel message handler failed');
      }
    }
  });
  // With the ready check off, 'ready' follows the TCP connect (and AUTH/SELECT, if configured) at
  // once: the connection is not in subscriber mode yet, and from here on only SUBSCRIBE is sent.
  connection.on('ready', subscribeAll);
  connection.on('close', () => {
    connectionEpoch++;
    setState('down', 'connection closed');
  });
  connection.on('error', (error: Error) => {
    // Logged by createRedis. A socket error is followed by 'close' (and a reconnect); one that
    // leaves the connection open (none is expected) must not leave it down for good: start over
    // on a fresh connection.
    setState('down', error.message);
    setImmediate(() => {
      if (connection.status === 'ready' && current === 'down' && !closing) connection.disconnect(true);
    });
  });

  /** Registers a handler for a channel's messages; channels are registered before start(). */
  function on(channel: string, handler: (message: string) => void): () => void {
    let set = handlers.get(channel);
    if (set === undefined) {
      // Up means every channel is subscribed: a channel added later would have to take it down.
      if (started) throw new Error(`channel ${channel} registered after start(); register every channel first`);
      set = new Set();
      handlers.set(channel, set);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Told of every up/down transition. */
  function onState(listener: (state: ChannelState) => void): () => void {
    stateListeners.add(listener);
    return () => stateListeners.delete(listener);
  }

  /** Connects without waiting: with Redis down the process still starts, and subscribes later. */
  function start(): void {
    if (started) return;
    started = true;
    connection.connect().catch((error: unknown) => {
      // The retry strategy keeps trying; createRedis logs the failure, this says what waits on it.
      log.warn({ err: (error as Error).message }, 'channels not subscribed yet: Redis does not answer');
    });
  }

  /** Whether a connection or a subscription is in progress, so "down" may only mean "not yet". */
  function attemptInProgress(): boolean {
    const { status } = connection;
    return status === 'connecting' || status === 'connect' || (status === 'ready' && current === 'down');
  }

  /** The state, after waiting (at most `timeoutMs`) for an attempt in progress to end. */
  async function settledState(timeoutMs: number): Promise<ChannelState> {
    if (current === 'up' || !attemptInProgress()) return current;
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        stopListening();
        connection.off('close', finish);
        resolve(current);
      };
      const timer = setTimeout(finish, timeoutMs);
      const stopListening = onState(finish);
      connection.on('close', finish);
    });
  }

  async function close(): Promise<void> {
    closing = true;
    handlers.clear();
    if (connection.status === 'end') return;
    const ended = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      connection.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    connection.disconnect();
    await ended;
    stateListeners.clear();
  }

  return {
    on,
    onState,
    start,
    close,
    settledState,
    state: (): ChannelState => current,
    /** Times the subscription was lost after being up (a connection closed, an error). */
    losses: (): number => losses,
  };
}
