// Per-query fetch leases: at most one fetch run of a followed query at a time, across every
// worker process, while runs of different queries go on in parallel.
//
// A run's state (head mark, sweep marks, pending ranges) is read at its start and saved whole
// (saveFetchState): two runs of one query at once would overwrite each other's progress. BullMQ
// does not prevent them: a Job Scheduler adds a query's next job when the previous one starts,
// so a run longer than the interval meets the next tick on another worker.
//
// - Taking it. A job takes its query's lease (one Redis key, SET-if-absent with a TTL) with
//   its job id and BullMQ lock token as owner. When another job holds it, the job ends as
//   skipped: the running fetch covers the same ground, and nothing piles up. A re-run of the
//   same job id (a stalled job BullMQ runs again after its worker died or froze, a retry) takes
//   it over at once, so a dead worker's lease does not outlive its job's own lock. That is safe
//   although the earlier run may still be alive (frozen, not dead): the epoch below refuses
//   its writes from the moment the re-run starts.
// - Keeping it. It is renewed every third of its TTL while the run goes on (compare owner, then
//   PEXPIRE), and released at the end with a compare-and-delete, all Lua scripts of one key.
// - The epoch. A run's first read of its query (findById) first claims the query's next fetch
//   epoch in MySQL (search_queries.fetch_epoch, incremented in its row: it survives Redis
//   losing its data, and every run's is higher than any before it). Every write of the query's
//   state (saveFetchState, recordOutcome) is an UPDATE conditioned on that epoch still being
//   the row's: MySQL itself refuses a run's write once a newer run has started, whenever the
//   statement lands. This is what makes the lease a fence: a check in Redis followed by a
//   write in MySQL leaves a gap (the process freezes between them, or the statement is in
//   flight; a client timeout does not stop a statement the server already received), and a
//   stale write landing there could overwrite the new owner's pending ranges while its head
//   mark stays advanced: a stretch never searched again.
// - The Redis check. Before each write the run also confirms, in Redis, that this job still
//   owns the lease and extends it, and before each search call that no renewal found it lost:
//   a run that lost its lease stops early instead of spending quota on work it cannot save.
//   Either refusal, like the epoch's, throws FetchLeaseLostError: the job fails and BullMQ
//   retries it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../platform/logger.js';
import { redisKey, type RedisClient } from '../platform/redis/create-redis.js';
import type { SearchQueryRepository } from '../catalog/search-query-repository.js';

/** The write of a query's state was refused: this job no longer owns its fetch lease. */
export class FetchLeaseLostError extends Error {
  constructor(readonly queryId: number, reason: string) {
    super(`fetch lease of query ${queryId} lost (${reason}): state not written`);
    this.name = 'FetchLeaseLostError';
  }
}

/** Why a lease Redis no longer gives this run is lost (expired and taken, or gone with Redis's data). */
const TAKEN = 'another job holds it, or nobody';

export const fetchLeaseKey = (prefix: string, queryId: number): string => redisKey(prefix, 'fetch-lease', queryId);

/** The owner stored in the key: `<job id>|<lock token>` (BullMQ's job ids never hold `|`). */
const ownerOf = (jobId: string, token: string): string => `${jobId}|${token}`;

// KEYS[1] lease; ARGV owner, ttl, the job's owner prefix. Free, ours, or our job's earlier run
// (taken over): set; otherwise the current owner.
const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] or string.sub(current, 1, string.len(ARGV[3])) == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, current or ''}
end
return {0, current}`;

// KEYS[1] lease; ARGV owner, ttl.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface FetchLeaseOptions {
  readonly redis: RedisClient;
  readonly prefix: string;
  /** How long a lease lives without renewal: a dead worker's lease frees its query after it. */
  readonly ttlMs: number;
  readonly log: Logger;
}

export interface FetchLease {
  readonly queryId: number;
  readonly owner: string;
  /** False once a renewal or a fence found another owner (or none). */
  held(): boolean;
  /** Runs `fn` (the fetch run) so that its state writes pass the fence (FetchLeases.fence). */
  runUnder<T>(fn: () => Promise<T>): Promise<T>;
  /** Stops renewing and deletes the key if it is still ours. */
  release(): Promise<void>;
}

export type LeaseClaim =
  | { readonly acquired: true; readonly lease: FetchLease; readonly tookOverFrom: string | null }
  | { readonly acquired: false; readonly heldBy: string };

export type FetchLeases = ReturnType<typeof createFetchLeases>;

interface HeldLease extends FencedRun {
  readonly queryId: number;
  readonly key: string;
  readonly owner: string;
  lost: string | null;
  timer: NodeJS.Timeout | undefined;
}

/** The run a fence let through: the fetch epoch it claimed in MySQL (undefined until then). */
export interface FencedRun {
  epoch: number | undefined;
  /** Marks the lease lost (a write refused by its epoch): the run writes nothing more. */
  lose(reason: string): void;
}

export function createFetchLeases({ redis, prefix, ttlMs, log }: FetchLeaseOptions) {
  // The lease of the run being executed, carried through its async calls: several runs go on
  // in one process at once, and the fence must check each write against its own run's lease.
  const current = new AsyncLocalStorage<HeldLease>();
  // An answer later than this after its request cannot vouch for a write that follows it.
  const answerWithinMs = Math.max(1, Math.floor(ttlMs / 3));

  const evalOne = (script: string, key: string, ...args: Array<string | number>) => redis.eval(script, 1, key, ...args);

  const lose = (entry: HeldLease, reason: string) => {
    if (entry.lost !== null) return;
    entry.lost = reason;
    clearInterval(entry.timer);
    log.warn({ queryId: entry.queryId, owner: entry.owner, reason }, 'fetch lease lost: the run may not write its state any more');
  };

  /**
   * Takes the query's lease for a job (`token`: BullMQ's lock token of this run of it), or says
   * who holds it.
   */
  async function acquire(queryId: number, jobId: string, token: string = randomUUID()): Promise<LeaseClaim> {
    const key = fetchLeaseKey(prefix, queryId);
    const owner = ownerOf(jobId, token);
    const [ok, previous] = (await evalOne(ACQUIRE, key, owner, ttlMs, `${jobId}|`)) as [number, string];
    if (ok !== 1) return { acquired: false, heldBy: previous };
    const tookOverFrom = previous !== '' && previous !== owner ? previous : null;
    if (tookOverFrom !== null) log.info({ queryId, owner, tookOverFrom }, 'fetch lease taken over from an earlier run of the same job');

    const entry: HeldLease = { queryId, key, owner, lost: null, timer: undefined, epoch: undefined, lose: (reason) => lose(entry, reason) };
    let failing: string | undefined;
    entry.timer = setInterval(() => {
      evalOne(RENEW, key, owner, ttlMs)
        .then((renewed) => {
          failing = undefined;
          if (renewed !== 1) lose(entry, TAKEN);
        })
        .catch((error: unknown) => {
          // Redis away: the fence refuses writes until a renewal or a fence gets through.
          const message = (error as Error).message;
          if (message !== failing) log.warn({ queryId, err: message }, 'could not renew a fetch lease');
          failing = message;
        });
    }, answerWithinMs);
    entry.timer.unref();

    return {
      acquired: true,
      tookOverFrom,
      lease: {
        queryId,
        owner,
        held: () => entry.lost === null,
        runUnder: (fn) => current.run(entry, fn),
        async release() {
          clearInterval(entry.timer);
          if (entry.lost !== null) return;
          entry.lost = 'released';
          await evalOne(RELEASE, key, owner);
        },
      },
    };
  }

  /**
   * Resolves when the run calling it may write the query's state now: it runs under the
   * query's lease (FetchLease.runUnder), and Redis has just confirmed and extended it. Throws
   * FetchLeaseLostError otherwise. Gives the run's entry, where its fetch epoch is kept.
   */
  async function fence(queryId: number): Promise<FencedRun> {
    const entry = current.getStore();
    if (entry === undefined || entry.queryId !== queryId) throw new FetchLeaseLostError(queryId, 'the run holds no lease of it');
    if (entry.lost !== null) throw new FetchLeaseLostError(queryId, entry.lost);
    const sent = performance.now();
    let renewed: unknown;
    try {
      renewed = await evalOne(RENEW, entry.key, entry.owner, ttlMs);
    } catch (error) {
      throw new FetchLeaseLostError(queryId, `Redis did not confirm it: ${(error as Error).message}`);
    }
    if (renewed !== 1) {
      lose(entry, TAKEN);
      throw new FetchLeaseLostError(queryId, TAKEN);
    }
    const tookMs = performance.now() - sent;
    if (tookMs > answerWithinMs) throw new FetchLeaseLostError(queryId, `Redis confirmed it ${Math.round(tookMs)} ms late`);
    return entry;
  }

  /**
   * Throws FetchLeaseLostError when the run calling it does not hold the query's lease any
   * more (a renewal or a fence found it lost): checked before each search call, so a run that
   * lost its lease stops spending quota. No round trip: it reads what the renewals found.
   */
  function assertHeld(queryId: number): void {
    const entry = current.getStore();
    if (entry === undefined || entry.queryId !== queryId) throw new FetchLeaseLostError(queryId, 'the run holds no lease of it');
    if (entry.lost !== null) throw new FetchLeaseLostError(queryId, entry.lost);
  }

  return { acquire, fence, assertHeld };
}

type QueryWrites = Pick<SearchQueryRepository, 'findById' | 'saveFetchState' | 'recordOutcome'>;

/** Why a write is refused whose epoch MySQL no longer holds. */
const SUPERSEDED = 'a newer run of the query claimed its fetch epoch';

/**
 * What a fetch run needs of the query repository, with every write of its state behind the
 * fence: Redis confirms the lease, then MySQL writes only under the epoch the run claimed with
 * its first read.
 */
export function fencedQueryWrites(
  queries: QueryWrites & Pick<SearchQueryRepository, 'claimFetchEpoch'>,
  fence: (queryId: number) => Promise<FencedRun>,
): QueryWrites {
  const epochOf = async (id: number): Promise<FencedRun & { epoch: number }> => {
    const run = await fence(id);
    if (run.epoch === undefined) throw new FetchLeaseLostError(id, 'the run claimed no fetch epoch');
    return run as FencedRun & { epoch: number };
  };
  const refused = (id: number, run: FencedRun): never => {
    run.lose(SUPERSEDED);
    throw new FetchLeaseLostError(id, SUPERSEDED);
  };
  return {
    async findById(id) {
      // The run's start: claim its epoch before reading the state it will build on.
      const run = await fence(id);
      run.epoch = await queries.claimFetchEpoch(id);
      return queries.findById(id);
    },
    async saveFetchState(id, state) {
      const run = await epochOf(id);
      return (await queries.saveFetchState(id, state, run.epoch)) || refused(id, run);
    },
    async recordOutcome(id, outcome, error, newVideos) {
      const run = await epochOf(id);
      return (await queries.recordOutcome(id, outcome, error, newVideos, run.epoch)) || refused(id, run);
    },
  };
}
