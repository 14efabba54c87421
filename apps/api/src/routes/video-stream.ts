// GET /videos/stream: Server-Sent Events, one `video` event per video newly stored in the feed
// (all videos, a followed query, or a channel), as the worker stores it. Ids are positions in
// the feed's durable log (core feed-log.ts): a client reconnecting with `Last-Event-ID` (to any
// API process, after any restart) gets every event it missed, once, or a `reset` event when
// they are past the log's retention. Core's stream-hub.ts does the fan-out; this route only
// resolves the feed, answers errors as JSON before the stream starts, and writes the text.
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { BusyError, type CatalogService, type StreamClient, type StreamHub } from '@tubefeed/core';
import { channelParam, errorResponses, queryParam } from '../schemas/common.js';

const StreamQuery = Type.Object(
  {
    query: queryParam('Only videos found by this followed search query'),
    channel: channelParam('Only this YouTube channel’s videos (letters, digits, _ and -); not with query'),
    lastEventId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Resume after this event id, for clients that cannot send the Last-Event-ID header (the header wins)',
      }),
    ),
  },
  { additionalProperties: false },
);

const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ maxLength: 100, description: 'The id of the last event received: resume right after it' })),
});

/** Unsent bytes a client may fall behind by before it is disconnected (it resumes by reconnecting). */
export const MAX_UNSENT_BYTES = 1024 * 1024;
const EVENT_STREAM = 'text/event-stream; charset=utf-8';
// Proxies must neither cache nor recompress (buffer) the stream.
const CACHE_CONTROL = 'no-cache, no-transform';
/** Reconnection delay suggested to EventSource clients. */
const RETRY_MS = 2000;

function clientOf(raw: ServerResponse, start: () => void): StreamClient & { started: () => boolean } {
  let started = false;
  return {
    started: () => started,
    send(text) {
      if (raw.destroyed || raw.writableEnded) return false;
      if (!started) {
        started = true;
        start();
      }
      if (raw.writableLength > MAX_UNSENT_BYTES) return false;
      raw.write(text);
      return true;
    },
    drained() {
      if (raw.writableLength === 0 || raw.destroyed) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          raw.off('drain', done);
          raw.off('close', done);
          resolve();
        };
        raw.on('drain', done);
        raw.on('close', done);
      });
    },
    close() {
      // A client this far behind would never take the rest: cut it. Otherwise end the stream
      // and, once it is flushed, the connection (a client that ignores the end must not keep
      // it, or a graceful close would wait for it).
      if (raw.destroyed) return;
      if (raw.writableLength > 0) raw.destroy();
      else if (!raw.writableEnded) raw.end(() => raw.socket?.destroy());
    },
  };
}

export interface StreamLimits {
  /** Streams one API process holds at most (SSE_MAX_CLIENTS). */
  readonly perProcess: number;
  /** Streams one client address holds at most (SSE_MAX_CLIENTS_PER_ADDRESS; 0: no limit). */
  readonly perAddress: number;
}

export const videoStreamRoutes: FastifyPluginAsyncTypebox<{ catalog: CatalogService; streams: StreamHub; limits: StreamLimits }> = async (
  app,
  { catalog, streams, limits },
) => {
  // Streams are long-lived: the request rate limit counts only their opening, so their number
  // is bounded here, per process (below the connection cap, leaving room for every other
  // request) and per client address (one address cannot take them all).
  const byAddress = new Map<string, number>();
  let open = 0;
  const take = (address: string): (() => void) => {
    if (open >= limits.perProcess) throw new BusyError(`this API process holds its most event streams (${limits.perProcess}); retry shortly`);
    const mine = byAddress.get(address) ?? 0;
    if (limits.perAddress > 0 && mine >= limits.perAddress) {
      throw new BusyError(`this address holds its most event streams (${limits.perAddress}); close one or retry shortly`);
    }
    open++;
    byAddress.set(address, mine + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      open--;
      const left = (byAddress.get(address) ?? 1) - 1;
      if (left === 0) byAddress.delete(address);
      else byAddress.set(address, left);
    };
  };

  app.get(
    '/videos/stream',
    {
      schema: {
        tags: ['videos'],
        summary: 'New videos as Server-Sent Events',
        description:
          'An `text/event-stream` of the videos newly stored in a feed: every video (neither parameter), a followed query ' +
          '(`query`) or a channel (`channel`); both together answer 400. Events: `ready` (data `{}`) once when joining ' +
          'without an id, `video` (data: the video as `/videos` lists it) for each new video, `reset` (data ' +
          '`{"reason", "message"}`) when events after the id sent are no longer kept (reload the listing, then follow on). ' +
          'Every event has an `id`; reconnect with it as `Last-Event-ID` (EventSource does this itself) to receive every ' +
          'event missed meanwhile, once. A comment line is sent every SSE_HEARTBEAT_MS while quiet.',
        querystring: StreamQuery,
        headers: StreamHeaders,
        response: {
          200: { description: 'The event stream', content: { 'text/event-stream': { schema: Type.String() } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { query, channel } = request.query;
      const feed = await catalog.feedOf({ query, channel });
      // HEAD: the stream's headers, and no stream (nothing would read it).
      if (request.method === 'HEAD') return reply.type(EVENT_STREAM).header('cache-control', CACHE_CONTROL).send();
      const lastEventId = request.headers['last-event-id'] ?? request.query.lastEventId;
      const raw = reply.raw;
      const client = clientOf(raw, () => {
        // The stream starts with the first event: errors before it (Redis away) are answered
        // as JSON by the error handler.
        reply.hijack();
        raw.writeHead(200, {
          ...(reply.getHeaders() as Record<string, string>),
          'content-type': EVENT_STREAM,
          'cache-control': CACHE_CONTROL,
          'x-accel-buffering': 'no',
          // The connection ends with the stream (the server ends it on shutdown, a slow reader
          // or a feed-log failure): kept alive it would be an idle socket that holds a graceful
          // close until the keep-alive timeout.
          connection: 'close',
        });
        raw.write(`retry: ${RETRY_MS}\n\n`);
      });
      const release = take(request.ip);
      let closed = false;
      let leave: (() => void) | undefined;
      raw.on('close', () => {
        closed = true;
        release();
        leave?.();
      });
      try {
        leave = await streams.subscribe(feed, lastEventId, client);
      } catch (error) {
        release();
        if (!client.started()) throw error;
        // Mid-stream: the client reconnects with the last id it got and loses nothing.
        request.log.warn({ err: (error as Error).message }, 'event stream ended early: the feed log could not be read');
        client.close();
        return reply;
      }
      // The client may have gone before 'close' was listened to (during the hooks, or while the
      // feed was resolved): then the socket is already destroyed.
      if (closed || raw.destroyed || request.raw.socket.destroyed) {
        release();
        leave();
        client.close();
      }
      // Caught up without an event to send: the stream starts now.
      else if (!client.started()) client.send(':\n\n');
      return reply;
    },
  );
  return Promise.resolve();
};
