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
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@tubefeed/core';

/** Why the guard saw the process close a connection before its client did. */
export type ClosedConnectionReason = 'evicted' | 'refused' | 'headers_timeout' | 'request_timeout';

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
  // With requests in progress: how many (pipelined requests are answered one after the other).
  const inFlight = new Map<Socket, number>();
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

  server.on('connection', (socket: Socket) => {
    let evicted = false;
    if (idle.size + inFlight.size >= maxConnections) {
      const oldest = idle.values().next();
      if (oldest.done === true) {
        socket.destroy();
        closedAtCap('refused');
        return;
      }
      idle.delete(oldest.value);
      oldest.value.destroy();
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
  server.prependListener('request', (request, response) => {
    const socket = request.socket;
    const pending = inFlight.get(socket);
    if (pending !== undefined) inFlight.set(socket, pending + 1);
    else if (idle.delete(socket)) inFlight.set(socket, 1);
    else return; // Evicted meanwhile, or closed: nothing to track.
    response.once('close', () => {
      const left = (inFlight.get(socket) ?? 0) - 1;
      if (left > 0) {
        inFlight.set(socket, left);
      } else if (inFlight.delete(socket) && !socket.destroyed) {
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
