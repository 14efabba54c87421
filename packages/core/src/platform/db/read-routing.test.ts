// Read routing against real pools: a replica on the test server (its own database) and one on a
// closed port. Which pool served a read is told by the database it answers from.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, silentLogger, type TestDatabase } from '../../testing/index.js';
import { ManualClock } from '../clock.js';
import { createDb, type Db } from './create-db.js';
import { createReadRouting, DEFAULT_REPLICA_RETRY_MS } from './read-routing.js';
import type { Database } from './schema.js';

let primary: TestDatabase;
let replica: TestDatabase;
let unreachable: Db;

beforeAll(async () => {
  primary = await createTestDatabase({ migrate: false });
  replica = await createTestDatabase({ migrate: false });
  unreachable = createDb({ url: 'mysql://root@127.0.0.1:1/tubefeed', poolSize: 2 }, { connectTimeoutMs: 500, acquireTimeoutMs: 500 });
});

afterAll(async () => {
  await unreachable?.close();
  await replica?.drop();
  await primary?.drop();
});

const databaseOf = async (db: Kysely<Database>) => (await sql<{ name: string }>`SELECT DATABASE() AS name`.execute(db)).rows[0]!.name;

describe('createReadRouting', () => {
  it('without a replica, reads the primary', async () => {
    const reads = createReadRouting({ primary, replica: null, clock: new ManualClock(0), log: silentLogger });
    expect(await reads.run(databaseOf)).toBe(primary.databaseName);
    expect(reads.state()).toBe('none');
  });

  it("reads the replica; a query's own error is thrown, not retried on the primary, and the replica stays in use", async () => {
    const reads = createReadRouting({ primary, replica, clock: new ManualClock(0), log: silentLogger });
    expect(await reads.run(databaseOf)).toBe(replica.databaseName);
    const tried: string[] = [];
    await expect(
      reads.run(async (db) => {
        tried.push(await databaseOf(db));
        return sql`SELEC 1`.execute(db);
      }),
    ).rejects.toMatchObject({ code: 'ER_PARSE_ERROR' });
    expect(tried).toEqual([replica.databaseName]);
    expect(reads.state()).toBe('up');
  });

  it('an unreachable replica: the read is answered by the primary, the next ones go there for the retry period, then one read tries it', async () => {
    const clock = new ManualClock(0);
    const reads = createReadRouting({ primary, replica: unreachable, clock, log: silentLogger });
    const over = reads.over((db) => ({ name: () => databaseOf(db) }));
    expect(await over((s) => s.name())).toBe(primary.databaseName);
    expect(reads.state()).toBe('down');

    // Within the period: straight to the primary, no wait for the replica.
    clock.advance(DEFAULT_REPLICA_RETRY_MS - 1);
    const started = performance.now();
    expect(await reads.run(databaseOf)).toBe(primary.databaseName);
    expect(performance.now() - started).toBeLessThan(100);

    // After it: one read tries the replica; reads alongside it do not.
    clock.advance(1);
    const attempts: string[] = [];
    const tracked = (db: Kysely<Database>) => {
      attempts.push(db === unreachable.kysely ? 'replica' : 'primary');
      return databaseOf(db);
    };
    const answers = await Promise.all([reads.run(tracked), reads.run(tracked), reads.run(tracked)]);
    expect(answers).toEqual([primary.databaseName, primary.databaseName, primary.databaseName]);
    expect(attempts.filter((side) => side === 'replica')).toHaveLength(1);
    expect(reads.state()).toBe('down');
  });
});
