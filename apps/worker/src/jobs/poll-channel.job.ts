// Processor of the poll-channels queue: one tick polls the followed channels that are due (core's
// channel-poll-service.ts). A tick with nothing due, no budget or no usable key completes with
// that outcome and its reason (visible in Bull Board); a failure is thrown and BullMQ retries
// the job with backoff: what the tick stored stays, a retry polls what is still due.
import type { Job } from 'bullmq';
import type { ChannelJobData, ChannelPollService, ChannelRunResult, Logger } from '@tubefeed/core';

export interface PollChannelJobDeps {
  readonly polling: Pick<ChannelPollService, 'run'>;
  readonly log: Logger;
  /** Runs before each tick (YOUTUBE_CHANNELS entries that could not be resolved yet). */
  readonly beforeRun?: () => Promise<void>;
  /** Aborted when the worker shuts down: the tick stops after the channel it is on. */
  readonly signal?: AbortSignal;
  readonly onResult?: (result: ChannelRunResult) => void | Promise<void>;
}

export function pollChannelProcessor({ polling, log, beforeRun, signal, onResult }: PollChannelJobDeps) {
  return async (job: Job<ChannelJobData, ChannelRunResult>): Promise<ChannelRunResult> => {
    await beforeRun?.();
    const result = await polling.run(signal === undefined ? {} : { signal });
    if (result.units > 0) log.debug({ jobId: job.id, attempt: job.attemptsMade + 1, units: result.units, polled: result.polled }, 'channel poll tick done');
    await onResult?.(result);
    return result;
  };
}
