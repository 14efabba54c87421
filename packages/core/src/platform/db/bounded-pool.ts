// Bounds on every wait for MySQL, for the pool behind Kysely. mysql2 bounds making a connection
// (connectTimeout) but not the wait for a free pooled one, and a statement sent on a connection
// whose peer went silent (a network partition, a black-holed address) never ends by itself: no
// error comes unless something answers. So, when bounds are given:
// - getting a connection fails after `acquireTimeoutMs` with code POOL_ACQUIRE_TIMEOUT (should
//   the connection come later, it goes straight back to the pool);
// - every statement carries mysql2's `timeout`, and one that runs out destroys its connection:
//   it is stuck behind the unanswered statement and would stall whoever got it next;
// - with a `deadline` (the API's per request, see create-db.ts) both waits are also cut to what
//   is left of it, so all the MySQL waits of one request together stay within it.
// Connections that fail (reset, refused, lost) are dropped by mysql2 itself, so with these two
// the pool heals on its own when MySQL is back.
import type { MysqlPool, MysqlPoolConnection, MysqlQueryResult, MysqlStream, MysqlStreamOptions } from 'kysely';
import type { Pool, PoolConnection, QueryError } from 'mysql2';

export const ACQUIRE_TIMEOUT_CODE = 'POOL_ACQUIRE_TIMEOUT';

/**
 * A statement whose text starts with this comment is run as a server-side prepared statement
 * (mysql2's `execute`: prepared once per connection and kept, then only its parameters are sent,
 * and rows come back in the binary protocol, without text to parse). For the few hot statements
 * of fixed text, such as a feed page: a per-request statement costs the API less CPU so. Not for
 * text that varies (an IN list of any length): each distinct text stays prepared on the server.
 * Integer parameters are sent as text: mysql2 sends a number as a DOUBLE, which MySQL 8 refuses
 * for LIMIT and OFFSET ("Incorrect arguments to mysqld_stmt_execute"); the same statement run as
 * plain text (EXPLAIN, a pool without this wrapper) takes them as numbers.
 */
export const PREPARED = '/* prepared */ ';

const integerAsText = (value: unknown): unknown => (typeof value === 'number' && Number.isInteger(value) ? String(value) : value);
const QUERY_TIMEOUT_CODE = 'PROTOCOL_SEQUENCE_TIMEOUT';

export interface PoolBounds {
  /** Longest wait for a pooled connection, making one included (none when unset). */
  readonly acquireTimeoutMs?: number | undefined;
  /** Longest a statement may run before its connection is destroyed (none when unset). */
  readonly queryTimeoutMs?: number | undefined;
  /** When the caller's deadline ends (`performance.now()` time), if it has one. */
  readonly deadline?: (() => number | undefined) | undefined;
}

export class AcquireTimeoutError extends Error {
  readonly code = ACQUIRE_TIMEOUT_CODE;
  constructor(ms: number) {
    super(`no MySQL connection within ${ms} ms`);
    this.name = 'AcquireTimeoutError';
  }
}

/** The part of mysql2's pool this needs (tests pass a fake). */
export type RawPool = Pick<Pool, 'getConnection' | 'end'>;
type RawConnection = Pick<PoolConnection, 'query' | 'release' | 'destroy'> & Partial<Pick<PoolConnection, 'execute'>>;

class BoundedConnection implements MysqlPoolConnection {
  constructor(
    private readonly raw: RawConnection,
    private readonly timeoutMs: () => number | undefined,
  ) {}

  query(sql: string, parameters: unknown[]): { stream: <T>(options: MysqlStreamOptions) => MysqlStream<T> };
  query(sql: string, parameters: unknown[], callback: (error: unknown, result: MysqlQueryResult) => void): void;
  query(
    sql: string,
    parameters: unknown[],
    callback?: (error: unknown, result: MysqlQueryResult) => void,
  ): { stream: <T>(options: MysqlStreamOptions) => MysqlStream<T> } | undefined {
    const timeout = this.timeoutMs();
    const options = { sql, values: parameters, ...(timeout === undefined ? {} : { timeout: Math.max(1, Math.ceil(timeout)) }) };
    if (callback === undefined) return this.raw.query(options);
    const done = (error: QueryError | null, result: unknown) => {
      if (error?.code === QUERY_TIMEOUT_CODE) this.raw.destroy();
      callback(error, result as MysqlQueryResult);
    };
    if (sql.startsWith(PREPARED) && this.raw.execute !== undefined) this.raw.execute({ ...options, values: parameters.map(integerAsText) }, done);
    else this.raw.query(options, done);
    return undefined;
  }

  release(): void {
    this.raw.release();
  }
}

/** The pool Kysely gets: `raw` with the bounds above. */
export function boundedPool(raw: RawPool, bounds: PoolBounds = {}): MysqlPool {
  /** `limit`, or less when the caller's deadline is nearer. */
  const within = (limit: number | undefined): number | undefined => {
    const deadline = bounds.deadline?.();
    if (deadline === undefined) return limit;
    const left = deadline - performance.now();
    return limit === undefined ? left : Math.min(limit, left);
  };
  const statementTimeout = () => within(bounds.queryTimeoutMs);
  // Kysely keys its per-connection state (and the once-per-connection session setup) on the
  // object it is handed, so each raw connection keeps one wrapper.
  const wrappers = new WeakMap<RawConnection, BoundedConnection>();
  const wrap = (connection: RawConnection): BoundedConnection => {
    let wrapper = wrappers.get(connection);
    if (wrapper === undefined) {
      wrapper = new BoundedConnection(connection, statementTimeout);
      wrappers.set(connection, wrapper);
    }
    return wrapper;
  };
  return {
    getConnection(callback) {
      const wait = within(bounds.acquireTimeoutMs);
      if (wait !== undefined && wait <= 0) {
        process.nextTick(() => callback(new AcquireTimeoutError(0), undefined as never));
        return;
      }
      let settled = false;
      const timer =
        wait === undefined
          ? undefined
          : setTimeout(() => {
              settled = true;
              callback(new AcquireTimeoutError(Math.round(wait)), undefined as never);
            }, wait);
      raw.getConnection((error, connection) => {
        if (settled) {
          // The caller gave up waiting: hand the connection back for the next one.
          if (error === null) connection.release();
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (error !== null) callback(error, undefined as never);
        else callback(null, wrap(connection));
      });
    },
    end(callback) {
      raw.end(callback);
    },
  };
}
