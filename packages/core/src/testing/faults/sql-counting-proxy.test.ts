// The statement counter behind the benchmark's "no per-request query" targets and the read-replica
// routing tests, on hand-made MySQL packets.
import { describe, expect, it } from 'vitest';
import mysql from 'mysql2';
import { createTestDatabase } from '../test-context.js';
import { ClientPacketCounter, startSqlCountingProxy } from './sql-counting-proxy.js';

function packet(sequence: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = sequence;
  return Buffer.concat([header, payload]);
}

const query = (sql: string) => packet(0, Buffer.concat([Buffer.from([0x03]), Buffer.from(sql)]));

describe('ClientPacketCounter', () => {
  it('counts queries, SELECTs, COUNT( statements and writes, not handshake packets', () => {
    const seen: string[] = [];
    const counter = new ClientPacketCounter((text) => seen.push(text));
    counter.push(packet(1, Buffer.from('handshake response with select and count( inside')));
    counter.push(query("SET SESSION time_zone = '+00:00'"));
    counter.push(query('select `total` from `feed_scopes` where `scope` = ?'));
    counter.push(query('SELECT COUNT(*) AS n FROM videos'));
    counter.push(packet(0, Buffer.from([0x0e]))); // COM_PING
    counter.push(query('insert into `api_keys` (`api_key`) values (?)'));
    counter.push(query('/* x */ UPDATE search_queries SET enabled = 0'));
    counter.push(query('select * from t where note = "insert"'));
    expect(counter).toMatchObject({ statements: 6, selects: 3, countQueries: 1, writes: 2 });
    expect(seen).toHaveLength(6);
    expect(seen[4]).toBe('/* x */ UPDATE search_queries SET enabled = 0');
  });

  it('reassembles packets split across chunks and several packets in one chunk', () => {
    const counter = new ClientPacketCounter();
    const bytes = Buffer.concat([query('SELECT 1'), query('SELECT 2'), query('  /* c */ select count(id) from v')]);
    for (let i = 0; i < bytes.length; i += 5) counter.push(bytes.subarray(i, i + 5));
    expect(counter).toMatchObject({ statements: 3, selects: 3, countQueries: 1 });
  });
});

describe('startSqlCountingProxy with prepared statements', () => {
  it('counts each execution of a prepared statement, with its text, on a real server', async () => {
    const db = await createTestDatabase({ migrate: false });
    const target = new URL(db.url);
    const proxy = await startSqlCountingProxy({ host: target.hostname, port: Number(target.port || 3306) }, { keepStatements: 100 });
    const connection = mysql.createConnection({ host: '127.0.0.1', port: proxy.port, user: decodeURIComponent(target.username) || 'root', password: decodeURIComponent(target.password), database: db.databaseName }).promise();
    try {
      const before = proxy.counts();
      // Two texts prepared on one connection, run 3 and 2 times, interleaved with a plain query.
      for (const n of [1, 2, 3]) {
        await connection.execute('SELECT ? + 1 AS n', [n]);
        if (n < 3) await connection.execute('SELECT COUNT(*) AS c FROM (SELECT ? AS x) t', [n]);
        await connection.query('SELECT 42');
      }
      const after = proxy.counts();
      expect(after.statements - before.statements).toBe(8);
      expect(after.selects - before.selects).toBe(8);
      expect(after.countQueries - before.countQueries).toBe(2);
      const texts = proxy.statements().slice(-8);
      expect(texts.filter((text) => text === 'SELECT ? + 1 AS n')).toHaveLength(3);
      expect(texts.filter((text) => text.startsWith('SELECT COUNT(*)'))).toHaveLength(2);
    } finally {
      await connection.end();
      await proxy.close();
      await db.drop();
    }
  });
});
