// A cap on the client connections one API process holds open (HTTP_MAX_CONNECTIONS), kept
// below its open-file limit so that MySQL, Redis and the logs always have descriptors left.
//
// Refusing connections at the cap would let anyone who opens enough of them and sends nothing
// useful (half a request header, or an idle keep-alive) lock every other client out until the
// header timeout cuts them. So at the cap a new connection instead closes the connection that
// has been waiting longest with no request in progress: a partial header or an idle keep-alive
// costs its owner one reconnect, while a client that sends a whole request at once gets its
// answer. Only when every open connection has a request in progress is the new one closed.
//
// "In progress" runs from Node's 'request' event (headers complete) until the response closes
// (sent or aborted). Idle connections sit in one insertion-ordered Set, the one idle longest
// first, so each connection, request and eviction costs O(1).
//
// A request in progress can be stalled by its client too: a body announced and trickled (the
// request timeout ends it, but only after HTTP_REQUEST_TIMEOUT_MS), or answers the client does
// not read. With no idle connection at the cap, the connection busy longest among the first
// few that wait on their client (body incomplete, or answer bytes still unsent) is closed to
// make room; a newcomer is refused only when every connection is busy on the server's side.
// And at most MAX_PIPELINED requests may be queued on one connection (HTTP/1.1 pipelining
// buffers every queued answer in memory): a client that sends more is disconnected.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@tubefeed/core';

/** Why the guard saw the process close a connection before its client did. */
export type ClosedConnectionReason = 'evicted' | 'refused' | 'headers_timeout' | 'request_timeout' | 'pipelined';

/** Requests queued on one connection at most (browsers do not pipeline; a few is generous). */
export const MAX_PIPELINED = 8;
/** Busy connections looked at, busy longest first, for one that waits on its client. */
const STALLED_SCAN = 64;

export interface ConnectionGuardOptions {
  /** Connections held open at most; the next one evicts an idle one (or is closed). */
  readonly maxConnections: number;
  readonly log: Pick<Logger, 'warn'>;
  /** Called for each connection closed by the cap or by Node's header and request timeouts. */
  readonly onClosed?: (reason: ClosedConnectionReason) => void;
  /** Milliseconds between log lines about the cap (the counts are in the metrics meanwhile). */
  readonly reportEveryMs?: number;
  readonly now?: () => number;
}

export interface ConnectionGuard {
  /** Connections open now. */
  open(): number;
  /** Open connections with a request in progress. */
  busy(): number;
}

export function guardConnections(server: Server, options: ConnectionGuardOptions): ConnectionGuard {
  const { maxConnections, log, onClosed = () => undefined, reportEveryMs = 60_000, now = Date.now } = options;
  // Without a request in progress, the one idle longest first.
  const idle = new Set<Socket>();
  // With requests in progress, busy longest first: how many (pipelined requests are answered
  // one after the other), and the latest (its body may still be owed).
  const inFlight = new Map<Socket, { count: number; request: IncomingMessage }>();
  const unreported = { evicted: 0, refused: 0 };
  let reportedAt = Number.NEGATIVE_INFINITY;

  const closedAtCap = (reason: 'evicted' | 'refused') => {
    unreported[reason] += 1;
    onClosed(reason);
    const at = now();
    if (at - reportedAt < reportEveryMs) return;
    reportedAt = at;
    log.warn(
      { ...unreported, open: idle.size + inFlight.size, maxConnections },
      'connection cap reached: idle connections closed to make room for new ones (HTTP_MAX_CONNECTIONS)',
    );
    unreported.evicted = 0;
    unreported.refused = 0;
  };

  /** The connection busy longest (of the first few) whose request waits on its client, if any. */
  const stalledByClient = (): Socket | undefined => {
    let looked = 0;
    for (const [socket, { request }] of inFlight) {
      if (!request.complete || socket.writableLength > 0) return socket;
      if (++looked >= STALLED_SCAN) return undefined;
    }
    return undefined;
  };

  server.on('connection', (socket: Socket) => {
    let evicted = false;
    if (idle.size + inFlight.size >= maxConnections) {
      const oldest = idle.values().next();
      const victim = oldest.done === true ? stalledByClient() : oldest.value;
      if (victim === undefined) {
        socket.destroy();
        closedAtCap('refused');
        return;
      }
      idle.delete(victim);
      inFlight.delete(victim);
      victim.destroy();
      evicted = true;
    }
    idle.add(socket);
    socket.once('close', () => {
      idle.delete(socket);
      inFlight.delete(socket);
    });
    if (evicted) closedAtCap('evicted');
  });

  // Ahead of Fastify's own listener: a response it sends at once must not finish untracked.
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    const pending = inFlight.get(socket);
    if (pending !== undefined) {
      if (pending.count >= MAX_PIPELINED) {
        onClosed('pipelined');
        socket.destroy();
        return;
      }
      pending.count += 1;
      pending.request = request;
    } else if (idle.delete(socket)) {
      inFlight.set(socket, { count: 1, request });
    } else {
      return; // Evicted meanwhile, or closed: nothing to track.
    }
    response.once('close', () => {
      const state = inFlight.get(socket);
      if (state === undefined) return;
      state.count -= 1;
      if (state.count === 0 && inFlight.delete(socket) && !socket.destroyed) {
        // Idle again: now the most recently used, so the last to be evicted.
        idle.add(socket);
      }
    });
  });

  // Node reports a connection cut by headersTimeout or requestTimeout as a client error (the
  // error handler answers it 408); a connection still idle here never completed its headers.
  server.on('clientError', (error: Error & { code?: string }, socket: Socket) => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') onClosed(idle.has(socket) ? 'headers_timeout' : 'request_timeout');
    // With any clientError listener Node leaves the socket to the listeners (Fastify always
    // has one that answers and closes it). Should this one be alone, close it as Node would.
    if (server.listenerCount('clientError') === 1) socket.destroy();
  });

  return {
    open: () => idle.size + inFlight.size,
    busy: () => inFlight.size,
  };
}
