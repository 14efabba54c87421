// The channel polling queue: its name, one Job Scheduler whose ticks each poll the channels that
// are due (channel-poll-service.ts decides which, from MySQL and the pacing), and the producer
// helpers (the worker schedules it; the API shows it in Bull Board). Job data is empty; results
// hold counts, never a key.
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Logger } from '../platform/logger.js';
import type { ChannelRunResult } from './channel-poll-service.js';

export const CHANNEL_QUEUE = 'poll-channels';
export const CHANNEL_SCHEDULER_ID = 'poll-channels';

/** Nothing: what a tick polls is what is due in MySQL when it runs. */
export type ChannelJobData = Record<string, never>;

export const CHANNEL_JOB_OPTIONS: JobsOptions = {
  // A failed tick (MySQL or Redis away) is retried; what it stored stays, and a retry polls what
  // is still due.
  attempts: 3,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { count: 200, age: 24 * 3600 },
  removeOnFail: { count: 500, age: 7 * 24 * 3600 },
};

/** How often the scheduler ticks for a poll interval: often enough that a channel waits at most a sixth of it more. */
export function channelTickMs(pollIntervalMs: number): number {
  return Math.max(5_000, Math.min(15_000, Math.floor(pollIntervalMs / 6)));
}

/** `bullPrefix` is BullMQ's key prefix of the deployment (fetch-queue.ts), the same for every queue. */
export function createChannelQueue(connection: ConnectionOptions, bullPrefix: string, log: Logger): Queue<ChannelJobData, ChannelRunResult> {
  const queue = new Queue<ChannelJobData, ChannelRunResult>(CHANNEL_QUEUE, { connection, prefix: bullPrefix });
  let last: string | undefined;
  queue.on('error', (error: Error) => {
    if (error.message === last) return;
    last = error.message;
    log.warn({ queue: CHANNEL_QUEUE, err: error.message }, 'queue connection problem');
  });
  return queue;
}

/**
 * Creates or updates the scheduler (idempotent: run at every boot and after Redis comes back
 * empty). One tick at a time across the cluster, so two workers never poll the same channel at
 * once (a scheduler creates the next job when the previous one starts).
 */
export async function scheduleChannelPolling(queue: Queue<ChannelJobData, ChannelRunResult>, everyMs: number): Promise<void> {
  await queue.setGlobalConcurrency(1);
  await queue.upsertJobScheduler(CHANNEL_SCHEDULER_ID, { every: everyMs }, { name: 'poll', data: {}, opts: CHANNEL_JOB_OPTIONS });
}
