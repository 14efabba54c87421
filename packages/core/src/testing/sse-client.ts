// A Server-Sent Events client for tests, behaving as EventSource does (the WHATWG event-stream
// parsing rules: `id:`, `event:`, `data:` lines, a blank line dispatches; the last id is sent
// back as Last-Event-ID on every reconnect), with one difference tests need: it reconnects to
// the next of several base URLs, as a load balancer in front of API replicas would move it.

import { get as httpGet, type IncomingMessage } from 'node:http';

export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export interface SseClientOptions {
  /** The stream's path and query, e.g. `/videos/stream?query=tea`. */
  readonly path: string;
  /** API processes, tried in turn: the next one after a connection fails or ends. */
  readonly bases: () => readonly string[];
  /** Wait between reconnection attempts (ms). */
  readonly retryMs?: number;
}

export interface SseClient {
  events(): readonly SseEvent[];
  /** The id sent as Last-Event-ID on the next connection. */
  lastEventId(): string | undefined;
  /** Connections made so far (1 + reconnections). */
  connections(): number;
  close(): void;
}

export function connectSse({ path, bases, retryMs = 100 }: SseClientOptions): SseClient {
  const events: SseEvent[] = [];
  let lastId: string | undefined;
  let connections = 0;
  let closed = false;
  let abort: (() => void) | undefined;
  let turn = 0;

  async function readOnce(base: string): Promise<void> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastId !== undefined) headers['last-event-id'] = lastId;
    // node:http rather than fetch: closing destroys the socket at once, as a browser's
    // EventSource.close() does (an aborted fetch body can leave it open for seconds).
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = httpGet(`${base}${path}`, { headers, agent: false }, resolve);
      request.on('error', reject);
      abort = () => request.destroy();
    });
    if (response.statusCode !== 200) {
      response.destroy();
      throw new Error(`${base}${path} answered ${response.statusCode}`);
    }
    connections++;
    const decoder = new TextDecoder();
    let buffer = '';
    let id: string | undefined;
    let name = '';
    let data: string[] = [];
    for await (const chunk of response) {
      buffer += decoder.decode(chunk as Buffer, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (id !== undefined) lastId = id;
          if (data.length > 0) events.push({ id: lastId, event: name === '' ? 'message' : name, data: data.join('\n') });
          id = undefined;
          name = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'id' && !value.includes('\0')) id = value;
        else if (field === 'event') name = value;
        else if (field === 'data') data.push(value);
      }
    }
  }

  void (async () => {
    while (!closed) {
      const all = bases();
      const base = all[turn % all.length]!;
      try {
        await readOnce(base);
      } catch {
        // Refused, cut or ended: the next base, after the retry delay.
      }
      turn++;
      if (!closed) await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  })();

  return {
    events: () => events,
    lastEventId: () => lastId,
    connections: () => connections,
    close() {
      closed = true;
      abort?.();
    },
  };
}
