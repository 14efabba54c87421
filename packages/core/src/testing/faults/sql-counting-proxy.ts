// A TCP proxy between one process and MySQL that counts the SQL statements the process sends,
// how many of them are COUNT(...) queries and how many write, and can keep their text. It backs
// the benchmark's "no per-request COUNT(*)" and "no per-request query for page 1" targets with
// exact figures (MariaDB's own counters are server-wide, and on a machine shared with running
// test suites their background, hundreds of SELECTs a second, drowns a two-statements-per-
// request signal), and shows which pool a statement went through when a primary and a read
// replica are two proxies in front of one server.
//
// Only the client-to-server direction is read, and only packet headers and command bytes:
// a MySQL packet is a 3-byte little-endian length, a sequence number and the payload; in the
// command phase each command starts a new sequence (number 0) and its first payload byte names
// it (COM_QUERY = 3 carries the SQL text, which is what Kysely's mysql2 dialect sends).
// Handshake packets from the client have sequence numbers from 1, so they are never counted.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

const COM_QUERY = 0x03;
const COM_STMT_PREPARE = 0x16;
const COM_STMT_EXECUTE = 0x17;

export interface SqlCounts {
  /** Statements sent (queries, prepared-statement executions). */
  readonly statements: number;
  readonly selects: number;
  /** Statements whose text contains COUNT( (case-insensitive). */
  readonly countQueries: number;
  /** Statements that change data or schema (INSERT, UPDATE, DELETE, REPLACE, CREATE, ALTER, ...). */
  readonly writes: number;
}

export interface SqlCountingProxy {
  readonly port: number;
  counts(): SqlCounts;
  /** The text of the statements sent, oldest first (the last `keepStatements` of them). */
  statements(): readonly string[];
  close(): Promise<void>;
}

const WRITE = /^\s*(\/\*[\s\S]*?\*\/\s*)*(insert|update|delete|replace|create|alter|drop|truncate|rename)\b/i;

/** Counts statements in a stream of client packets; feed it the bytes as they pass. */
export class ClientPacketCounter {
  private pending: Buffer = Buffer.alloc(0);
  statements = 0;
  selects = 0;
  /** The texts of the statements this connection prepared, by the server's id. */
  private readonly prepared = new Map<number, string>();
  private unbound: string | undefined;
  countQueries = 0;
  writes = 0;

  constructor(private readonly onStatement?: (text: string) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 4) {
      const length = this.pending.readUIntLE(0, 3);
      if (this.pending.length < 4 + length) return;
      const sequence = this.pending[3]!;
      if (sequence === 0 && length > 0) this.command(this.pending.subarray(4, 4 + length));
      this.pending = this.pending.subarray(4 + length);
    }
  }

  private command(payload: Buffer): void {
    const command = payload[0];
    if (command === COM_STMT_PREPARE) {
      // Not run yet: each execution counts, with this text. The server's id for it is in its
      // answer, which this side does not read; mysql2 executes a statement right after preparing
      // it, so the first execution of an id not seen before is of the text prepared last.
      this.unbound = payload.toString('utf8', 1, Math.min(payload.length, 64 * 1024));
      return;
    }
    if (command === COM_STMT_EXECUTE) {
      this.statements++;
      if (payload.length < 5) return;
      const id = payload.readUInt32LE(1);
      let text = this.prepared.get(id);
      if (text === undefined && this.unbound !== undefined) {
        text = this.unbound;
        this.prepared.set(id, text);
        this.unbound = undefined;
      }
      if (text !== undefined) this.classify(text);
      return;
    }
    if (command !== COM_QUERY) return;
    this.statements++;
    this.classify(payload.toString('utf8', 1, Math.min(payload.length, 64 * 1024)));
  }

  private classify(text: string): void {
    if (/^\s*(\/\*[\s\S]*?\*\/\s*)*\(?\s*select\b/i.test(text)) this.selects++;
    if (/\bcount\s*\(/i.test(text)) this.countQueries++;
    if (WRITE.test(text)) this.writes++;
    this.onStatement?.(text);
  }
}

export async function startSqlCountingProxy(
  target: { host: string; port: number },
  options: { keepStatements?: number } = {},
): Promise<SqlCountingProxy> {
  const counters = new Set<ClientPacketCounter>();
  const finished = { statements: 0, selects: 0, countQueries: 0, writes: 0 };
  const keep = options.keepStatements ?? 0;
  const texts: string[] = [];
  const remember = (text: string) => {
    if (keep === 0) return;
    texts.push(text.slice(0, 500));
    if (texts.length > keep) texts.splice(0, texts.length - keep);
  };
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    const counter = new ClientPacketCounter(remember);
    counters.add(counter);
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (chunk: Buffer) => {
      counter.push(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      if (counters.delete(counter)) {
        finished.statements += counter.statements;
        finished.selects += counter.selects;
        finished.countQueries += counter.countQueries;
        finished.writes += counter.writes;
      }
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    // A reset on either side ends both; the API's pool sees a lost connection, as it would.
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    counts: () => {
      const live = [...counters];
      return {
        statements: finished.statements + live.reduce((sum, c) => sum + c.statements, 0),
        selects: finished.selects + live.reduce((sum, c) => sum + c.selects, 0),
        countQueries: finished.countQueries + live.reduce((sum, c) => sum + c.countQueries, 0),
        writes: finished.writes + live.reduce((sum, c) => sum + c.writes, 0),
      };
    },
    statements: () => [...texts],
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
