// The pool bounds: what Kysely's queries do when a connection does not come, a statement gets
// no answer, or the caller's deadline runs out. First against a fake mysql2 pool (exact
// behaviour), then through the real driver against a server that accepts and never answers.
import net from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMysqlUnavailable } from '../errors.js';
import { PREPARED, boundedPool, type RawPool } from './bounded-pool.js';
import { createTestDatabase, type TestDatabase } from '../../testing/index.js';
import { createDb } from './create-db.js';

interface FakeConnection {
  readonly queries: Array<{ options: { sql: string; timeout?: number }; callback: (error: unknown, result?: unknown) => void }>;
  released: number;
  destroyed: number;
}

function fakePool() {
  const waiting: Array<(error: unknown, connection: unknown) => void> = [];
  const connection: FakeConnection & { query: unknown; release: () => void; destroy: () => void } = {
    queries: [],
    released: 0,
    destroyed: 0,
    query(options: { sql: string; timeout?: number }, callback: (error: unknown, result?: unknown) => void) {
      connection.queries.push({ options, callback });
    },
    release: () => void connection.released++,
    destroy: () => void connection.destroyed++,
  };
  const raw = {
    getConnection: (callback: (error: unknown, connection: unknown) => void) => void waiting.push(callback),
    end: (callback: (error: unknown) => void) => callback(null),
  } as unknown as RawPool;
  return {
    raw,
    connection,
    waiting,
    /** Hands the fake connection to the oldest waiting caller. */
    give: () => waiting.shift()?.(null, connection),
  };
}

function acquire(pool: ReturnType<typeof boundedPool>): Promise<{ error: unknown; connection: unknown; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => pool.getConnection((error, connection) => resolve({ error, connection, ms: performance.now() - started })));
}

describe('boundedPool', () => {
  it('gives up waiting for a connection after acquireTimeoutMs, and hands a late one back', async () => {
    const fake = fakePool();
    const pool = boundedPool(fake.raw, { acquireTimeoutMs: 50 });
    const { error, ms } = await acquire(pool);
    expect(error).toMatchObject({ code: 'POOL_ACQUIRE_TIMEOUT' });
    expect(isMysqlUnavailable(error)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(45);
    fake.give(); // the connection comes after all: nobody wants it now
    expect(fake.connection.released).toBe(1);
  });

  it('passes the statement timeout to mysql2 and destroys a connection whose statement ran out', async () => {
    const fake = fakePool();
    const pool = boundedPool(fake.raw, { queryTimeoutMs: 800 });
    const pending = acquire(pool);
    fake.give();
    const { connection } = await pending;
    const conn = connection as { query: (sql: string, params: unknown[], cb: (error: unknown) => void) => void };
    const outcomes: unknown[] = [];
    conn.query('SELECT ?', [1], (error) => outcomes.push(error));
    conn.query('SELECT 2', [], (error) => outcomes.push(error));
    expect(fake.connection.queries.map((q) => q.options)).toEqual([
      { sql: 'SELECT ?', values: [1], timeout: 800 },
      { sql: 'SELECT 2', values: [], timeout: 800 },
    ]);
    // A driver error that is not a timeout leaves the connection alone...
    fake.connection.queries[0]!.callback(Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY' }));
    expect(fake.connection.destroyed).toBe(0);
    // ...a timeout means the connection is stuck behind an unanswered statement.
    const timeout = Object.assign(new Error('Query inactivity timeout'), { code: 'PROTOCOL_SEQUENCE_TIMEOUT' });
    fake.connection.queries[1]!.callback(timeout);
    expect(fake.connection.destroyed).toBe(1);
    expect(outcomes[1]).toBe(timeout);
  });

  it('hands Kysely the same wrapper for the same connection (its session setup runs once)', async () => {
    const fake = fakePool();
    const pool = boundedPool(fake.raw, {});
    const first = acquire(pool);
    fake.give();
    const second = acquire(pool);
    fake.give();
    expect((await first).connection).toBe((await second).connection);
  });

  it('cuts both waits to what is left of the deadline', async () => {
    const fake = fakePool();
    let deadline: number | undefined = performance.now() + 60;
    const pool = boundedPool(fake.raw, { acquireTimeoutMs: 5000, queryTimeoutMs: 5000, deadline: () => deadline });
    const waited = await acquire(pool);
    expect(waited.error).toMatchObject({ code: 'POOL_ACQUIRE_TIMEOUT' });
    expect(waited.ms).toBeLessThan(1000);
    fake.give(); // to the caller that gave up: straight back

    deadline = performance.now() + 300;
    const pending = acquire(pool);
    fake.give();
    const { connection } = await pending;
    (connection as { query: (sql: string, params: unknown[], cb: () => void) => void }).query('SELECT 1', [], () => undefined);
    const timeout = fake.connection.queries.at(-1)!.options.timeout!;
    expect(timeout).toBeGreaterThan(0);
    expect(timeout).toBeLessThanOrEqual(300);

    // Past the deadline nothing is even asked of the pool.
    deadline = performance.now() - 1;
    const asked = fake.waiting.length;
    expect((await acquire(pool)).error).toMatchObject({ code: 'POOL_ACQUIRE_TIMEOUT' });
    expect(fake.waiting.length).toBe(asked);
  });
});

describe('createDb against a server that accepts connections and never answers', () => {
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  let url: string;
  beforeAll(async () => {
    silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined); // the client giving up is the point of the test
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    url = `mysql://root@127.0.0.1:${(silent.address() as net.AddressInfo).port}/tubefeed`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('fails a query within the acquire timeout, as "unavailable"', async () => {
    // (The connect timeout only ends the attempt left behind, so that close() is quick.)
    const db = createDb({ url, poolSize: 2 }, { connectTimeoutMs: 600, acquireTimeoutMs: 150 });
    const started = performance.now();
    const error = await sql`SELECT 1`.execute(db.kysely).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error).toMatchObject({ code: 'POOL_ACQUIRE_TIMEOUT' }); // not the connect timeout
    expect(isMysqlUnavailable(error)).toBe(true);
    await db.close();
  });

  it('fails everything a deadline scope starts within that deadline', async () => {
    const db = createDb({ url, poolSize: 2 }, { connectTimeoutMs: 600, acquireTimeoutMs: 5000, queryTimeoutMs: 5000 });
    const started = performance.now();
    const error = await db.withDeadline(150, async () => {
      await Promise.resolve(); // the scope carries across awaits
      return sql`SELECT 1`.execute(db.kysely).then(
        () => undefined,
        (e: unknown) => e,
      );
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error).toMatchObject({ code: 'POOL_ACQUIRE_TIMEOUT' });
    await db.close();
  });
});

describe('statements marked PREPARED', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('run as server-side prepared statements, prepared once per connection; other statements do not', async () => {
    await db.kysely.transaction().execute(async (trx) => {
      // One connection throughout (the transaction's), so its session counters tell.
      const status = async () => {
        const rows = await sql<{ Variable_name: string; Value: string }>`SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_execute')`.execute(trx);
        return Object.fromEntries(rows.rows.map((row) => [row.Variable_name, Number(row.Value)]));
      };
      const before = await status();
      const answers: unknown[] = [];
      for (const n of [3, 5, 7]) {
        const result = await sql<{ n: number; at: Date }>`${sql.raw(PREPARED)}SELECT ${n} + 1 AS n, ${new Date('2024-05-01T12:00:00.123Z')} AS at FROM (SELECT 1 UNION ALL SELECT 2) t LIMIT ${1} OFFSET ${0}`.execute(trx);
        answers.push(result.rows[0]);
      }
      const prepared = await status();
      expect(prepared.Com_stmt_prepare! - before.Com_stmt_prepare!).toBe(1);
      expect(prepared.Com_stmt_execute! - before.Com_stmt_execute!).toBe(3);
      await sql`SELECT ${1} + 1 AS n`.execute(trx);
      const plain = await status();
      expect(plain.Com_stmt_execute).toBe(prepared.Com_stmt_execute);
      expect(plain.Com_stmt_prepare).toBe(prepared.Com_stmt_prepare);
      // Binary-protocol rows read as the text protocol's would.
      expect(answers).toEqual([4, 6, 8].map((n) => ({ n, at: new Date('2024-05-01T12:00:00.123Z') })));
    });
  });
});
