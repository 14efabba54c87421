// The enrichment queue: its name, one Job Scheduler that starts a run every ENRICH_INTERVAL_MS,
// and the producer helpers (the worker schedules it; the API shows it in Bull Board). Job data
// is empty (a run picks what is due from MySQL); results hold counts, never a key.
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Logger } from '../platform/logger.js';
import type { EnrichRunResult } from './enrich-service.js';

export const ENRICH_QUEUE = 'enrich-videos';
export const ENRICH_SCHEDULER_ID = 'enrich-videos';

/** Nothing: what a run enriches is what is due in MySQL when it runs. */
export type EnrichJobData = Record<string, never>;

export const ENRICH_JOB_OPTIONS: JobsOptions = {
  // A failed run (MySQL or Redis away, YouTube failing past the in-run retries) is retried with
  // backoff; what it stored stays stored, so a retry starts from what is still due.
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
  removeOnComplete: { count: 200, age: 24 * 3600 },
  removeOnFail: { count: 500, age: 7 * 24 * 3600 },
};

/** `bullPrefix` is BullMQ's key prefix of the deployment (fetch-queue.ts), the same for every queue. */
export function createEnrichQueue(connection: ConnectionOptions, bullPrefix: string, log: Logger): Queue<EnrichJobData, EnrichRunResult> {
  const queue = new Queue<EnrichJobData, EnrichRunResult>(ENRICH_QUEUE, { connection, prefix: bullPrefix });
  let last: string | undefined;
  queue.on('error', (error: Error) => {
    if (error.message === last) return;
    last = error.message;
    log.warn({ queue: ENRICH_QUEUE, err: error.message }, 'queue connection problem');
  });
  return queue;
}

/**
 * Creates or updates the enrichment's scheduler (idempotent: run at every boot and after Redis
 * comes back empty). One run at a time across the cluster: a scheduler creates the next job
 * when the previous one starts, so a long run would otherwise overlap the next, and two runs
 * would read the same due videos.
 */
export async function scheduleEnrichment(queue: Queue<EnrichJobData, EnrichRunResult>, everyMs: number): Promise<void> {
  await queue.setGlobalConcurrency(1);
  await queue.upsertJobScheduler(ENRICH_SCHEDULER_ID, { every: everyMs }, { name: 'enrich', data: {}, opts: ENRICH_JOB_OPTIONS });
}
