// Where the API's lag-tolerant reads go: listing beyond page 1 and search read from the replica
// (MYSQL_READ_URL) when there is one, everything else from the primary.
//
// A replica that cannot be reached must not take listing and search down while the primary
// answers: such a read is run again on the primary, within what is left of the request's
// deadline (the pools share it, see create-db.ts), and the next reads go straight to the
// primary for `retryMs` instead of each waiting for the replica to fail. The replica gets at
// most half of what is left of the deadline, so one that stops answering mid-statement (a
// partition) still leaves the primary time to answer that request. After that one read
// tries the replica again (the others stay on the primary until it answers), so reads move back
// by themselves once it is reachable. Only failures that say the replica itself is unusable
// (unreachable, refusing the login, missing the database or a table or column a migration
// added that has not replicated yet) move reads; any other error is the query's and is thrown.
import type { Kysely } from 'kysely';
import type { Logger } from '../logger.js';
import type { Clock } from '../clock.js';
import { isMysqlUnavailable } from '../errors.js';
import type { Db, Deadlines } from './create-db.js';
import type { Database } from './schema.js';

export const DEFAULT_REPLICA_RETRY_MS = 5000;
/** The share of a request's remaining deadline a replica attempt may use. */
const REPLICA_SHARE = 0.5;

/** MySQL errors that mean "this server cannot serve the read", not "the read is wrong". */
const REPLICA_UNUSABLE_CODES = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_NO_SUCH_TABLE', 'ER_BAD_FIELD_ERROR']);

export function isReplicaUnusable(error: unknown): boolean {
  if (isMysqlUnavailable(error)) return true;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && REPLICA_UNUSABLE_CODES.has(code);
}

/** 'none': no replica configured; 'down': reads go to the primary until it is tried again. */
export type ReplicaRouteState = 'none' | 'up' | 'down';

export interface ReadRouting {
  /** Runs `read` on the replica while it answers, on the primary otherwise (and again there if it fails). */
  run<T>(read: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * `build` once per pool (a finder, a repository); the function returned hands `use` the one
   * whose pool the read goes to, as `run` does.
   */
  over<S>(build: (db: Kysely<Database>) => S): <T>(use: (service: S) => Promise<T>) => Promise<T>;
  state(): ReplicaRouteState;
}

export function createReadRouting({
  primary,
  replica,
  clock,
  log,
  deadlines,
  retryMs = DEFAULT_REPLICA_RETRY_MS,
}: {
  primary: Pick<Db, 'kysely'>;
  replica: Pick<Db, 'kysely'> | null;
  clock: Clock;
  log: Logger;
  /** The deadlines both pools share (create-db.ts), if requests have one. */
  deadlines?: Deadlines;
  retryMs?: number;
}): ReadRouting {
  let down = false;
  /** While down: when the next read may try the replica (epoch ms). */
  let retryAt = 0;

  /** Whether this read goes to the replica; while down, only the first read after `retryAt`. */
  function toReplica(): boolean {
    if (replica === null) return false;
    if (!down) return true;
    const now = clock.now().getTime();
    if (now < retryAt) return false;
    retryAt = now + retryMs;
    return true;
  }

  /** `onReplica` under a deadline of its own: its share of what is left of the request's. */
  function attemptOnReplica<T>(onReplica: () => Promise<T>): Promise<T> {
    const deadline = deadlines?.current();
    if (deadlines === undefined || deadline === undefined) return onReplica();
    return deadlines.run(Math.max(0, deadline - performance.now()) * REPLICA_SHARE, onReplica);
  }

  async function route<T>(onReplica: () => Promise<T>, onPrimary: () => Promise<T>): Promise<T> {
    if (!toReplica()) return onPrimary();
    let result: T;
    try {
      result = await attemptOnReplica(onReplica);
    } catch (error) {
      if (!isReplicaUnusable(error)) throw error;
      if (!down) log.warn({ err: error, retryMs }, 'MySQL read replica unusable: listing and search read from the primary');
      down = true;
      retryAt = clock.now().getTime() + retryMs;
      return onPrimary();
    }
    if (down) {
      down = false;
      log.info('MySQL read replica answers again: listing and search read from it');
    }
    return result;
  }

  return {
    run: (read) => route(() => read(replica!.kysely), () => read(primary.kysely)),
    over<S>(build: (db: Kysely<Database>) => S) {
      const onPrimary = build(primary.kysely);
      const onReplica = replica === null ? onPrimary : build(replica.kysely);
      return <T>(use: (service: S) => Promise<T>) => route(() => use(onReplica), () => use(onPrimary));
    },
    state: () => (replica === null ? 'none' : down ? 'down' : 'up'),
  };
}
