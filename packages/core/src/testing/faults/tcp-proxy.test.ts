// The fault proxy against an echo server: it passes bytes, and each way of going down does
// what the scenarios rely on (refused, black-holed, cut, stalled), and it heals.
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sleep } from '../polling.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

let echo: net.Server;
let proxy: TcpProxy;
const clients: net.Socket[] = [];

beforeAll(async () => {
  echo = net.createServer((socket) => {
    socket.on('error', () => undefined); // the proxy resetting its side is what the tests do
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  proxy = await startTcpProxy({ host: '127.0.0.1', port: (echo.address() as net.AddressInfo).port });
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await proxy.close();
  await new Promise((resolve) => echo.close(resolve));
});

interface Client {
  readonly socket: net.Socket;
  received(): string;
  /** How the socket ended so far: an error code, 'closed', or null while open. */
  ended(): string | null;
  connected(): boolean;
}

function connect(): Client {
  const socket = net.connect({ host: proxy.host, port: proxy.port });
  clients.push(socket);
  let data = '';
  let ended: string | null = null;
  let connected = false;
  socket.on('connect', () => (connected = true));
  socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
  socket.on('error', (error: NodeJS.ErrnoException) => (ended ??= error.code ?? error.message));
  socket.on('close', () => (ended ??= 'closed'));
  return { socket, received: () => data, ended: () => ended, connected: () => connected };
}

async function eventually(what: string, check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

it('passes bytes both ways', async () => {
  const client = connect();
  client.socket.write('hello');
  await eventually('the echo', () => client.received() === 'hello');
  expect(proxy.stats().open).toBe(1);
  client.socket.destroy();
});

it('black-holes new connections and stalls open ones, then heals', async () => {
  const open = connect();
  open.socket.write('a');
  await eventually('the echo', () => open.received() === 'a');

  await proxy.down('blackhole', 'stall');
  open.socket.write('b');
  const hole = connect();
  hole.socket.write('ping');
  await sleep(400);
  expect(open.received()).toBe('a'); // nothing moves
  expect(open.ended()).toBeNull(); // and nothing closes
  expect(hole.connected()).toBe(true); // accepted...
  expect(hole.received()).toBe(''); // ...never answered
  expect(hole.ended()).toBeNull(); // ...never closed
  expect(proxy.stats().blackholed).toBe(1);

  await proxy.pass();
  await eventually('the stalled bytes', () => open.received() === 'ab');
  await eventually('the black-holed socket reset', () => hole.ended() !== null);
  expect(hole.ended()).toBe('ECONNRESET');
  const fresh = connect();
  fresh.socket.write('c');
  await eventually('a new connection through', () => fresh.received() === 'c');
  open.socket.destroy();
  fresh.socket.destroy();
});

it('cuts open connections and refuses new ones, then listens again on the same port', async () => {
  const open = connect();
  open.socket.write('x');
  await eventually('the echo', () => open.received() === 'x');

  await proxy.down('refuse', 'cut');
  await eventually('the open connection cut', () => open.ended() !== null);
  expect(open.ended()).toBe('ECONNRESET');
  const refused = connect();
  await eventually('the refusal', () => refused.ended() !== null);
  expect(refused.ended()).toBe('ECONNREFUSED');

  await proxy.pass();
  const again = connect();
  again.socket.write('y');
  await eventually('a connection through', () => again.received() === 'y');
  again.socket.destroy();
});

it('goes from black-holed to refused, resetting what it held', async () => {
  await proxy.down('blackhole');
  const hole = connect();
  await eventually('the connection accepted', () => hole.connected());
  await proxy.down('refuse');
  await eventually('the held socket reset', () => hole.ended() !== null);
  expect(hole.ended()).toBe('ECONNRESET');
  await proxy.pass();
  expect(proxy.mode()).toBe('pass');
});
