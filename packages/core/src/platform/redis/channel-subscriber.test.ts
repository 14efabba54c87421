// The pub/sub owner against a real redis-server of its own (the shared one is never cut or
// restarted): MONITOR on that server sees every command its connections send, a TCP proxy in
// front of it drops them on demand, and killing the server takes everything away.
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../testing/faults/redis-server.js';
import { startTcpProxy, type TcpProxy } from '../../testing/faults/tcp-proxy.js';
import { createLogger } from '../logger.js';
import { sleep, until } from '../../testing/index.js';
import { createChannelSubscriber, type ChannelState, type ChannelSubscriber } from './channel-subscriber.js';

const CHANNELS = ['tf:feed:changed', 'tf:control'] as const;

let server: PrivateRedis;
let proxy: TcpProxy;
/** Publishes and asks PUBSUB NUMSUB; sends nothing else (no ready check, no client info). */
let publisher: Redis;
const subscribers: ChannelSubscriber[] = [];

beforeAll(async () => {
  server = await startPrivateRedis();
  const { hostname, port } = new URL(server.url);
  proxy = await startTcpProxy({ host: hostname, port: Number(port) });
  publisher = new Redis(server.url, { enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 1 });
  publisher.on('error', () => undefined); // refused while the tests have the server down; it reconnects
});
afterEach(async () => {
  for (const subscriber of subscribers.splice(0)) await subscriber.close();
});
afterAll(async () => {
  publisher?.disconnect();
  await proxy?.close();
  await server?.stop();
});

function logLines() {
  const lines: Array<{ level: number; msg: string; err?: unknown }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { lines, log: createLogger({ level: 'debug', format: 'json' }, 'test', destination) };
}

/** A started owner of the two channels; every message received and every transition recorded. */
function subscribe(url: string) {
  const { lines, log } = logLines();
  const subscriber = createChannelSubscriber({ redis: { url, prefix: 'tf' }, log });
  subscribers.push(subscriber);
  const received: string[] = [];
  const transitions: ChannelState[] = [];
  for (const channel of CHANNELS) subscriber.on(channel, (message) => received.push(`${channel} ${message}`));
  subscriber.onState((state) => transitions.push(state));
  subscriber.start();
  return { subscriber, received, transitions, lines };
}

async function numsub(): Promise<Record<string, number>> {
  const reply = (await publisher.pubsub('NUMSUB', ...CHANNELS)) as Array<string | number>;
  const counts: Record<string, number> = {};
  for (let i = 0; i < reply.length; i += 2) counts[String(reply[i])] = Number(reply[i + 1]);
  return counts;
}

const up = (subscriber: ChannelSubscriber) => until('the channels to be subscribed', () => (subscriber.state() === 'up' ? true : undefined), 10_000);
const down = (subscriber: ChannelSubscriber) => until('the subscription to be lost', () => (subscriber.state() === 'down' ? true : undefined), 10_000);

/** Publishes on every channel and waits until each message arrived. */
async function deliversOnEveryChannel(received: string[], tag: string): Promise<void> {
  for (const channel of CHANNELS) {
    await publisher.publish(channel, tag);
    await until(`"${tag}" on ${channel}`, () => (received.includes(`${channel} ${tag}`) ? true : undefined), 5000);
  }
}

describe('channel subscriber', () => {
  it('sends nothing but SUBSCRIBE, with every channel, at connect and after every reconnect', async () => {
    const monitor = await new Redis(server.url).monitor();
    const commands: Array<{ source: string; command: string; args: string[] }> = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      commands.push({ source, command: String(args[0]).toLowerCase(), args: args.slice(1) });
    });
    try {
      const proxyUrl = `redis://${proxy.host}:${proxy.port}`;
      const { subscriber, received, transitions, lines } = subscribe(proxyUrl);
      await up(subscriber);
      await deliversOnEveryChannel(received, 'first');
      for (let cut = 1; cut <= 3; cut++) {
        // Every connection the proxy holds is reset: the subscriber's drops and reconnects.
        proxy.cut();
        await down(subscriber);
        await up(subscriber);
        await deliversOnEveryChannel(received, `after cut ${cut}`);
      }
      expect(transitions).toEqual(['up', 'down', 'up', 'down', 'up', 'down', 'up']);
      expect(subscriber.losses()).toBe(3);
      await sleep(100); // the last MONITOR lines

      // Only the publisher (PUBLISH) and the subscriber's connections spoke to this server.
      const subscriberSources = new Set(commands.filter((c) => c.command === 'subscribe').map((c) => c.source));
      expect(subscriberSources.size).toBe(4); // the first connection and one per cut
      const fromSubscriber = commands.filter((c) => subscriberSources.has(c.source));
      expect(fromSubscriber.map((c) => c.command)).toEqual(['subscribe', 'subscribe', 'subscribe', 'subscribe']);
      for (const c of fromSubscriber) expect(c.args).toEqual([...CHANNELS]);
      expect(new Set(commands.map((c) => c.command))).toEqual(new Set(['subscribe', 'publish']));
      // Nor was anything refused on the client side ("Connection in subscriber mode") or retried.
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
      expect(JSON.stringify(lines)).not.toContain('subscriber mode');
    } finally {
      monitor.disconnect();
    }
  });

  it('subscribes every channel again after redis-server is killed and restarted empty, each time', async () => {
    const { subscriber, received, lines } = subscribe(server.url);
    await up(subscriber);
    expect(await numsub()).toEqual({ [CHANNELS[0]]: 1, [CHANNELS[1]]: 1 });
    for (let restart = 1; restart <= 3; restart++) {
      await server.crash();
      await down(subscriber);
      expect(await subscriber.settledState(500)).toBe('down');
      await server.restart();
      await up(subscriber);
      expect(await numsub()).toEqual({ [CHANNELS[0]]: 1, [CHANNELS[1]]: 1 });
      await deliversOnEveryChannel(received, `after restart ${restart}`);
      expect(subscriber.losses()).toBe(restart);
    }
    const lost = lines.filter((line) => line.msg.startsWith('channel subscription lost'));
    expect(lost).toHaveLength(3);
    expect(lines.filter((line) => line.msg === 'channels subscribed again')).toHaveLength(3);
  });

  it('starts while Redis is down without waiting for it, and subscribes once it answers', async () => {
    await server.crash();
    let restarted = false;
    try {
      const { subscriber, received } = subscribe(server.url);
      const started = performance.now();
      expect(await subscriber.settledState(1000)).toBe('down');
      expect(performance.now() - started).toBeLessThan(1500);
      expect(subscriber.losses()).toBe(0); // never up, so nothing was lost
      await server.restart();
      restarted = true;
      await up(subscriber);
      expect(await numsub()).toEqual({ [CHANNELS[0]]: 1, [CHANNELS[1]]: 1 });
      await deliversOnEveryChannel(received, 'late start');
    } finally {
      // The tests after this one need the server.
      if (!restarted) await server.restart();
    }
  });

  it('reports "up" to a health check asked while the first subscription is still in progress', async () => {
    const { subscriber } = subscribe(server.url);
    // Asked at once: connecting is not "down".
    expect(await subscriber.settledState(2000)).toBe('up');
  });

  it('refuses a channel registered after start, which could not be subscribed with the others', async () => {
    const { subscriber } = subscribe(server.url);
    expect(() => subscriber.on('tf:late', () => undefined)).toThrow(/after start/);
    // Another handler for a registered channel is fine: nothing new to subscribe.
    expect(() => subscriber.on(CHANNELS[0], () => undefined)).not.toThrow();
    await up(subscriber);
  });
});
