// Opens the MySQL/MariaDB pool behind Kysely. Every connection is pinned to UTC and has
// full-text stopwords switched off: InnoDB freezes the building session's stopword setting
// into a FULLTEXT index, and any later table rebuild (ALTER ... FORCE, OPTIMIZE, ADD COLUMN
// with a copy) re-reads it, so it must be off on every connection that could run DDL.
//
// With MYSQL_READ_URL set the API opens a second pool on the replica (createReadDb) for reads
// that may lag; it shares the primary's per-request deadline (createDeadlines), and is never
// migrated: migrations run on the primary and reach the replica by replication.
import { AsyncLocalStorage } from 'node:async_hooks';
import { CompiledQuery, Kysely, MysqlDialect } from 'kysely';
import { createPool, type Pool, type PoolOptions } from 'mysql2';
import type { Config } from '../config.js';
import { isMysqlUnavailable } from '../errors.js';
import { boundedPool, type PoolBounds } from './bounded-pool.js';
import type { Database } from './schema.js';

export interface Db {
  readonly kysely: Kysely<Database>;
  /** The raw pool, without the bounds (the benchmark counts SQL through it). */
  readonly pool: Pool;
  readonly databaseName: string;
  /**
   * Runs `run` (and everything it starts) under a deadline `ms` from now: waiting for a
   * connection and every statement are cut to what is left of it. The API runs each request so,
   * so a request's MySQL waits together never exceed it.
   */
  withDeadline<T>(ms: number, run: () => T): T;
  close(): Promise<void>;
}

/**
 * Per-request deadlines, shared by the pools that serve one request (the primary's and the
 * replica's), so that a read retried on the primary after the replica failed still ends within
 * the request's one deadline.
 */
export interface Deadlines {
  /** Runs `run` (and everything it starts) under a deadline `ms` from now. */
  run<T>(ms: number, run: () => T): T;
  /** The current deadline (`performance.now()` time), if any. */
  current(): number | undefined;
}

export function createDeadlines(): Deadlines {
  const storage = new AsyncLocalStorage<number>();
  return {
    run: (ms, run) => storage.run(performance.now() + ms, run),
    current: () => storage.getStore(),
  };
}

export interface CreateDbOptions extends Omit<PoolBounds, 'deadline'> {
  /** Milliseconds to wait for a new connection (TCP connect and handshake) before failing. */
  readonly connectTimeoutMs?: number;
  /** Deadlines shared with other pools; the pool has its own without them. */
  readonly deadlines?: Deadlines;
}

export function poolOptionsFromUrl(mysqlUrl: string, variable = 'MYSQL_URL'): PoolOptions & { database: string } {
  const u = new URL(mysqlUrl);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '') throw new Error(`${variable} must name a database, e.g. mysql://root@127.0.0.1:3306/tubefeed`);
  return {
    host: u.hostname,
    port: u.port === '' ? 3306 : Number(u.port),
    user: decodeURIComponent(u.username) || 'root',
    password: decodeURIComponent(u.password),
    database,
  };
}

/**
 * The runtimes pass bounds (see bounded-pool.ts) so that no request or job waits for an
 * unreachable MySQL longer than them; without bounds statements may run as long as they take
 * (migrations, command-line tools).
 */
export function createDb(mysql: Pick<Config['mysql'], 'url' | 'poolSize'>, options: CreateDbOptions = {}, variable = 'MYSQL_URL'): Db {
  const base = poolOptionsFromUrl(mysql.url, variable);
  const { deadlines = createDeadlines(), ...bounds } = options;
  const pool = createPool({
    ...base,
    connectionLimit: mysql.poolSize,
    maxIdle: mysql.poolSize,
    idleTimeout: 60_000,
    connectTimeout: options.connectTimeoutMs ?? 3000,
    timezone: 'Z',
    dateStrings: false,
    decimalNumbers: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    charset: 'utf8mb4_unicode_ci',
    enableKeepAlive: true,
    // Standard affected-rows semantics: an upsert that changes nothing reports 0, a change 2.
    flags: ['-FOUND_ROWS'],
  });
  const kysely = new Kysely<Database>({
    dialect: new MysqlDialect({
      pool: async () => Promise.resolve(boundedPool(pool, { ...bounds, deadline: () => deadlines.current() })),
      onCreateConnection: async (connection) => {
        await connection.executeQuery(
          CompiledQuery.raw("SET SESSION time_zone = '+00:00', SESSION innodb_ft_enable_stopword = OFF"),
        );
      },
    }),
  });
  return {
    kysely,
    pool,
    databaseName: base.database,
    withDeadline: (ms, run) => deadlines.run(ms, run),
    close: async () =>
      kysely.destroy().catch((error: unknown) => {
        // Closed while MySQL is unreachable, the pool reports its failed connection attempts;
        // everything is closed all the same.
        if (!isMysqlUnavailable(error)) throw error;
      }),
  };
}

/**
 * The pool on the read replica (MYSQL_READ_URL), with the primary's pool size and the bounds
 * given (pass the primary's `deadlines` so a request has one deadline); null without a replica.
 */
export function createReadDb(mysql: Pick<Config['mysql'], 'readUrl' | 'poolSize'>, options: CreateDbOptions = {}): Db | null {
  if (mysql.readUrl === null) return null;
  return createDb({ url: mysql.readUrl, poolSize: mysql.poolSize }, options, 'MYSQL_READ_URL');
}

/** Where a MySQL URL points, for logs: host, port and database, never the user or password. */
export function describeMysqlUrl(mysqlUrl: string): string {
  const { host, port, database } = poolOptionsFromUrl(mysqlUrl);
  return `${host ?? ''}:${port ?? 3306}/${database}`;
}
