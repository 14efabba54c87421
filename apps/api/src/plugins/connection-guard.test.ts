// The connection cap with real sockets on a real HTTP server and a cap of 3: at the cap a new
// connection closes the one idle longest (a partial header, then an idle keep-alive in the order
// they last finished a request), never one with a request in progress; with every connection
// busy the new one is closed; Node's header and request timeouts are counted by reason.
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '@tubefeed/core/testing';
import { captureLog } from '../testing/log-capture.js';
import { clientErrorHandler } from './error-handler.js';
import { MAX_PIPELINED, guardConnections, type ClosedConnectionReason, type ConnectionGuard } from './connection-guard.js';

interface Client {
  readonly socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  closed(): boolean;
  /** Resolves when the server has closed the connection. */
  readonly ended: Promise<void>;
}

const servers: Server[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

interface Setup {
  readonly guard: ConnectionGuard;
  readonly closed: ClosedConnectionReason[];
  readonly logLines: ReturnType<typeof captureLog>['lines'];
  /** Requests to /slow wait until released, the first to arrive first; how many are waiting. */
  release(count?: number): void;
  waiting(): number;
  /** Opens a connection and waits until the server has taken it (the guard counts it). */
  open(firstBytes?: string): Promise<Client>;
}

async function start(options: { maxConnections: number; headersTimeout?: number; requestTimeout?: number; ownClientErrorHandler?: boolean }): Promise<Setup> {
  const waiting: Array<() => void> = [];
  const server = createServer(
    {
      headersTimeout: options.headersTimeout ?? 60_000,
      requestTimeout: options.requestTimeout ?? 60_000,
      connectionsCheckingInterval: 50,
    },
    (request, response) => {
      if (request.url === '/slow') {
        waiting.push(() => response.end('slow'));
      } else if (request.url === '/big') {
        // More than the kernel's socket buffers hold: a client that does not read leaves it unsent.
        response.end(Buffer.alloc(32 * 1024 * 1024, 0x61));
      } else {
        request.resume();
        request.on('end', () => response.end('ok'));
      }
    },
  );
  // As Fastify does with the API's handler (error-handler.ts): timeouts answer 408 and close.
  if (options.ownClientErrorHandler !== false) server.on('clientError', clientErrorHandler);
  servers.push(server);
  const closed: ClosedConnectionReason[] = [];
  const captured = captureLog('warn');
  const guard = guardConnections(server, { maxConnections: options.maxConnections, log: captured.log, onClosed: (reason) => closed.push(reason) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  let accepted = 0;
  server.on('connection', () => {
    accepted += 1;
  });
  return {
    guard,
    closed,
    logLines: captured.lines,
    release: (count = 1) => {
      for (const answer of waiting.splice(0, count)) answer();
    },
    waiting: () => waiting.length,
    async open(firstBytes) {
      const before = accepted;
      const socket = connect(port, '127.0.0.1');
      let received = '';
      let isClosed = false;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
      });
      // A connection the server closes may end in a reset: that is the event under test.
      socket.on('error', () => undefined);
      const ended = new Promise<void>((resolve) =>
        socket.once('close', () => {
          isClosed = true;
          resolve();
        }),
      );
      await new Promise((resolve) => socket.once('connect', resolve));
      if (firstBytes !== undefined) socket.write(firstBytes);
      await until('the server to take the connection', () => (accepted > before ? true : undefined), 5000, 5);
      const client: Client = { socket, received: () => received, closed: () => isClosed, ended };
      clients.push(client);
      return client;
    },
  };
}

const PARTIAL = 'GET /getData HTTP/1.1\r\nHost: x\r\n';
const request = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

describe('connection guard', () => {
  it('at the cap, closes the connection idle longest to take the new one, and the new one is served', async () => {
    const { guard, open, closed, logLines } = await start({ maxConnections: 3 });
    const [a, b, c] = [await open(PARTIAL), await open(PARTIAL), await open(PARTIAL)];
    expect(guard.open()).toBe(3);

    const d = await open(request('/fast'));
    await a.ended;
    await until('the new connection to be answered', () => (d.received().includes('ok') ? true : undefined));
    expect(d.received()).toMatch(/^HTTP\/1\.1 200 OK/);
    expect([b.closed(), c.closed(), d.closed()]).toEqual([false, false, false]);
    expect(guard.open()).toBe(3);
    expect(closed).toEqual(['evicted']);

    // Then the next oldest, b; d, answered and idle again, is now the most recently used.
    await open(PARTIAL);
    await b.ended;
    await open(PARTIAL);
    await c.ended;
    expect(d.closed()).toBe(false);
    await open(PARTIAL);
    await d.ended;
    expect(closed).toEqual(['evicted', 'evicted', 'evicted', 'evicted']);
    // One line for a burst, not one per connection.
    expect(logLines).toHaveLength(1);
    expect(logLines[0]).toMatchObject({ evicted: 1, refused: 0, open: 3, maxConnections: 3 });
  });

  it('never closes a connection with a request in progress; with every one busy, the new connection is closed', async () => {
    const { guard, open, closed, release } = await start({ maxConnections: 3 });
    const busy = [await open(request('/slow')), await open(request('/slow'))];
    const idle = await open(PARTIAL);
    await until('both requests to be in progress', () => (guard.busy() === 2 ? true : undefined));

    // The idle one makes room; then all three are busy.
    const third = await open(request('/slow'));
    await idle.ended;
    await until('three requests in progress', () => (guard.busy() === 3 ? true : undefined));
    const refused = await open(request('/fast'));
    await refused.ended;
    expect(refused.received()).toBe('');
    expect(closed).toEqual(['evicted', 'refused']);

    // Each busy connection gets its answer.
    release(3);
    for (const client of [...busy, third]) await until('the answer', () => (client.received().includes('slow') ? true : undefined));
    expect([...busy, third].map((client) => client.closed())).toEqual([false, false, false]);
    expect(guard.open()).toBe(3);
    expect(guard.busy()).toBe(0);
  });

  it('at the cap with none idle, closes the connection busy longest whose request waits on its client: a trickled body, then an unread answer', async () => {
    const { guard, open, closed, release } = await start({ maxConnections: 3 });
    // Headers complete, 3 of 10 body bytes: busy, but waiting on its client.
    const trickling = await open('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    const working = await open(request('/slow'));
    // An answer the client does not read: it stays unsent in the server's buffers.
    const notReading = await open();
    notReading.socket.pause();
    notReading.socket.write(request('/big'));
    await until('three requests in progress', () => (guard.busy() === 3 ? true : undefined));

    // The newcomer's request keeps it busy on the server's side.
    const second = await open(request('/slow'));
    await trickling.ended;
    expect(closed).toEqual(['evicted']);
    await until('three requests in progress again', () => (guard.busy() === 3 ? true : undefined));

    // None idle: the unread answer goes, not the working requests busy before and after it.
    const third = await open(request('/fast'));
    // (The paused client does not read, so it would not see the close: the server's count tells.)
    await until('the newcomer to be answered', () => (third.received().includes('ok') ? true : undefined));
    notReading.socket.resume();
    await notReading.ended;
    expect([working.closed(), second.closed()]).toEqual([false, false]);
    expect(closed).toEqual(['evicted', 'evicted']);
    release(2);
    for (const client of [working, second]) await until('the working requests to be answered', () => (client.received().includes('slow') ? true : undefined));
  });

  it(`disconnects a client that queues more than ${MAX_PIPELINED} pipelined requests`, async () => {
    const { open, closed, release, waiting } = await start({ maxConnections: 10 });
    const pipelining = await open(request('/slow').repeat(MAX_PIPELINED + 1));
    await pipelining.ended;
    expect(closed).toEqual(['pipelined']);
    expect(pipelining.received()).toBe('');
    // The handlers of the requests already parsed still run; their answers go nowhere.
    release(waiting());
  });

  it('counts pipelined requests: busy until the last one is answered', async () => {
    const { guard, open, release, waiting } = await start({ maxConnections: 2 });
    const pipelined = await open(request('/slow') + request('/slow'));
    await until('both requests in progress', () => (waiting() === 2 ? true : undefined));
    const other = await open(PARTIAL);
    release();
    await until('the first answer', () => (pipelined.received().includes('slow') ? true : undefined));
    // The second request is still in progress: the connection is still busy, the other one goes.
    expect(guard.busy()).toBe(1);
    await open(PARTIAL);
    await other.ended;
    expect(pipelined.closed()).toBe(false);
    release();
    await until('both answers', () => (pipelined.received().split('slow').length === 3 ? true : undefined));
  });

  it('counts connections closed by the header and request timeouts, and forgets closed ones', async () => {
    const { guard, open, closed } = await start({ maxConnections: 10, headersTimeout: 300, requestTimeout: 600 });
    const partialHeader = await open(PARTIAL);
    // Headers complete, body still owed: the request timeout applies.
    const partialBody = await open('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    await partialHeader.ended;
    expect(partialHeader.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
    await partialBody.ended;
    expect(closed.sort()).toEqual(['headers_timeout', 'request_timeout']);
    await until('both to be forgotten', () => (guard.open() === 0 ? true : undefined));
  });

  it('still closes timed-out connections on a server without a client error handler of its own', async () => {
    const { open, closed } = await start({ maxConnections: 10, headersTimeout: 300, ownClientErrorHandler: false });
    const partialHeader = await open(PARTIAL);
    await partialHeader.ended;
    expect(closed).toEqual(['headers_timeout']);
  });
});
