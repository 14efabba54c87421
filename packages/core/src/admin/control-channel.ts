// A pub/sub channel for changes made at run time (keys or followed queries added, changed or
// removed through the admin API), so every worker and API process acts on them without a
// restart. Messages carry no data beyond their kind: receivers re-read MySQL. A message sent
// while this process's subscription was down is lost, so when it is up again the local
// handlers are told of both kinds (re-reading is all they do).
import type { Logger } from '../platform/logger.js';
import type { ChannelState, ChannelSubscriber } from '../platform/redis/channel-subscriber.js';
import { redisKey, type RedisClient } from '../platform/redis/create-redis.js';

export type ControlEvent = 'keys-changed' | 'queries-changed';

export type ControlChannel = ReturnType<typeof createControlChannel>;

export interface ControlChannelDeps {
  readonly redis: Pick<RedisClient, 'publish'>;
  /** The process's pub/sub connection. */
  readonly channels: Pick<ChannelSubscriber, 'on' | 'onState'>;
  readonly prefix: string;
  readonly log: Logger;
}

export function createControlChannel({ redis, channels, prefix, log }: ControlChannelDeps) {
  const channel = redisKey(prefix, 'control');
  const handlers = new Set<(event: ControlEvent) => void>();
  const stopListening: Array<() => void> = [];
  let lost = false;

  function deliver(event: ControlEvent): void {
    for (const handler of handlers) handler(event);
  }

  function onMessage(message: string): void {
    if (message !== 'keys-changed' && message !== 'queries-changed') return;
    deliver(message);
  }

  function onChannelState(state: ChannelState): void {
    if (state === 'down') {
      lost = true;
      return;
    }
    if (!lost) return;
    lost = false;
    log.info('control channel back: re-reading keys and queries in case a change was missed');
    deliver('keys-changed');
    deliver('queries-changed');
  }

  /** Registers the channel; the owner subscribes it without waiting, so a process boots without Redis. */
  function start(): void {
    stopListening.push(channels.on(channel, onMessage), channels.onState(onChannelState));
  }

  function on(handler: (event: ControlEvent) => void): () => void {
    handlers.add(handler);
    return () => handlers.delete(handler);
  }

  async function publish(event: ControlEvent): Promise<void> {
    // Local handlers run at once; the publish reaches the other processes.
    deliver(event);
    await redis.publish(channel, event);
  }

  function stop(): void {
    for (const off of stopListening.splice(0)) off();
    handlers.clear();
  }

  return { start, on, publish, stop };
}
