// A TCP proxy a test puts between the service and a dependency (MySQL, Redis, ...) to take the
// dependency away without touching the shared server. It passes bytes through until told
// otherwise; then new connections are either refused (the listener closes: ECONNREFUSED) or
// black-holed (accepted, never answered, never closed: no RST, no bytes, so only the client's
// own timeouts end the wait), and the connections already open are cut (RST), stalled (kept
// open, no byte moves either way, as in a network partition) or left alone. `pass()` heals it:
// stalled connections move again, black-holed ones are reset (the server never knew them).
import net from 'node:net';

export type NewConnections = 'refuse' | 'blackhole';
export type OpenConnections = 'cut' | 'stall' | 'keep';
export type ProxyMode = 'pass' | NewConnections;

export interface ProxyStats {
  /** Connections accepted and forwarded to the target. */
  readonly forwarded: number;
  /** Connections accepted and black-holed. */
  readonly blackholed: number;
  /** Connections reset by `cut`. */
  readonly cut: number;
  /** Forwarded connections open right now. */
  readonly open: number;
}

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  mode(): ProxyMode;
  /** Forward again: stalled connections resume, black-holed ones are reset. */
  pass(): Promise<void>;
  /** Takes the target away; `open` says what happens to connections already open (default cut). */
  down(newConnections: NewConnections, open?: OpenConnections): Promise<void>;
  /** Resets every open connection at once (RST to both sides); the mode is unchanged. */
  cut(): void;
  stats(): ProxyStats;
  close(): Promise<void>;
}

interface Link {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  stalled: boolean;
}

function stall(link: Link): void {
  if (link.stalled) return;
  link.stalled = true;
  link.client.unpipe(link.upstream);
  link.upstream.unpipe(link.client);
  link.client.pause();
  link.upstream.pause();
}

function unstall(link: Link): void {
  if (!link.stalled) return;
  link.stalled = false;
  link.client.pipe(link.upstream);
  link.upstream.pipe(link.client);
}

export async function startTcpProxy(target: { host: string; port: number }, options: { host?: string; port?: number } = {}): Promise<TcpProxy> {
  const host = options.host ?? '127.0.0.1';
  const links = new Set<Link>();
  const holes = new Set<net.Socket>();
  let current: ProxyMode = 'pass';
  const counts = { forwarded: 0, blackholed: 0, cut: 0 };

  function forward(client: net.Socket): void {
    const upstream = net.connect(target);
    const link: Link = { client, upstream, stalled: false };
    links.add(link);
    counts.forwarded++;
    // Either side failing or closing ends the pair; the error itself is the peer's to see.
    const end = () => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  function blackhole(client: net.Socket): void {
    counts.blackholed++;
    holes.add(client);
    client.pause();
    // The client giving up (or a reset on heal) is the expected end of a black-holed socket.
    client.on('error', () => holes.delete(client));
    client.on('close', () => holes.delete(client));
  }

  const server = net.createServer((client) => {
    if (current === 'blackhole') blackhole(client);
    else forward(client);
  });
  server.on('error', () => undefined); // listen errors surface through listen() below

  async function listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.once('error', onError);
      server.listen({ host, port }, () => {
        server.off('error', onError);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  const port = await listen(options.port ?? 0);

  function cut(): void {
    for (const link of [...links]) {
      counts.cut++;
      links.delete(link);
      link.client.resetAndDestroy();
      link.upstream.resetAndDestroy();
    }
  }

  return {
    host,
    port,
    mode: () => current,
    async pass() {
      if (current === 'refuse') await listen(port);
      current = 'pass';
      for (const socket of [...holes]) socket.resetAndDestroy();
      holes.clear();
      for (const link of links) unstall(link);
    },
    async down(newConnections, open = 'cut') {
      if (newConnections === 'refuse' && current !== 'refuse') {
        // Stops accepting at once; connections already accepted are handled below.
        server.close();
      } else if (newConnections === 'blackhole' && current === 'refuse') {
        await listen(port);
      }
      current = newConnections;
      if (newConnections === 'refuse') {
        for (const socket of [...holes]) socket.resetAndDestroy();
        holes.clear();
      }
      if (open === 'cut') cut();
      else if (open === 'stall') for (const link of links) stall(link);
    },
    cut,
    stats: () => ({ ...counts, open: links.size }),
    async close() {
      cut();
      for (const socket of [...holes]) socket.destroy();
      holes.clear();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
