// The fetch queue: its name, job payload, one Job Scheduler per followed query, and the
// producer helpers both apps use (the worker at boot, the API when queries change). Job data
// holds ids only: never a key.
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Logger } from '../platform/logger.js';

export const FETCH_QUEUE = 'fetch';

export interface FetchJobData {
  readonly queryId: number;
  /** The query text, for people reading Bull Board; the processor uses the id. */
  readonly query: string;
}

export const fetchSchedulerId = (queryId: number): string => `fetch-query-${queryId}`;

const SCHEDULER_PATTERN = /^fetch-query-(\d+)$/;

/**
 * BullMQ's own key prefix, under the deployment's Redis prefix: a hash tag of its own
 * (`{<prefix>:bull}`), so on a Redis Cluster every key of a queue is in one slot, as BullMQ's
 * scripts require, and apart from the key pool's.
 */
export const bullPrefix = (redisPrefix: string): string => `{${redisPrefix}:bull}`;

export const FETCH_JOB_OPTIONS: JobsOptions = {
  // A failed run (database down, YouTube failing past the in-run retries) is retried with
  // exponential backoff; a run that cannot succeed throws UnrecoverableError instead.
  attempts: 3,
  backoff: { type: 'exponential', delay: 5000 },
  removeOnComplete: { count: 500, age: 24 * 3600 },
  removeOnFail: { count: 1000, age: 7 * 24 * 3600 },
};

export function createFetchQueue(connection: ConnectionOptions, redisPrefix: string, log: Logger): Queue<FetchJobData> {
  const queue = new Queue<FetchJobData>(FETCH_QUEUE, { connection, prefix: bullPrefix(redisPrefix) });
  // Without a listener BullMQ prints every connection error to stderr; log each distinct one once.
  let last: string | undefined;
  queue.on('error', (error: Error) => {
    if (error.message === last) return;
    last = error.message;
    log.warn({ queue: FETCH_QUEUE, err: error.message }, 'queue connection problem');
  });
  return queue;
}

/** When and how often each query is fetched: BullMQ Job Schedulers in production. */
export interface FetchSchedule {
  /** Every scheduled query: its interval and, when known, the next planned run (ms). */
  current(): Promise<Map<number, { everyMs: number; nextAt: number | null }>>;
  /** Creates or changes a query's schedule; the next run is at `startAt` (ms), or now. */
  upsert(query: { id: number; text: string }, everyMs: number, startAt: number): Promise<void>;
  remove(queryId: number): Promise<void>;
}

export function bullmqFetchSchedule(queue: Queue<FetchJobData>): FetchSchedule {
  return {
    async current() {
      const found = new Map<number, { everyMs: number; nextAt: number | null }>();
      for (const scheduler of await queue.getJobSchedulers(0, -1)) {
        const match = SCHEDULER_PATTERN.exec(scheduler.key ?? scheduler.id ?? '');
        if (match && scheduler.every !== undefined) found.set(Number(match[1]), { everyMs: scheduler.every, nextAt: scheduler.next ?? null });
      }
      return found;
    },
    async upsert(query, everyMs, startAt) {
      // Changing `every` restarts a scheduler "now" unless a start date is given: the start
      // date keeps a changed interval from costing an extra, immediate search.
      await queue.upsertJobScheduler(
        fetchSchedulerId(query.id),
        { every: everyMs, startDate: startAt },
        { name: 'fetch', data: { queryId: query.id, query: query.text }, opts: FETCH_JOB_OPTIONS },
      );
    },
    async remove(queryId) {
      await queue.removeJobScheduler(fetchSchedulerId(queryId));
    },
  };
}
